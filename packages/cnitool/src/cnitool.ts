// cnitool, as Go's cnitool/cnitool.go: `cnitool add|check|del|gc|status <network> [<netns>]` with
// NETCONFPATH, CNI_PATH, CNI_ARGS, CAP_ARGS, CNI_IFNAME; the container ID is "cnitool-" + the first 20 hex
// digits of sha512(netns path), as Go's. Extensions (for runtimes and the scripts, none changes the above):
// CNI_CONTAINERID overrides that ID; CNI_CACHE_DIR the cache directory (default /var/lib/cni);
// `cnitool networks` prints the network names of NETCONFPATH in load order; `cnitool netns
// add|del|list|exec` manages named network namespaces and runs a command in one (no `ip netns` needed).
// Unlike Go's cnitool, `gc` keeps the attachments whose namespace still exists (Go's passes no valid
// attachments, so every attachment of the network is torn down); `gc --all` does what Go's does.
import { netns as namespaces } from "@cni/netlink";
import {
  CniConfig,
  ConfigError,
  MultiError,
  listCachedAttachments,
  loadAllConfLists,
  loadConfList,
  type CachedAttachment,
  type GcAttachment,
  type NetworkConfigList,
  type RuntimeConf,
} from "@cni/libcni";
import { formatResult, isJsonObject, type JsonObject } from "@cni/skel";
import { netnsExecCommand } from "./netns-tool";

export const DEFAULT_NETCONFPATH = "/etc/cni/net.d";
const CONTAINER_ID_HEX_DIGITS = 20;

/** Where cnitool writes; injectable for tests. */
export interface ToolIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

export const GC_ALL_OPTION = "--all";

export const USAGE = `usage: cnitool add|check|del <network> <netns-path>
       cnitool gc <network> [--all]
       cnitool status <network>
       cnitool networks
       cnitool netns add|del <name> | netns list | netns exec <name> <command> [args...]

Runs the plugins of network <network> (a config in $NETCONFPATH, default ${DEFAULT_NETCONFPATH}) for the
container whose network namespace is <netns-path>, as a runtime would; ADD prints the result. An ADD for
an attachment that is already cached (same network, container ID and CNI_IFNAME) is refused before any
plugin runs: DEL it first. A failed ADD undoes only what it created itself.
"gc" deletes the cached attachments of <network> whose network namespace no longer exists, then asks the
plugins to collect what no attachment uses (1.1.0); attachments whose namespace exists are kept as live.
"gc --all" treats none as live and deletes every attachment of <network> (as Go's cnitool gc does).
Environment: NETCONFPATH, CNI_PATH (plugin directories, ':'-separated), CNI_ARGS ("K=V;K=V"),
CAP_ARGS (JSON object of capability arguments), CNI_IFNAME (default eth0), CNI_CONTAINERID (default
"cnitool-" + 20 hex digits of sha512(<netns-path>)), CNI_CACHE_DIR (default /var/lib/cni).
"networks" prints the network names of $NETCONFPATH in load order (*.conflist, then *.conf/*.json).
"netns" manages named network namespaces under /var/run/netns and runs a command inside one.
`;

/** Go cnitool's container ID for a netns path. */
export function cnitoolContainerId(netnsPath: string): string {
  const crypto = process.getBuiltinModule("node:crypto");
  return `cnitool-${crypto.createHash("sha512").update(netnsPath).digest("hex").slice(0, CONTAINER_ID_HEX_DIGITS)}`;
}

/** CNI_ARGS text as pairs; "K=V;K=V" (as Go's cnitool parses it). */
export function parseArgsText(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (text === "") return pairs;
  for (const item of text.split(";")) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`invalid CNI_ARGS pair "${item}" (want KEY=VALUE;KEY=VALUE)`);
    pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
  }
  return pairs;
}

function pathList(text: string | undefined): string[] {
  return (text ?? "").split(":").filter((dir) => dir !== "");
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${process.cwd()}/${path}`;
}

function describe(error: unknown): string {
  if (error instanceof MultiError) return error.errors.map((e) => e.message).join("\n");
  return error instanceof Error ? error.message : String(error);
}

/** Run cnitool with `args` (after the program name); returns the exit status. */
export async function runCnitool(args: readonly string[], io: ToolIO): Promise<number> {
  const [verb, ...rest] = args;
  const warn = (message: string): void => io.err(`cnitool: warning: ${message}\n`);
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    (verb === undefined ? io.err : io.out)(USAGE);
    return verb === undefined ? 1 : 0;
  }
  try {
    if (verb === "netns") return netnsExecCommand(rest, io);
    const netconfPath = io.env.NETCONFPATH || DEFAULT_NETCONFPATH;
    if (verb === "networks") {
      if (rest.length !== 0) return usageError(io, "networks takes no arguments");
      for (const list of loadAllConfLists(netconfPath, warn)) io.out(`${list.name}\n`);
      return 0;
    }
    const command = verb.toUpperCase();
    const gcAll = command === "GC" && rest.includes(GC_ALL_OPTION);
    if (gcAll) rest.splice(rest.indexOf(GC_ALL_OPTION), 1);
    const needsNetns = command === "ADD" || command === "CHECK" || command === "DEL";
    if (!needsNetns && command !== "GC" && command !== "STATUS") return usageError(io, `unknown command "${verb}"`);
    if (rest.length < 1 || rest.length > (needsNetns ? 2 : 1) || (needsNetns && rest.length !== 2 && command !== "DEL")) {
      return usageError(io, `${verb} needs <network>${needsNetns ? " <netns-path>" : ""}${command === "GC" ? ` [${GC_ALL_OPTION}]` : ""}`);
    }
    const list = loadConfList(netconfPath, rest[0]!, warn);
    const netns = rest[1] === undefined ? "" : absolute(rest[1]);
    let capabilityArgs: JsonObject = {};
    const capText = io.env.CAP_ARGS ?? "";
    if (capText !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(capText);
      } catch (thrown) {
        throw new Error(`CAP_ARGS is not valid JSON: ${(thrown as Error).message}`);
      }
      if (!isJsonObject(parsed)) throw new Error("CAP_ARGS must be a JSON object");
      capabilityArgs = parsed;
    }
    const cni = new CniConfig({
      path: pathList(io.env.CNI_PATH),
      cacheDir: io.env.CNI_CACHE_DIR || undefined,
      baseEnv: io.env,
    });
    const rt: RuntimeConf = {
      containerId: io.env.CNI_CONTAINERID || cnitoolContainerId(netns),
      netns,
      ifName: io.env.CNI_IFNAME || "eth0",
      args: parseArgsText(io.env.CNI_ARGS ?? ""),
      capabilityArgs,
    };
    switch (command) {
      case "ADD": {
        const result = await cni.addNetworkList(list, rt);
        // as Go's cnitool prints it (result.Print(): the result's own version, 4-space indented)
        io.out(`${result === undefined ? "{}" : formatResult(result, result.cniVersion)}\n`);
        return 0;
      }
      case "CHECK":
        await cni.checkNetworkList(list, rt);
        return 0;
      case "DEL":
        await cni.delNetworkList(list, rt);
        return 0;
      case "GC":
        await cni.gcNetworkList(list, gcAll ? [] : liveAttachments(list, cni.cacheDir));
        return 0;
      default:
        await cni.getStatusNetworkList(list);
        return 0;
    }
  } catch (thrown) {
    io.err(`cnitool ${verb}: ${thrown instanceof ConfigError ? `config: ${thrown.message}` : describe(thrown)}\n`);
    return 1;
  }
}

/** The cached attachments of `list` whose network namespace still exists: what `cnitool gc` keeps. */
export function liveAttachments(list: NetworkConfigList, cacheDir: string): GcAttachment[] {
  return listCachedAttachments(cacheDir, list.name).filter(namespaceExists);
}

function namespaceExists(entry: CachedAttachment): boolean {
  if (entry.netns === "") return false;
  try {
    return namespaces.isNetns(entry.netns);
  } catch {
    return false;
  }
}

function usageError(io: ToolIO, why: string): number {
  io.err(`cnitool: ${why}\n\n${USAGE}`);
  return 1;
}

/** The process entry: argv, env, stdio of this process; sets the exit code. */
export async function cnitoolMain(): Promise<void> {
  const code = await runCnitool(process.argv.slice(2), {
    env: process.env,
    out: (text: string) => process.stdout.write(text),
    err: (text: string) => process.stderr.write(text),
  });
  process.exitCode = code;
}
