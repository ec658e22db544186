// What every chunk's entry does: the addon's process host (stdin, stdout and file identities without
// node:fs), then name dispatch over the chunk's own registry, with in-process IPAM delegation to the
// plugins that registry holds.
import { addonProcessHost, installAddonProcessHost } from "@cni/plugin-kit";
import { runMulticall } from "./multicall";
import type { CommandRegistry, PluginRegistry } from "./registry";

/** A chunk as main.ts loads it: its registry, and run() to serve the invocation. */
export interface Chunk {
  readonly plugins: PluginRegistry;
  readonly commands: CommandRegistry;
  run(): Promise<void>;
}

export function defineChunk(plugins: PluginRegistry, commands: CommandRegistry = new Map()): Chunk {
  return {
    plugins,
    commands,
    run: (): Promise<void> => {
      installAddonProcessHost();
      return runMulticall(plugins, { fileIdentity: addonProcessHost.fileIdentity, commands });
    },
  };
}
