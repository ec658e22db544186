// The plan the native runner (bench/runner) executes: a list of plugin calls, each tagged so its result
// line can be attributed to a row, an implementation and a round. Pure: unit-tested in bench/test/.

/** Which side of the comparison a call belongs to. */
export type Implementation = "ours" | "go";

/** One process the runner starts (or `parallel` copies of it at once), as a container runtime would. */
export interface PlanCall {
  /** The row this call's time counts for; undefined for untimed set-up/clean-up calls. */
  row?: string;
  /** Plugin name, for the peak-RSS table (e.g. "loopback"); undefined for non-plugin programs. */
  plugin?: string;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Path of a file fed on stdin. */
  stdinPath?: string;
  /** Append the stdout of the latest call with this key (see `key`) to the stdin JSON as prevResult. */
  prevResultOf?: string;
  /** Names this call's stdout for a later `prevResultOf`. */
  key?: string;
  expectStatus?: number;
  /** Start this many copies at once; `{i}` in argv/env becomes the copy number. */
  parallel?: number;
  /** The plugin's host network namespace for this call, when not the run's shared one (a side's own node). */
  hostNetns?: string;
}

/** A call placed in the schedule: which round, which side, whether it is a warm-up. */
export interface ScheduledCall extends PlanCall {
  round: number;
  implementation: Implementation;
  warmup: boolean;
}

/** Builds one implementation's calls for one round (round numbers count warm-ups first, from 0). */
export type RoundBuilder = (implementation: Implementation, round: number) => readonly PlanCall[];

/**
 * Interleaves the two sides: every round runs both, the order alternating (ours first in even rounds,
 * Go first in odd ones), so drift in the machine's load hits both alike. The first `warmup` rounds are
 * run and discarded.
 */
export function interleave(
  build: RoundBuilder,
  implementations: readonly Implementation[],
  warmup: number,
  rounds: number,
): ScheduledCall[] {
  const calls: ScheduledCall[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    const order = round % 2 === 0 ? implementations : [...implementations].reverse();
    for (const implementation of order) {
      for (const call of build(implementation, round)) {
        calls.push({ ...call, round, implementation, warmup: round < warmup });
      }
    }
  }
  return calls;
}

function checkField(what: string, value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x09 || c === 0x0a || c === 0x0d) throw new Error(`${what} holds a tab or newline: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The runner's plan text (directives documented in bench/runner/src/main.rs); tags name the call in errors.
 * Calls run in `netnsPath` unless they name their own `hostNetns`; the runner moves only when it changes.
 */
export function planText(netnsPath: string, captureDir: string, calls: readonly ScheduledCall[]): string {
  const lines: string[] = [`netns\t${checkField("netns", netnsPath)}`, `capture\t${checkField("capture", captureDir)}`];
  let current = netnsPath;
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i]!;
    const host = call.hostNetns ?? netnsPath;
    if (host !== current) {
      lines.push(`netns\t${checkField("netns", host)}`);
      current = host;
    }
    const what = call.row ?? (call.warmup ? "warm-up" : "untimed");
    lines.push(`call\t${checkField("row", `#${i} ${call.implementation} round ${call.round}${call.warmup ? " (warm-up)" : ""}: ${what}`)}`);
    if (call.key !== undefined) lines.push(`key\t${checkField("key", call.key)}`);
    for (const arg of call.argv) lines.push(`arg\t${checkField("arg", arg)}`);
    for (const name of Object.keys(call.env)) lines.push(`env\t${checkField("env", `${name}=${call.env[name]}`)}`);
    if (call.stdinPath !== undefined) lines.push(`stdin\t${checkField("stdin", call.stdinPath)}`);
    if (call.prevResultOf !== undefined) lines.push(`prev\t${checkField("prev", call.prevResultOf)}`);
    if (call.expectStatus !== undefined) lines.push(`expect\t${call.expectStatus}`);
    if (call.parallel !== undefined) lines.push(`parallel\t${call.parallel}`);
    lines.push("end");
  }
  return `${lines.join("\n")}\n`;
}
