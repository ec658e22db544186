// Drives the native runner (bench/runner, built by bench/run): one runner process per benchmark, which
// runs every round itself, so Node's own spawning noise stays out of the figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ScheduledCall, planText } from "./plan";

/** What the runner measured for one call (for `parallel` calls: wall until the last copy, faults summed). */
export interface CallSample {
  wallNs: number;
  minflt: number;
  majflt: number;
  maxrssKb: number;
  utimeUs: number;
  stimeUs: number;
}

export interface MeasuredCall {
  call: ScheduledCall;
  sample: CallSample;
}

function parseSample(line: string): CallSample {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const field = (name: keyof CallSample): number => {
    const value = parsed[name];
    if (typeof value !== "number") throw new Error(`runner output lacks ${name}: ${line}`);
    return value;
  };
  return {
    wallNs: field("wallNs"),
    minflt: field("minflt"),
    majflt: field("majflt"),
    maxrssKb: field("maxrssKb"),
    utimeUs: field("utimeUs"),
    stimeUs: field("stimeUs"),
  };
}

/** Runs the calls in order with the host side in `netnsPath`; throws with the runner's message if one fails. */
export function runPlan(runnerPath: string, netnsPath: string, calls: readonly ScheduledCall[], workDir: string): MeasuredCall[] {
  const captureDir = mkdtempSync(join(workDir, "capture-"));
  try {
    const result = spawnSync(runnerPath, [], {
      input: planText(netnsPath, captureDir, calls),
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["pipe", "pipe", "pipe"],
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`bench runner failed: ${result.stderr.trim()}`);
    const lines = result.stdout.split("\n").filter((l) => l.length > 0);
    if (lines.length !== calls.length) throw new Error(`bench runner reported ${lines.length} of ${calls.length} calls`);
    return calls.map((call, i) => ({ call, sample: parseSample(lines[i]!) }));
  } finally {
    rmSync(captureDir, { recursive: true, force: true });
  }
}
