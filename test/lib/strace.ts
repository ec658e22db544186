// Kill a plugin executable at an exact point of its work: strace counts the process's netlink sends
// (`sendto`) or file/sysctl writes (`write`) and injects SIGKILL at the Nth one. No test hook in the code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlugin, type PluginCall, type PluginOutput } from "./plugin";

export const STRACE = "/usr/bin/strace";

export type KillSyscall = "sendto" | "write";

export interface KillPoint {
  syscall: KillSyscall;
  /** the Nth call of `syscall` by the plugin's main thread */
  nth: number;
}

export function straceAvailable(): boolean {
  return spawnSync(STRACE, ["-V"], { stdio: "ignore" }).status === 0;
}

/**
 * Run one call under strace and count each syscall's calls by the main thread (strace counts injections
 * per thread, and the main thread does the netlink and file work; helper threads only switch namespaces).
 */
export function countSyscalls(binary: string, call: PluginCall): { output: PluginOutput; counts: Record<KillSyscall, number> } {
  const dir = mkdtempSync(join(tmpdir(), "cni-strace-"));
  try {
    const traceFile = join(dir, "trace");
    const output = runPlugin(STRACE, {
      ...call,
      argv: ["-f", "-qq", "-o", traceFile, "-e", "trace=sendto,write", binary],
    });
    const lines = readFileSync(traceFile, "utf8").split("\n");
    const pidCounts = new Map<string, number>();
    for (const line of lines) {
      const pid = line.split(" ", 1)[0] ?? "";
      if (line.includes(" sendto(")) pidCounts.set(pid, (pidCounts.get(pid) ?? 0) + 1);
    }
    let main = "";
    let most = -1;
    for (const [pid, n] of pidCounts) if (n > most) [main, most] = [pid, n];
    const counts: Record<KillSyscall, number> = { sendto: 0, write: 0 };
    for (const line of lines) {
      if (!line.startsWith(`${main} `)) continue;
      if (line.includes(" sendto(")) counts.sendto++;
      else if (line.includes(" write(")) counts.write++;
    }
    return { output, counts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface KilledOutput extends PluginOutput {
  /** the process died of SIGKILL (false: it finished before the Nth call) */
  killed: boolean;
}

/** Run `binary` with `call`, SIGKILLed by strace at `point`. */
export function runKilledAt(binary: string, call: PluginCall, point: KillPoint): KilledOutput {
  const output = runPlugin(STRACE, {
    ...call,
    argv: [
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      "-e",
      `trace=${point.syscall}`,
      "-e",
      `inject=${point.syscall}:signal=KILL:when=${point.nth}`,
      binary,
    ],
  });
  // strace re-raises its tracee's fatal signal; `ip netns exec` execs strace, so the status is the signal's
  return { ...output, killed: output.code === null || output.code === 128 + 9 };
}

/** `count` points spread evenly over every sendto and write of a call. */
export function spreadKillPoints(counts: Record<KillSyscall, number>, count: number): KillPoint[] {
  const all: KillPoint[] = [];
  for (let nth = 1; nth <= counts.sendto; nth++) all.push({ syscall: "sendto", nth });
  for (let nth = 1; nth <= counts.write; nth++) all.push({ syscall: "write", nth });
  if (count >= all.length) return all;
  const picked: KillPoint[] = [];
  for (let i = 0; i < count; i++) {
    const point = all[Math.floor((i * all.length) / count)];
    if (point !== undefined) picked.push(point);
  }
  return picked;
}
