// `runPlugin` without blocking the test process, so that many plugin calls can be in flight at once.
import { spawn } from "node:child_process";
import type { PluginCall, PluginOutput } from "./plugin";

export interface TimedOutput extends PluginOutput {
  /** wall time of the call, in milliseconds */
  elapsedMs: number;
}

export function runPluginAsync(binary: string, call: PluginCall): Promise<TimedOutput> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
  const vars: [string, string | undefined][] = [
    ["CNI_COMMAND", call.command],
    ["CNI_CONTAINERID", call.containerId],
    ["CNI_NETNS", call.netns],
    ["CNI_IFNAME", call.ifName],
    ["CNI_ARGS", call.args],
    ["CNI_PATH", call.path],
  ];
  for (const [key, value] of vars) if (value !== undefined) env[key] = value;
  for (const [key, value] of Object.entries(call.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const input =
    call.stdin === undefined ? "" : typeof call.stdin === "string" || Buffer.isBuffer(call.stdin) ? call.stdin : JSON.stringify(call.stdin);
  const [cmd, argv] = call.hostNetns
    ? ["ip", ["netns", "exec", call.hostNetns.name, binary, ...(call.argv ?? [])]]
    : [binary, call.argv ?? []];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ["pipe", "pipe", "pipe"], timeout: call.timeoutMs ?? 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const out: TimedOutput = { code, stdout, stderr, elapsedMs: performance.now() - started };
      try {
        out.json = JSON.parse(stdout);
      } catch {
        // not JSON
      }
      resolve(out);
    });
    child.stdin.on("error", () => undefined); // a plugin may exit before reading all of stdin
    child.stdin.end(input);
  });
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
