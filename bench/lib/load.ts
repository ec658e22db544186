// Is the machine quiet enough for a report worth committing? Other work on the machine slows both sides,
// but not alike (start-up and the kernel's waits suffer differently), so ratios measured under load mislead.
// Pure: unit-tested in bench/test/.

/** The default ceiling of the 1-minute load average: half the cores (1.0 on a 2-core machine). */
export function defaultMaxLoad(cores: number): number {
  return 0.5 * cores;
}

/**
 * What the run itself adds to the load average while it measures: its calls run one at a time, so about
 * one task is always running or waiting in the kernel (rtnl, RCU grace periods). The one benchmark that
 * starts 20 calls at once runs last, after the last sample.
 */
export const OWN_LOAD = 1;

export interface LoadRecord {
  /** 1-minute load average just before measuring. */
  before: number;
  /** 1-minute load average as each benchmark starts measuring (the run's own calls included). */
  during: readonly number[];
}

export type LoadVerdict = { quiet: true } | { quiet: false; reason: string };

const fixed = (value: number): string => value.toFixed(2);

/** Quiet when the load stayed at or under the ceiling before, and under ceiling + OWN_LOAD during the run. */
export function loadVerdict(load: LoadRecord, maxLoad: number): LoadVerdict {
  if (load.before > maxLoad) {
    return { quiet: false, reason: `noisy: load average ${fixed(load.before)} > ${fixed(maxLoad)} before the run` };
  }
  let peak = Number.NEGATIVE_INFINITY;
  for (const l of load.during) peak = Math.max(peak, l);
  if (peak > maxLoad + OWN_LOAD) {
    return {
      quiet: false,
      reason: `noisy: load average ${fixed(peak)} > ${fixed(maxLoad + OWN_LOAD)} during the run (${fixed(maxLoad)} + ${OWN_LOAD} for the run's own calls)`,
    };
  }
  return { quiet: true };
}

/** Whether to go on waiting for the load to fall before measuring: above the ceiling and time left. */
export function keepWaiting(load: number, maxLoad: number, waitedMs: number, limitMs: number): boolean {
  return load > maxLoad && waitedMs < limitMs;
}
