// The pods-per-node benchmark's set-up against the real plugins (bin/ and Debian's /usr/lib/cni, as
// bench/run uses them): each side's node must hold N pods made by its own plugins, and a round must leave
// it holding N. Root: it makes namespaces (all named bench-pods-test-<pid>-*, removed at the end).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchSession, podsPerNodeBench } from "../lib/benches";
import { type Implementation, interleave } from "../lib/plan";
import { runPlan } from "../lib/runner";
import { buildRunner, RUNNER } from "./runner-build";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SIDES: readonly Implementation[] = ["ours", "go"];
const PODS = 3;
const prefix = `bench-pods-test-${process.pid}`;
const created: string[] = [];
let work = "";

function ip(args: readonly string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function createNetns(name: string): string {
  const full = `${prefix}-${name}`;
  ip(["netns", "add", full]);
  created.push(full);
  return `/var/run/netns/${full}`;
}

/** Names of the links enslaved to `bridge` in the namespace at `netnsPath`. */
function bridgePorts(netnsPath: string, bridge: string): string[] {
  const links = JSON.parse(ip(["-n", basename(netnsPath), "-j", "link", "show", "master", bridge])) as Array<{ ifname: string }>;
  return links.map((l) => l.ifname);
}

function inNetns(netnsPath: string, command: readonly string[]): string {
  return ip(["netns", "exec", basename(netnsPath), ...command]);
}

beforeAll(() => {
  buildRunner();
  work = mkdtempSync(join(tmpdir(), "bench-pods-test-"));
}, 120_000);

afterAll(() => {
  for (const name of created) spawnSync("ip", ["netns", "del", name]);
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("pods per node", () => {
  it(`set-up puts ${PODS} pods on each side's own node with its own plugins (ipMasq on); a round leaves ${PODS}`, () => {
    const bench = podsPerNodeBench(PODS, "nftables", () => 1);
    const session: BenchSession = bench.prepare({
      binDir: { ours: join(REPO_ROOT, "bin"), go: "/usr/lib/cni" },
      floorBinary: "/bin/true",
      workDir: work,
      createNetns,
    });
    const shared = createNetns("shared");
    expect(session.setup?.what).toBe(`${PODS} pods per side, one bridge ADD each`);
    const nodes = {} as Record<Implementation, string>;
    for (const side of SIDES) {
      const calls = session.setup!.calls[side];
      expect(calls).toHaveLength(PODS);
      nodes[side] = calls[0]!.hostNetns!;
      runPlan(RUNNER, shared, calls.map((call) => ({ ...call, round: 0, implementation: side, warmup: true })), work);
    }
    expect(nodes.ours).not.toBe(nodes.go);

    const checkNodes = (): void => {
      for (const side of SIDES) {
        const other = side === "ours" ? "go" : "ours";
        expect(bridgePorts(nodes[side], `cbr-${side}`), side).toHaveLength(PODS);
        // the sides never share a node: no trace of the other side's bridge here, nor on the shared host
        expect(spawnSync("ip", ["-n", basename(nodes[side]), "link", "show", `cbr-${other}`]).status).not.toBe(0);
        expect(spawnSync("ip", ["-n", basename(shared), "link", "show", `cbr-${side}`]).status).not.toBe(0);
        // each side's own host-local store: one lease file per pod (plus its bookkeeping files)
        const leases = readdirSync(join(work, `ipam-${side}`, `bench-br-${side}`)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
        expect(leases, side).toHaveLength(PODS);
      }
      // Go masquerades with an iptables chain per pod; ours with nftables, nothing in iptables
      const goChains = inNetns(nodes.go, ["iptables", "-t", "nat", "-S"]).split("\n").filter((l) => l.startsWith("-N CNI-"));
      expect(goChains).toHaveLength(PODS);
      expect(inNetns(nodes.ours, ["iptables", "-t", "nat", "-S"])).not.toContain("CNI-");
      expect(inNetns(nodes.ours, ["nft", "list", "ruleset"])).toContain("masquerade");
    };
    checkNodes();

    // one round: ADD of pod N+1 and its DEL, on each side's node
    const round = interleave(session.build, SIDES, 0, 1);
    expect(round.every((call) => call.hostNetns === nodes[call.implementation])).toBe(true);
    runPlan(RUNNER, shared, round, work);
    checkNodes();
  }, 120_000);
});
