// The whole-node rows at a small size against the real plugins (bin/ and Debian's /usr/lib/cni, as bench/run
// uses them): every row gets its samples on both sides, the facts are measured (every pod reached its
// gateway, GC left only the live pods), and a benchmark that fails on the way leaves no runtime process.
// Root: it makes namespaces (all named bench-scale-test-<pid>-*, removed after each test).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestNetns } from "../../test/lib/netns";
import { fullNodeBench } from "../lib/full-node";
import { nodePoolBench } from "../lib/node-pool";
import { runPlan } from "../lib/runner";
import type { ScaleContext } from "../lib/scale";
import { buildRunner, RUNNER } from "./runner-build";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const prefix = `bench-scale-test-${process.pid}`;
const created: string[] = [];
let work = "";

function context(binDir: ScaleContext["binDir"]): ScaleContext {
  work = mkdtempSync(join(tmpdir(), "bench-scale-test-"));
  const host = `${prefix}-host`;
  spawnSync("ip", ["netns", "add", host]);
  created.push(host);
  return {
    binDir,
    workDir: work,
    rounds: 5, // one sample per plateau
    runCalls: (calls) => runPlan(RUNNER, `/var/run/netns/${host}`, calls, work),
    createNetns(names: readonly string[]): TestNetns[] {
      return names.map((name) => {
        const full = `${prefix}-${name}`;
        created.push(full);
        const r = spawnSync("ip", ["netns", "add", full], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`ip netns add ${full}: ${r.stderr}`);
        return { name: full, path: `/var/run/netns/${full}` };
      });
    },
    progress: () => undefined,
  };
}

/** Runtime processes (bench/node-runtime.ts) still running. */
function runtimesLeft(): string[] {
  const r = spawnSync("pgrep", ["-af", "bench/node-runtime.ts"], { encoding: "utf8" });
  return r.stdout.split("\n").filter((line) => line.includes(prefix));
}

beforeAll(buildRunner, 120_000);

afterEach(() => {
  spawnSync("ip", ["-force", "-batch", "-"], { input: created.splice(0).map((name) => `netns del ${name}\n`).join("") });
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

const PLUGINS = { ours: join(REPO_ROOT, "bin"), go: "/usr/lib/cni" };

describe("whole-node rows", () => {
  it("a full node of 8 pods: ADD and DEL sampled at each plateau on both sides, every pod reaches its gateway on both families", async () => {
    const result = await fullNodeBench(8).run(context(PLUGINS));
    expect(result.rows.map((row) => row.name)).toEqual([
      "pod ADD, 0 pods attached",
      "pod DEL, 0 pods attached",
      "pod ADD, 2 pods attached",
      "pod DEL, 2 pods attached",
      "pod ADD, 4 pods attached",
      "pod DEL, 4 pods attached",
      "pod ADD, 8 pods attached",
      "pod DEL, 8 pods attached",
      "host-local ADD alone, 8 pods attached",
      "host-local DEL alone, 8 pods attached",
      "bridge (with host-local) ADD alone, 8 pods attached",
      "portmap ADD alone, 8 pods attached",
      "portmap DEL alone, 8 pods attached",
      "bridge (with host-local) DEL alone, 8 pods attached",
    ]);
    for (const row of result.rows) {
      expect(row.ours, row.name).toHaveLength(1);
      expect(row.go, row.name).toHaveLength(1);
    }
    const fact = (start: string): { go: string; ours: string } => result.facts.find((f) => f.what.startsWith(start))!;
    expect(fact("pods whose datagram reached")).toMatchObject({ go: "8 of 8 over IPv4, 8 of 8 over IPv6", ours: "8 of 8 over IPv4, 8 of 8 over IPv6" });
    // Go masquerades with a chain per pod and family, and portmap's chains: its rules grow with the pods
    expect(Number(fact("`iptables-save`").go)).toBeGreaterThan(8 * 2);
    expect(fact("peak RSS").ours).toMatch(/^host-local [\d.]+ MiB, loopback [\d.]+ MiB, bridge [\d.]+ MiB, portmap [\d.]+ MiB$/);
    expect(runtimesLeft()).toEqual([]);
  }, 300_000);

  it("a pool of 3 nodes x 2 pods: setup and churn timed on both sides; GC leaves ours only the live pods, Go one uncached lease per node", async () => {
    const result = await nodePoolBench(2).run(context(PLUGINS));
    expect(result.rows.map((row) => [row.name, row.ours.length, row.go.length])).toEqual([
      ["pod ADD while starting 2 pods per node (3 nodes × 3 in flight)", 6, 6],
      ["pod ADD during churn", 27, 27],
      ["pod DEL during churn", 27, 27],
    ]);
    const fact = (start: string): { go: string; ours: string } => result.facts.find((f) => f.what.startsWith(start))!;
    expect(fact("pod to pod")).toMatchObject({ ours: "12/12; 6/6", go: "12/12; 6/6" });
    expect(fact("left after GC")).toMatchObject({ ours: "6 / 6 / 12", go: "9 / 6 / 12" });
    expect(runtimesLeft()).toEqual([]);
  }, 300_000);

  it("a benchmark failing on the way stops its runtimes and says why", async () => {
    await expect(fullNodeBench(2).run(context({ ours: PLUGINS.ours, go: "/nonexistent" }))).rejects.toThrow(/loopback|not found|no such/i);
    expect(runtimesLeft()).toEqual([]);
  }, 120_000);
});
