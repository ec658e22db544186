// Executable entry point (bundled and compiled by build.sh into bin/cni-plugins; bin/<plugin> link to it).
// As each plugin's own main.ts: stdin and file identities go through the addon (no node:fs on a call).
import { addonProcessHost, installAddonProcessHost } from "@cni/plugin-kit";
import { COMMANDS } from "./commands";
import { runMulticall } from "./multicall";
import { PLUGINS } from "./plugins";

installAddonProcessHost();
void runMulticall(PLUGINS, { fileIdentity: addonProcessHost.fileIdentity, commands: COMMANDS });
