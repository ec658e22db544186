// Whole-node rows: what a node's runtime sees when it holds many pods (bench/lib/full-node.ts) or when
// several nodes churn at once (bench/lib/node-pool.ts). Unlike the per-call rows (benches.ts, timed by the
// native runner one plugin process at a time), these drive @cni/libcni as a runtime does, through a runtime
// process inside each node's namespace (bench/node-runtime.ts), and time each pod's ADD or DEL there.
// Slow (minutes): in bench/run's report only with --full, or when --only names them.
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TestNetns } from "../../test/lib/netns";
import { NodeRuntime, type NodeRuntimeSpec } from "./node-runtime";
import type { Implementation, ScheduledCall } from "./plan";
import { formatBytes } from "./render";
import type { MeasuredCall } from "./runner";

export interface ScaleContext {
  /** Our executables (bin/) and the Go ones (/usr/lib/cni). */
  binDir: Readonly<Record<Implementation, string>>;
  /** A throwaway directory for this benchmark's files, removed afterwards. */
  workDir: string;
  /** The run's default rounds (--rounds): sample counts scale with it. */
  rounds: number;
  /** Throwaway network namespaces (removed when the benchmark ends, also on failure), made in one batch. */
  createNetns(names: readonly string[]): TestNetns[];
  /** Runs plugin calls one at a time through the native runner (bench/runner), as the per-call rows: wall and rusage of each. */
  runCalls(calls: readonly ScheduledCall[]): MeasuredCall[];
  /** A progress line on stderr. */
  progress(text: string): void;
}

/** One row of a whole-node section: every sample's milliseconds, per side. */
export interface ScaleSamples {
  name: string;
  ours: number[];
  go: number[];
}

/** A measured fact beside the rows (sizes, wall times, checks), as text per side. */
export interface ScaleFact {
  what: string;
  go: string;
  ours: string;
}

export interface ScaleResult {
  rows: ScaleSamples[];
  facts: ScaleFact[];
}

export interface ScaleBench {
  /** Short id, for `--only` and progress lines. */
  id: string;
  /** The report section's title. */
  title: string;
  /** What the section measures and how (a paragraph of the report). */
  about: string;
  /** Plugin executables each side needs; a missing one leaves the section listed as pending. */
  plugins: Readonly<Record<Implementation, readonly string[]>>;
  run(context: ScaleContext): Promise<ScaleResult>;
}

export const SIDES: readonly Implementation[] = ["ours", "go"];

/** The loopback network as go-cni's WithLoNetwork adds it, at a version both sides speak. */
export function loopbackConflist(cniVersion: string): string {
  return JSON.stringify({ cniVersion, name: "cni-loopback", plugins: [{ type: "loopback" }] });
}

/** Starts a node's runtime (its networks, its result cache under `dir`) inside the node's namespace. */
export function startRuntime(node: TestNetns, pluginDir: string, networks: readonly string[], dir: string): NodeRuntime {
  mkdirSync(dir, { recursive: true });
  const spec: NodeRuntimeSpec = { pluginDir, cacheDir: join(dir, "cache"), networks };
  return NodeRuntime.start(node.name, spec, join(dir, `runtime-${node.name}.json`));
}

/** Closes every runtime, whatever happened (a failed benchmark must not leave them running). */
export async function closeAll(runtimes: readonly NodeRuntime[]): Promise<void> {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
}

/** Regular files below `dir` (recursively): their count, bytes, and bytes allocated on disk. */
export function treeSize(dir: string): { files: number; bytes: number; diskBytes: number } {
  const total = { files: 0, bytes: 0, diskBytes: 0 };
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (st.isFile()) {
      total.files++;
      total.bytes += st.size;
      total.diskBytes += st.blocks * 512;
    }
  };
  walk(dir);
  return total;
}

export function describeTree(size: { files: number; bytes: number; diskBytes: number }): string {
  return `${size.files.toLocaleString("en-US")} files, ${formatBytes(size.bytes)} (${formatBytes(size.diskBytes)} on disk)`;
}

/** `ip netns exec NAME command...`'s stdout; throws with its stderr when it fails. */
export function inNode(node: TestNetns, command: readonly string[]): string {
  const r = spawnSync("ip", ["netns", "exec", node.name, ...command], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ip netns exec ${node.name} ${command.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The node's packet filtering as nftables holds it (iptables-nft's rules included): rules, chains, bytes listed. */
export function rulesetSize(node: TestNetns): string {
  const listed = inNode(node, ["nft", "list", "ruleset"]);
  const objects = (JSON.parse(inNode(node, ["nft", "-j", "list", "ruleset"])) as { nftables: Array<Record<string, unknown>> }).nftables;
  const count = (kind: string): number => objects.filter((o) => kind in o).length;
  return `${count("rule").toLocaleString("en-US")} rules in ${count("chain").toLocaleString("en-US")} chains; \`nft list ruleset\` ${formatBytes(Buffer.byteLength(listed))}`;
}

/** Lines of `iptables-save` and `ip6tables-save`: what an iptables user sees of the node's rules. */
export function iptablesLines(node: TestNetns): number {
  let lines = 0;
  for (const tool of ["iptables-save", "ip6tables-save"]) lines += inNode(node, [tool]).split("\n").filter((l) => l.length > 0).length;
  return lines;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatKb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MiB`;
}
