// The multi-call entry point: one executable holds every plugin, and the name it was invoked by picks
// one. `process.argv0` is that name as the caller gave it (a hard or symbolic link's own name), unlike
// argv[0] (the runtime's) and execPath (a symlink's target).
import { CURRENT_VERSION, CniError, ErrorCode, formatError, setInProcessDelegate } from "@cni/skel";
import { baseName, inProcessDelegate, runningExecutableCheck, type FileIdentityOf } from "./in-process";
import type { CommandRegistry, PluginRegistry } from "./registry";

/** The executable's own file name; bin/<plugin> and an installed <plugin> are hard links to it. */
export const EXECUTABLE_NAME = "cni-plugins";

/** The plugin a call is for: the invoked file's name. */
export function invokedName(argv0: string): string {
  return baseName(argv0);
}

/** The option that makes `cni-plugins --list` print its plugin names, one a line (build.sh and install.sh link them). */
export const LIST_OPTION = "--list";

/** `cni-plugins --help` (or -h): the usage on stdout, exit 0. */
export const HELP_OPTIONS: readonly string[] = ["--help", "-h"];

export interface MulticallOptions {
  /** file identity by stat(2): tells whether a delegated plugin's file is this executable */
  fileIdentity: FileIdentityOf;
  /** the invoked name or path; default process.argv0 */
  argv0?: string;
  /** command-line arguments after the executable; default process.argv[2...] */
  args?: readonly string[];
  /** tools held beside the plugins (cnitool), run by their invoked name when no plugin has it */
  commands?: CommandRegistry;
}

/** Run the plugin named by the invoked name, with IPAM delegation to this same executable kept in-process. */
export async function runMulticall(registry: PluginRegistry, options: MulticallOptions): Promise<void> {
  const name = invokedName(options.argv0 ?? process.argv0);
  const plugin = registry.get(name);
  if (plugin === undefined) {
    const command = options.commands?.get(name);
    if (command !== undefined) {
      await command();
      return;
    }
    const args = options.args ?? process.argv.slice(2);
    if (name === EXECUTABLE_NAME && args.length === 1 && args[0] === LIST_OPTION) {
      // every name bin/ and install.sh link: the plugins, then the commands
      const names = [...pluginNames(registry), ...[...(options.commands?.keys() ?? [])].sort()];
      process.stdout.write(names.map((n) => `${n}\n`).join(""));
      return;
    }
    if (name === EXECUTABLE_NAME && args.length === 1 && HELP_OPTIONS.includes(args[0]!)) {
      process.stdout.write(usage(name, registry, options.commands));
      return;
    }
    refuseUnknownName(name, registry, process.env.CNI_COMMAND ?? "", options.commands);
    process.exitCode = 1;
    return;
  }
  setInProcessDelegate(inProcessDelegate(registry, runningExecutableCheck(options.fileIdentity)));
  await plugin.main();
}

/** What an invocation by a name that is no plugin prints on stderr. */
export function usage(name: string, registry: PluginRegistry, commands?: CommandRegistry): string {
  const tools = [...(commands?.keys() ?? [])].sort();
  const held = tools.length === 0 ? "" : ` and the tool${tools.length > 1 ? "s" : ""} ${tools.join(", ")}`;
  return (
    `${name}: the CNI plugins ${pluginNames(registry).join(", ")}${held} in one executable; it runs as the plugin\n` +
    `whose name it is invoked by. Invoke it through a link named after a plugin, as bin/<plugin> are and\n` +
    `scripts/install.sh [DIR] makes them. \`${EXECUTABLE_NAME} ${LIST_OPTION}\` prints the plugin names.\n`
  );
}

function pluginNames(registry: PluginRegistry): string[] {
  return [...registry.keys()].sort();
}

// Not the per-call path of any plugin: process.stdout/stderr are fine here (synchronous for pipes and
// files on Linux, flushed before exit).
function refuseUnknownName(name: string, registry: PluginRegistry, command: string, commands: CommandRegistry | undefined): void {
  // A runtime that set CNI_COMMAND reads stdout for the error; a person in a shell only needs the usage.
  if (command !== "") {
    const error = new CniError(
      ErrorCode.InvalidEnvironment,
      `unknown plugin name "${name}"`,
      `this executable holds the plugins ${pluginNames(registry).join(", ")} and runs as the one its file is named after`,
    );
    process.stdout.write(formatError(error, CURRENT_VERSION));
  }
  process.stderr.write(usage(name, registry, commands));
}
