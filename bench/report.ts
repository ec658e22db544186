// The benchmark report: runs every benchmark in bench/lib/benches.ts with ours and the Go reference
// interleaved, inside namespaces it creates, and writes bench/REPORT.md, bench/report.svg and the README's
// speed table. Run it through `bench/run` (which installs the Go plugins, builds, and builds the runner).
//
//   node_modules/.bin/bun bench/report.ts --runner PATH --floor PATH --run-id ID
//        [--rounds N] [--warmup N] [--only id,id] [--full] [--ours DIR] [--go DIR] [--max-load L] [--wait S] [--no-write]
//   node_modules/.bin/bun bench/report.ts --readme-only     (README's speed table from bench/REPORT.md)
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestNetns } from "../test/lib/netns";
import { BENCHES, type Bench, type BenchSetup } from "./lib/benches";
import { fullNodeBench } from "./lib/full-node";
import { nodePoolBench } from "./lib/node-pool";
import { defaultMaxLoad, keepWaiting, type LoadVerdict, loadVerdict, OWN_LOAD } from "./lib/load";
import { coreCount, loadAverage, loadAverageOneMinute, machineFacts } from "./lib/machine";
import { type Implementation, interleave } from "./lib/plan";
import {
  barChartSvg,
  formatBytes,
  type Percentiles,
  type ReportData,
  type RowResult,
  replaceReadmeBlock,
  reportMarkdown,
  type ScaleSection,
  type SetupTime,
  speedTableFromReport,
  type Summary,
} from "./lib/render";
import { type CallSample, runPlan } from "./lib/runner";
import type { ScaleBench } from "./lib/scale";
import { maximum, median, percentile } from "./lib/stats";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BENCH_DIR = join(REPO_ROOT, "bench");
const IMPLEMENTATIONS: readonly Implementation[] = ["ours", "go"];
/** The whole-node rows, after the per-call ones: minutes each, so only with --full or named by --only. */
const SCALE_BENCHES: readonly ScaleBench[] = [fullNodeBench(), nodePoolBench()];

interface Options {
  runner: string;
  floor: string;
  runId: string;
  rounds: number;
  warmup: number;
  only?: readonly string[];
  /** Also the whole-node rows (SCALE_BENCHES). */
  full: boolean;
  binDir: Record<Implementation, string>;
  write: boolean;
  /** Ceiling of the 1-minute load average for a report worth writing (default half the cores). */
  maxLoad: number;
  /** How long to wait for the load to fall under maxLoad before measuring a report to be written. */
  waitSeconds: number;
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  let write = true;
  let full = false;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    if (name === "--no-write") {
      write = false;
      continue;
    }
    if (name === "--full") {
      full = true;
      continue;
    }
    const value = argv[i + 1];
    if (!name.startsWith("--") || value === undefined) throw new Error(`bad argument ${name}`);
    values.set(name.slice(2), value);
    i++;
  }
  const known = new Set(["runner", "floor", "run-id", "rounds", "warmup", "only", "ours", "go", "max-load", "wait"]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}`);
  const required = (key: string): string => {
    const v = values.get(key);
    if (v === undefined) throw new Error(`--${key} is required (run bench/run)`);
    return v;
  };
  const count = (key: string, fallback: number, min: number): number => {
    const v = values.get(key);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${key} needs an integer >= ${min}`);
    return n;
  };
  const maxLoadText = values.get("max-load");
  const maxLoad = maxLoadText === undefined ? defaultMaxLoad(coreCount()) : Number(maxLoadText);
  if (!(maxLoad > 0)) throw new Error("--max-load needs a number > 0");
  const runId = required("run-id");
  if (!/^[a-z0-9-]{1,24}$/.test(runId)) throw new Error("--run-id: up to 24 of [a-z0-9-]");
  const only = values.get("only");
  return {
    runner: required("runner"),
    floor: required("floor"),
    runId,
    rounds: count("rounds", 100, 1),
    warmup: count("warmup", 5, 0),
    ...(only === undefined ? {} : { only: only.split(",") }),
    full,
    binDir: { ours: resolve(values.get("ours") ?? join(REPO_ROOT, "bin")), go: values.get("go") ?? "/usr/lib/cni" },
    write,
    maxLoad,
    waitSeconds: count("wait", 180, 0),
  };
}

/** Network namespaces of this run, all named `<runId>-*`; bench/run's trap removes leftovers by that prefix. */
class Namespaces {
  private readonly created: string[] = [];
  constructor(private readonly runId: string) {}

  create(name: string): string {
    return this.createMany([name])[0]!.path;
  }

  /** One `ip` for all of them (the whole-node rows make thousands). */
  createMany(names: readonly string[]): TestNetns[] {
    const full = names.map((name) => `${this.runId}-${name}`);
    this.created.push(...full);
    const r = spawnSync("ip", ["-batch", "-"], { input: `${full.map((name) => `netns add ${name}`).join("\n")}\n`, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip netns add ${full.join(" ")}: ${r.stderr.trim()}`.slice(0, 2000));
    return full.map((name) => ({ name, path: `/var/run/netns/${name}` }));
  }

  /** One `ip` for all of them (the pods-per-node rows make hundreds); -force goes on past a missing one. */
  removeAll(): void {
    if (this.created.length === 0) return;
    const commands = this.created.reverse().map((name) => `netns del ${name}`);
    this.created.length = 0;
    spawnSync("ip", ["-force", "-batch", "-"], { input: `${commands.join("\n")}\n`, encoding: "utf8" });
  }
}

function summarize(samples: readonly CallSample[]): Summary {
  const ms = samples.map((s) => s.wallNs / 1e6);
  return {
    count: samples.length,
    medianMs: median(ms),
    p95Ms: percentile(ms, 95),
    minflt: median(samples.map((s) => s.minflt)),
    majflt: median(samples.map((s) => s.majflt)),
    cpuMs: median(samples.map((s) => (s.utimeUs + s.stimeUs) / 1000)),
  };
}

/** Bytes of the regular files in `dir` (or just `names` in it), each hard-linked file counted once. */
function directorySize(dir: string, names?: readonly string[]): { bytes: number; names: number; files: number } {
  const seen = new Set<string>();
  let bytes = 0;
  let count = 0;
  for (const name of names ?? readdirSync(dir)) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const st = lstatSync(path);
    if (!st.isFile()) continue;
    count++;
    const inode = `${st.dev}:${st.ino}`;
    if (seen.has(inode)) continue;
    seen.add(inode);
    bytes += st.size;
  }
  return { bytes, names: count, files: seen.size };
}

function sizeRows(binDir: Record<Implementation, string>, goPlugins: readonly string[], runId: string): Array<[string, string]> {
  const ours = directorySize(binDir.ours);
  const goSame = directorySize(binDir.go, goPlugins);
  const goAll = directorySize(binDir.go);
  const describe = (s: { bytes: number; names: number; files: number }): string =>
    `${formatBytes(s.bytes)} (${s.names} names, ${s.files} distinct file${s.files === 1 ? "" : "s"})`;
  const rows: Array<[string, string]> = [
    [`ours: bin/ (hard links counted once)`, describe(ours)],
    [`Go: the plugins measured here (${goPlugins.join(", ")})`, describe(goSame)],
    [`Go: the whole package (${binDir.go})`, describe(goAll)],
  ];
  const installer = join(REPO_ROOT, "scripts", "install.sh");
  rows.push(["ours: installed form (scripts/install.sh)", existsSync(installer) ? installedSize(installer, runId) : "pending: scripts/install.sh does not exist yet"]);
  return rows;
}

/** Installs into a throwaway directory and measures what landed there. */
function installedSize(installer: string, runId: string): string {
  const dest = mkdtempSync(`/tmp/${runId}-install-`);
  try {
    const r = spawnSync(installer, [dest], { encoding: "utf8", cwd: REPO_ROOT });
    if (r.status !== 0) return `not measured: scripts/install.sh ${dest} failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`;
    const s = directorySize(dest);
    return `${formatBytes(s.bytes)} (${s.names} names, ${s.files} distinct files)`;
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/** Accumulates `more` into `total`: times and faults add up, peak RSS is the larger. */
function addSample(total: CallSample, more: CallSample): void {
  total.wallNs += more.wallNs;
  total.minflt += more.minflt;
  total.majflt += more.majflt;
  total.utimeUs += more.utimeUs;
  total.stimeUs += more.stimeUs;
  total.maxrssKb = Math.max(total.maxrssKb, more.maxrssKb);
}

/** A path inside the repository relative to it (the report is committed), any other as it is. */
function displayPath(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith("..") ? path : `${rel}/`;
}

/** When our executables were built (newest file in the directory), so a stale bin/ shows. */
function oursBuilt(dir: string): string {
  let newest = 0;
  try {
    for (const name of readdirSync(dir)) newest = Math.max(newest, lstatSync(join(dir, name)).mtimeMs);
  } catch {
    return "";
  }
  return newest === 0 ? "" : `, built ${new Date(newest).toISOString().replace(/\.\d+Z$/, "Z")}`;
}

interface Collected {
  rows: Map<string, Record<Implementation, CallSample[]>>;
  rss: Map<string, Record<Implementation, number[]>>;
  /** 1-minute load average as each benchmark starts measuring. */
  loadDuring: number[];
  setup: SetupTime[];
}

/** Runs each side's set-up calls by themselves (untimed: no row), timing each side's whole set-up. */
function runSetup(bench: Bench, setup: BenchSetup, options: Options, hostNetns: string, workDir: string): SetupTime {
  const seconds = {} as Record<Implementation, number>;
  for (const side of IMPLEMENTATIONS) {
    const calls = setup.calls[side].map((call) => ({ ...call, round: 0, implementation: side, warmup: true }));
    const started = Date.now();
    runPlan(options.runner, hostNetns, calls, workDir);
    seconds[side] = (Date.now() - started) / 1000;
  }
  process.stderr.write(`  set-up, ${setup.what}: ours ${seconds.ours.toFixed(1)} s, Go ${seconds.go.toFixed(1)} s\n`);
  return { bench: bench.id, what: setup.what, oursS: seconds.ours, goS: seconds.go };
}

function runBench(bench: Bench, options: Options, hostNetns: string, namespaces: Namespaces, collected: Collected): void {
  const rounds = bench.rounds(options.rounds);
  const workDir = mkdtempSync(`/tmp/${options.runId}-${bench.id}-`);
  const preparing = Date.now();
  try {
    const session = bench.prepare({
      binDir: options.binDir,
      floorBinary: options.floor,
      workDir,
      createNetns: (name) => namespaces.create(`${bench.id}-${name}`),
    });
    try {
      if (session.setup !== undefined) collected.setup.push(runSetup(bench, session.setup, options, hostNetns, workDir));
      const calls = interleave(session.build, IMPLEMENTATIONS, bench.warmup?.(options.warmup) ?? options.warmup, rounds);
      collected.loadDuring.push(loadAverageOneMinute());
      const started = Date.now();
      const measured = runPlan(options.runner, hostNetns, calls, workDir);
      const seconds = (from: number, to: number): string => ((to - from) / 1000).toFixed(1);
      process.stderr.write(`  set-up ${seconds(preparing, started)} s, ${calls.length} calls in ${seconds(started, Date.now())} s, load ${loadAverage()}\n`);
      // a row's sample is one round of one side: the sum of that round's calls for the row (usually one)
      const perRound = new Map<string, { row: string; implementation: Implementation; sample: CallSample }>();
      for (const { call, sample } of measured) {
        if (call.warmup || call.row === undefined) continue;
        const key = `${call.row}\u0000${call.implementation}\u0000${call.round}`;
        const sum = perRound.get(key);
        if (sum === undefined) perRound.set(key, { row: call.row, implementation: call.implementation, sample: { ...sample } });
        else addSample(sum.sample, sample);
      }
      for (const { row: name, implementation, sample } of perRound.values()) {
        let row = collected.rows.get(name);
        if (row === undefined) collected.rows.set(name, (row = { ours: [], go: [] }));
        row[implementation].push(sample);
      }
      for (const { call, sample } of measured) {
        if (call.warmup || call.plugin === undefined) continue;
        let rss = collected.rss.get(call.plugin);
        if (rss === undefined) collected.rss.set(call.plugin, (rss = { ours: [], go: [] }));
        rss[call.implementation].push(sample.maxrssKb);
      }
    } finally {
      session.teardown?.();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The executables of `plugins` missing from their side's directory. */
function missingPlugins(plugins: Readonly<Record<Implementation, readonly string[]>>, binDir: Record<Implementation, string>): string[] {
  const missing: string[] = [];
  for (const side of IMPLEMENTATIONS) {
    for (const p of plugins[side]) if (!existsSync(join(binDir[side], p))) missing.push(join(binDir[side], p));
  }
  return missing;
}

function percentiles(samples: readonly number[]): Percentiles | undefined {
  return samples.length === 0 ? undefined : { count: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}

/** Runs one whole-node benchmark with namespaces and a work directory of its own, removed at its end (also on failure). */
async function runScaleBench(bench: ScaleBench, options: Options, hostNetns: string): Promise<ScaleSection> {
  const workDir = mkdtempSync(`/tmp/${options.runId}-${bench.id}-`);
  const namespaces = new Namespaces(options.runId);
  const started = Date.now();
  try {
    const result = await bench.run({
      binDir: options.binDir,
      workDir,
      rounds: options.rounds,
      runCalls: (calls) => runPlan(options.runner, hostNetns, calls, workDir),
      createNetns: (names) => namespaces.createMany(names.map((name) => `${bench.id}-${name}`)),
      progress: (text) => process.stderr.write(`  ${text}\n`),
    });
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    process.stderr.write(`  ${minutes} min, load ${loadAverage()}\n`);
    const rows = result.rows.map(({ name, ours, go }) => {
      const [o, g] = [percentiles(ours), percentiles(go)];
      return { name, ...(o ? { ours: o } : {}), ...(g ? { go: g } : {}) };
    });
    return { title: bench.title, about: `${bench.about} ${minutes} min in this run (both sides).`, rows, facts: result.facts };
  } finally {
    namespaces.removeAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** bench/run's exit status when it measured but refused to write the report (the machine was busy). */
const NOISY_EXIT = 3;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits (bounded) until the 1-minute load average is at or under the ceiling, showing it as it falls. */
function waitForQuiet(maxLoad: number, waitSeconds: number): void {
  const started = Date.now();
  let load = loadAverageOneMinute();
  if (!keepWaiting(load, maxLoad, 0, waitSeconds * 1000)) return;
  process.stderr.write(`waiting up to ${waitSeconds} s for the load average to fall to ${maxLoad.toFixed(2)}: ${load.toFixed(2)}`);
  while (keepWaiting(load, maxLoad, Date.now() - started, waitSeconds * 1000)) {
    sleepMs(5000);
    load = loadAverageOneMinute();
    process.stderr.write(` ${load.toFixed(2)}`);
  }
  process.stderr.write(load > maxLoad ? " — still above: measuring anyway, the report will be marked noisy\n" : "\n");
}

function loadRange(samples: readonly number[]): string {
  if (samples.length === 0) return "—";
  const sorted = [...samples].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(2)} to ${sorted[sorted.length - 1]!.toFixed(2)} over ${samples.length} benchmarks (the run's own calls add about ${OWN_LOAD})`;
}

function gateText(verdict: LoadVerdict, maxLoad: number): string {
  const ceilings = `1-min load at most ${maxLoad.toFixed(2)} before, ${(maxLoad + OWN_LOAD).toFixed(2)} during (${coreCount()} cores)`;
  return verdict.quiet ? `passed: ${ceilings}` : `${verdict.reason} (${ceilings})`;
}

/** Rewrites the README's speed table from the committed REPORT.md (no measuring). */
function updateReadme(report: string): void {
  const readmePath = join(REPO_ROOT, "README.md");
  writeFileSync(readmePath, replaceReadmeBlock(readFileSync(readmePath, "utf8"), speedTableFromReport(report)));
}

async function main(): Promise<void> {
  if (process.argv.includes("--readme-only")) {
    updateReadme(readFileSync(join(BENCH_DIR, "REPORT.md"), "utf8"));
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
  const machine = machineFacts(REPO_ROOT, bun);
  const writing = options.write && options.only === undefined;
  // a report to be written is worth a bounded wait for the load to fall (the build before lifts it)
  if (writing) waitForQuiet(options.maxLoad, options.waitSeconds);
  const loadBefore = loadAverage();
  const loadBeforeOneMinute = loadAverageOneMinute();
  const namespaces = new Namespaces(options.runId);
  const collected: Collected = { rows: new Map(), rss: new Map(), loadDuring: [], setup: [] };
  const pending: string[] = [];
  const failed: string[] = [];
  const startupBound = new Set<string>();
  const rowOrder: string[] = [];
  const measuredGoPlugins = new Set<string>();
  const scale: ScaleSection[] = [];
  const scaleNotRun: Array<{ title: string; how: string }> = [];
  const started = Date.now();
  try {
    const hostNetns = namespaces.create("host");
    for (const bench of BENCHES) {
      if (options.only !== undefined && !options.only.includes(bench.id)) continue;
      const missing = missingPlugins(bench.plugins, options.binDir);
      if (missing.length > 0) {
        pending.push(`${bench.rows.join("; ")} — waits for ${missing.join(", ")}`);
        continue;
      }
      const warmup = bench.warmup?.(options.warmup) ?? options.warmup;
      process.stderr.write(`${bench.id}: ${bench.rounds(options.rounds)} rounds + ${warmup} warm-up, ours and Go interleaved\n`);
      try {
        runBench(bench, options, hostNetns, namespaces, collected);
      } catch (error) {
        // one broken plugin must not cost the other rows: the report names the failure, the exit code shows it
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`  FAILED: ${message}\n`);
        failed.push(`${bench.rows.join("; ")}: ${message}`);
        continue;
      }
      for (const row of bench.rows) {
        rowOrder.push(row);
        if (bench.startupBound) startupBound.add(row);
      }
      for (const p of bench.plugins.go) measuredGoPlugins.add(p);
    }
    // after every per-call row: they take minutes and the node pool lifts the load (it samples it first)
    for (const bench of SCALE_BENCHES) {
      if (options.only === undefined ? !options.full : !options.only.includes(bench.id)) {
        if (options.only === undefined) scaleNotRun.push({ title: bench.title, how: `\`bench/run --full\` (or \`--only ${bench.id}\`) measures it` });
        continue;
      }
      const missing = missingPlugins(bench.plugins, options.binDir);
      if (missing.length > 0) {
        pending.push(`${bench.title} — waits for ${missing.join(", ")}`);
        continue;
      }
      // the load the rows before left (their namespaces' teardown included) falls first, as before the run
      if (writing) waitForQuiet(options.maxLoad, options.waitSeconds);
      collected.loadDuring.push(loadAverageOneMinute());
      process.stderr.write(`${bench.id}: ${bench.title}, ours and Go, load ${loadAverage()}\n`);
      try {
        scale.push(await runScaleBench(bench, options, hostNetns));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`  FAILED: ${message}\n`);
        failed.push(`${bench.title}: ${message}`);
        continue;
      }
      for (const p of bench.plugins.go) measuredGoPlugins.add(p);
    }
  } finally {
    namespaces.removeAll();
  }
  const rows: RowResult[] = rowOrder.map((name) => {
    const samples = collected.rows.get(name);
    const side = (i: Implementation): Summary | undefined =>
      samples === undefined || samples[i].length === 0 ? undefined : summarize(samples[i]);
    const ours = side("ours");
    const go = side("go");
    return { name, startupBound: startupBound.has(name), ...(ours ? { ours } : {}), ...(go ? { go } : {}) };
  });
  const peakRss = [...collected.rss.entries()].map(([plugin, kb]) => ({
    plugin,
    ...(kb.ours.length > 0 ? { oursKb: maximum(kb.ours) } : {}),
    ...(kb.go.length > 0 ? { goKb: maximum(kb.go) } : {}),
    calls: Math.max(kb.ours.length, kb.go.length),
  }));
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const verdict = loadVerdict({ before: loadBeforeOneMinute, during: collected.loadDuring }, options.maxLoad);
  const data: ReportData = {
    machine: [
      ...machine,
      ["ours", `${displayPath(options.binDir.ours)}${oursBuilt(options.binDir.ours)}`],
      ["Go", options.binDir.go],
      ["rounds", `${options.rounds} per row by default (fewer for slow rows, see "calls per side"), after ${options.warmup} warm-up rounds; ${minutes} min in all`],
      ["load average (1/5/15 min)", `${loadBefore} before, ${loadAverage()} after`],
      ["load average during (1 min, as each benchmark starts)", loadRange(collected.loadDuring)],
      ["quiet-machine gate", gateText(verdict, options.maxLoad)],
    ],
    ...(verdict.quiet ? {} : { noisy: verdict.reason }),
    rows,
    peakRss,
    sizes: sizeRows(options.binDir, [...measuredGoPlugins], options.runId),
    pending,
    failed,
    setup: collected.setup,
    scale,
    scaleNotRun,
    chartFile: "report.svg",
    command: "bench/run",
  };
  const report = reportMarkdown(data);
  const svg = barChartSvg(rows, "Median ms per plugin call (log scale): Go reference vs ours");
  const resultsDir = join(BENCH_DIR, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "samples.json"), JSON.stringify({ machine: data.machine, rows: Object.fromEntries(collected.rows) }));
  // a partial run (--only) never replaces the committed report, nor does one measured on a busy machine
  if (!writing || !verdict.quiet) {
    writeFileSync(join(resultsDir, "REPORT.md"), report);
    writeFileSync(join(resultsDir, "report.svg"), svg);
    process.stdout.write(report);
    if (failed.length > 0) process.exitCode = 1;
    if (writing && !verdict.quiet) {
      process.stderr.write(`bench/run: ${verdict.reason}: bench/REPORT.md and README.md left as they were; this report is in bench/results/REPORT.md\n`);
      process.exitCode = NOISY_EXIT;
    }
    return;
  }
  writeFileSync(join(BENCH_DIR, "REPORT.md"), report);
  writeFileSync(join(BENCH_DIR, "report.svg"), svg);
  updateReadme(report);
  process.stdout.write(report);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/report.ts: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
