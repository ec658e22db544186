// The iptables side: the reference's nat rules per attachment (chain CNI-<hash>, comment
// `name: "<net>" id: "<cid>"`), written and removed through iptables-restore so that each family costs
// one listing plus one atomic restore instead of a process per rule. Rules are found by chain name and
// comment, never from the container's addresses.
import { CniError, ErrorCode, formatCIDR, formatIP, networkOf, type CIDR } from "@cni/skel";
import { goQuote, iptablesChainName, iptablesComment } from "./names";

export type IptablesFamily = 4 | 6;

/** What ran: exit status (null when it could not start), output and the start error's code. */
export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** e.g. "ENOENT" when the binary is missing */
  spawnErrorCode?: string;
}

/** Runs iptables commands and reads /proc/net files, in the host namespace or (tests) another one. */
export interface IptablesRunner {
  run(command: string, args: readonly string[], input?: string): CommandResult;
  /** a /proc/net file's text, undefined when it does not exist */
  readProcNet(name: string): string | undefined;
}

const MULTICAST: Record<IptablesFamily, string> = { 4: "224.0.0.0/4", 6: "ff00::/8" };

function binary(family: IptablesFamily, suffix: "" | "-restore"): string {
  return (family === 4 ? "iptables" : "ip6tables") + suffix;
}

/** The host's own namespace: spawn the binaries directly. */
export function hostRunner(): IptablesRunner {
  return {
    run: (command, args, input) => spawn(command, args, input),
    readProcNet(name) {
      try {
        return process.getBuiltinModule("node:fs").readFileSync("/proc/net/" + name, "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

/** Another namespace (tests, benchmarks): every command through `nsenter --net=<path>`. */
export function netnsRunner(netnsPath: string): IptablesRunner {
  return {
    run: (command, args, input) => spawn("nsenter", ["--net=" + netnsPath, command, ...args], input),
    readProcNet(name) {
      const result = spawn("nsenter", ["--net=" + netnsPath, "cat", "/proc/net/" + name]);
      return result.status === 0 ? result.stdout : undefined;
    },
  };
}

function spawn(command: string, args: readonly string[], input?: string): CommandResult {
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const result = spawnSync(command, args, { input: input ?? "", encoding: "utf8" });
  const error = result.error as (Error & { code?: string }) | undefined;
  return {
    status: result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
    ...(error?.code !== undefined ? { spawnErrorCode: error.code } : {}),
  };
}

/** `iptables -t nat -S`: every chain (`-N`) and rule (`-A`) of the nat table, one per line. */
function listNat(runner: IptablesRunner, family: IptablesFamily): string[] | undefined {
  const result = runner.run(binary(family, ""), ["--wait", "-t", "nat", "-S"]);
  if (result.spawnErrorCode === "ENOENT") return undefined;
  if (result.status !== 0) throw commandError(binary(family, ""), "-t nat -S", result);
  return result.stdout.split("\n");
}

function restore(runner: IptablesRunner, family: IptablesFamily, lines: readonly string[]): void {
  const command = binary(family, "-restore");
  const result = runner.run(command, ["--wait", "--noflush"], "*nat\n" + lines.join("\n") + "\nCOMMIT\n");
  if (result.status !== 0) throw commandError(command, "--noflush", result);
}

function commandError(command: string, args: string, result: CommandResult): CniError {
  const why =
    result.spawnErrorCode !== undefined
      ? `cannot run it (${result.spawnErrorCode})`
      : `exit status ${result.status}: ${result.stderr.trim()}`;
  return new CniError(ErrorCode.Internal, `masquerade: ${command} ${args} failed: ${why}`);
}

/** The comment as a quoted iptables-restore argument (backslash-escaped as iptables-save prints it). */
function quoted(text: string): string {
  return '"' + escaped(text) + '"';
}

function escaped(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    out += ch === '"' || ch === "\\" ? "\\" + ch : ch;
  }
  return out;
}

/** The jumps to `chain` in POSTROUTING, as `-A POSTROUTING ...` lines. */
function jumpsTo(lines: readonly string[], chain: string): string[] {
  const jumps: string[] = [];
  const suffix = " -j " + chain;
  for (const line of lines) if (line.startsWith("-A POSTROUTING ") && line.endsWith(suffix)) jumps.push(line);
  return jumps;
}

/**
 * Set up one family's rules (the Go bridge's: `-d <subnet> -j ACCEPT`, `! -d <multicast> -j MASQUERADE`
 * in the attachment's chain, `POSTROUTING -s <ip> -j <chain>`, all with the comment). One restore:
 * declaring the chain creates it or empties it, old jumps to it are replaced, so a repeated ADD leaves
 * exactly one copy.
 */
export function iptablesSetup(
  runner: IptablesRunner,
  family: IptablesFamily,
  network: string,
  containerId: string,
  ips: readonly CIDR[],
): void {
  const chain = iptablesChainName(network, containerId);
  const comment = "-m comment --comment " + quoted(iptablesComment(network, containerId));
  const lines = listNat(runner, family);
  if (lines === undefined) {
    throw new CniError(ErrorCode.Internal, `masquerade: ipMasqBackend "iptables" needs ${binary(family, "")}, not found`);
  }
  const input = [":" + chain + " - [0:0]"];
  for (const jump of jumpsTo(lines, chain)) input.push("-D" + jump.slice(2));
  const subnets = new Set<string>();
  for (const ip of ips) subnets.add(formatCIDR(networkOf(ip)));
  // Every subnet's ACCEPT before the MASQUERADE (the Go plugin appends per address, so a second subnet's
  // ACCEPT would come after the MASQUERADE and never match).
  for (const subnet of subnets) input.push(`-A ${chain} -d ${subnet} ${comment} -j ACCEPT`);
  input.push(`-A ${chain} ! -d ${MULTICAST[family]} ${comment} -j MASQUERADE`);
  const hostBits = family === 4 ? 32 : 128;
  const jumps = new Set<string>();
  for (const ip of ips) jumps.add(`-A POSTROUTING -s ${formatIP(ip.ip)}/${hostBits} ${comment} -j ${chain}`);
  for (const jump of jumps) input.push(jump);
  restore(runner, family, input);
}

/** Remove the chains named in `chains` and every POSTROUTING jump to them, found in a nat listing. */
function removeChains(runner: IptablesRunner, family: IptablesFamily, lines: readonly string[], chains: readonly string[]): number {
  const input: string[] = [];
  for (const chain of chains) {
    for (const jump of jumpsTo(lines, chain)) input.push("-D" + jump.slice(2));
    if (lines.includes("-N " + chain)) input.push("-F " + chain, "-X " + chain);
  }
  if (input.length > 0) restore(runner, family, input);
  return input.length;
}

/** Remove one attachment's chain and the jumps to it (whatever addresses they name). A missing binary: nothing to do. */
export function iptablesTeardown(runner: IptablesRunner, family: IptablesFamily, network: string, containerId: string): void {
  const lines = listNat(runner, family);
  if (lines === undefined) return;
  removeChains(runner, family, lines, [iptablesChainName(network, containerId)]);
}

/**
 * GC: remove the chains of `network` whose container id is not in `validContainerIds`. A chain is the
 * network's when a rule in it carries the comment `name: "<network>" id: "<cid>"` and its name is the
 * hash of that pair (the Go plugin has no GC for iptables; its rules carry what we need).
 */
export function iptablesGc(
  runner: IptablesRunner,
  family: IptablesFamily,
  network: string,
  validContainerIds: ReadonlySet<string>,
): void {
  const lines = listNat(runner, family);
  if (lines === undefined) return;
  // as `iptables -S` prints it: --comment "name: \"<net>\" id: \"<cid>\""
  const marker = '--comment "name: ' + escaped(goQuote(network)) + ' id: \\"';
  const stale = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith("-A CNI-")) continue;
    const chain = line.slice(3, line.indexOf(" ", 3));
    const at = line.indexOf(marker);
    if (at < 0) continue;
    const idStart = at + marker.length;
    const idEnd = line.indexOf('\\""', idStart);
    if (idEnd < 0) continue;
    const containerId = line.slice(idStart, idEnd);
    if (validContainerIds.has(containerId) || stale.has(chain)) continue;
    if (iptablesChainName(network, containerId) === chain) stale.add(chain);
  }
  if (stale.size > 0) removeChains(runner, family, lines, [...stale]);
}
