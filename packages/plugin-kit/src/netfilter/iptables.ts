// The iptables CLI for any table and family: one `iptables -t <table> -S` to read, one atomic
// `iptables-restore --noflush` to change, run in the host namespace or (tests, benchmarks) another one.
// The rules themselves are the caller's (masquerade's nat rules; portmap's and firewall's next).
import { CniError, ErrorCode } from "@cni/skel";
import type { IpFamily } from "./exprs";

export type IptablesTable = "filter" | "nat" | "mangle" | "raw";

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

/** `iptables` / `ip6tables`, or their `-restore`. */
export function iptablesBinary(family: IpFamily, suffix: "" | "-restore" = ""): string {
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

/** hostRunner, or netnsRunner when a namespace is given. */
export function iptablesRunner(netnsPath?: string): IptablesRunner {
  return netnsPath === undefined ? hostRunner() : netnsRunner(netnsPath);
}

function spawn(command: string, args: readonly string[], input?: string): CommandResult {
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const result = spawnSync(command, args, { input: input ?? "", encoding: "utf8" });
  const error = result.error as (Error & { code?: string }) | undefined;
  // EPIPE: the command exited before reading all its input (a restore failing at once); it did run, and its
  // exit status says why, so it is not a start failure.
  const startFailed = error?.code !== undefined && !(error.code === "EPIPE" && result.status !== null);
  return {
    status: result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
    ...(startFailed ? { spawnErrorCode: error.code } : {}),
  };
}

/**
 * `iptables -t <table> -S`: every chain (`-N`, `-P`) and rule (`-A`) of the table, one per line, as
 * iptables-save spells them; undefined when the binary is missing. `who` names the caller in errors.
 */
export function iptablesList(runner: IptablesRunner, family: IpFamily, table: IptablesTable, who: string): string[] | undefined {
  const command = iptablesBinary(family);
  const result = runner.run(command, ["--wait", "-t", table, "-S"]);
  if (result.spawnErrorCode === "ENOENT") return undefined;
  if (result.status !== 0) throw iptablesError(who, command, `-t ${table} -S`, result);
  return result.stdout.split("\n");
}

/** One atomic `iptables-restore --noflush` of `lines` (`:CHAIN - [0:0]`, `-A ...`, `-D ...`) into `table`. */
export function iptablesRestore(runner: IptablesRunner, family: IpFamily, table: IptablesTable, lines: readonly string[], who: string): void {
  const command = iptablesBinary(family, "-restore");
  const result = runner.run(command, ["--wait", "--noflush"], `*${table}\n${lines.join("\n")}\nCOMMIT\n`);
  if (result.status !== 0) throw iptablesError(who, command, "--noflush", result);
}

function iptablesError(who: string, command: string, args: string, result: CommandResult): CniError {
  const why =
    result.spawnErrorCode !== undefined
      ? `cannot run it (${result.spawnErrorCode})`
      : `exit status ${result.status}: ${result.stderr.trim()}`;
  return new CniError(ErrorCode.Internal, `${who}: ${command} ${args} failed: ${why}`);
}

/** A comment as an iptables-restore argument: `-m comment --comment "<text>"`, escaped as iptables-save prints it. */
export function commentMatch(text: string): string {
  return "-m comment --comment " + iptablesQuoted(text);
}

/** `"<text>"` with `"` and `\` backslash-escaped: how iptables-save and -S print (and restore reads) an argument. */
export function iptablesQuoted(text: string): string {
  return '"' + iptablesEscaped(text) + '"';
}

export function iptablesEscaped(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    out += ch === '"' || ch === "\\" ? "\\" + ch : ch;
  }
  return out;
}

/** The rules of `chain` that jump to `target`, as `-A <chain> ...` lines of a listing. */
export function jumpsTo(lines: readonly string[], chain: string, target: string): string[] {
  const jumps: string[] = [];
  const start = `-A ${chain} `;
  const end = " -j " + target;
  for (const line of lines) if (line.startsWith(start) && line.endsWith(end)) jumps.push(line);
  return jumps;
}

/** `-D ...` for a listed `-A ...` line. */
export function deletionOf(appendLine: string): string {
  return "-D" + appendLine.slice(2);
}
