// Crashes mid-operation: bin/bridge and bin/veth (dual stack, ipMasq on, IPAM host-local in-process) are
// SIGKILLed by strace at their Nth netlink send or Nth file/sysctl write during ADD, at points spread over the
// whole call (before IPAM, after the lease, after the veth, after the addresses, mid-masquerade). After each
// kill the runtime's clean-up must leave nothing: DEL (with/without prevResult, netns present/gone/unset)
// and then GC with an empty valid list. Trials per plugin: CNI_CRASH_TRIALS (default 25; "all" = every point);
// a few more with bridge's iptables backend (its iptables children are traced, and may be the ones killed).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { findLeftovers, leftoverCount, type Leftovers } from "./lib/leftovers";
import { cleanupAll, createNetns, deleteNetns, type TestNetns } from "./lib/netns";
import { BIN_DIR, ourPlugin, runPlugin, type PluginCall } from "./lib/plugin";
import { countSyscalls, runKilledAt, spreadKillPoints, straceAvailable, type KillPoint } from "./lib/strace";

const TRIALS_SETTING = process.env.CNI_CRASH_TRIALS ?? "25";
const TRIALS = TRIALS_SETTING === "all" ? Number.MAX_SAFE_INTEGER : Number(TRIALS_SETTING);
const BRIDGE_NAME = "crbr0";

type NetnsAtDel = "present" | "gone" | "unset";
const NETNS_AT_DEL: NetnsAtDel[] = ["present", "gone", "unset"];

interface PluginCase {
  /** test name */
  label: string;
  plugin: string;
  /** kill points for this case (the iptables backend is slow under strace: fewer) */
  trials: number;
  network: string;
  bridge?: string;
  config(dataDir: string): Record<string, unknown>;
}

const CASES: PluginCase[] = [
  {
    label: "bridge",
    plugin: "bridge",
    trials: TRIALS,
    network: "crashbr",
    bridge: BRIDGE_NAME,
    config: (dataDir) => ({
      cniVersion: "1.1.0",
      name: "crashbr",
      type: "bridge",
      bridge: BRIDGE_NAME,
      isDefaultGateway: true,
      ipMasq: true,
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.93.0.0/24" }], [{ subnet: "fd93::/64" }]] },
    }),
  },
  {
    label: "bridge, iptables backend",
    plugin: "bridge",
    trials: Math.min(TRIALS, 12),
    network: "crashipt",
    bridge: BRIDGE_NAME,
    config: (dataDir) => ({
      cniVersion: "1.1.0",
      name: "crashipt",
      type: "bridge",
      bridge: BRIDGE_NAME,
      isGateway: true,
      ipMasq: true,
      ipMasqBackend: "iptables",
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.90.0.0/24" }], [{ subnet: "fd90::/64" }]] },
    }),
  },
  {
    label: "veth",
    plugin: "veth",
    trials: TRIALS,
    network: "crashveth",
    config: (dataDir) => ({
      cniVersion: "1.1.0",
      name: "crashveth",
      type: "veth",
      ipMasq: true,
      ipam: {
        type: "host-local",
        dataDir,
        ranges: [[{ subnet: "10.94.0.0/24" }], [{ subnet: "fd94::/64" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    }),
  },
];

const workDirs: string[] = [];
afterEach(cleanupAll);
afterAll(() => {
  cleanupAll();
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

interface TrialOutcome {
  point: KillPoint;
  killed: boolean;
  variant: string;
  afterDel: Leftovers;
  ownerlessLeases: number;
  afterGc: Leftovers;
  probeOk: boolean;
}

describe.skipIf(!straceAvailable())("SIGKILL during ADD, then DEL and GC leave nothing", () => {
  let totalTrials = 0;
  let totalKilled = 0;
  afterAll(() => {
    console.log(`crash: ${totalTrials} trials, ${totalKilled} kills mid-ADD, leftovers checked after each`);
  });

  for (const pc of CASES) {
    it(`${pc.label}: kill points spread over ADD`, () => {
      const binary = ourPlugin(pc.plugin);
      const work = mkdtempSync(join(tmpdir(), `cni-crash-${pc.plugin}-`));
      workDirs.push(work);
      const dataDir = join(work, "ipam");
      const conf = pc.config(dataDir);
      const call = (command: string, host: TestNetns, extra: Partial<PluginCall>): PluginCall => ({
        command,
        ifName: "eth0",
        path: BIN_DIR,
        stdin: conf,
        hostNetns: host,
        ...extra,
      });

      // Reference runs in a fresh pair of namespaces, as each trial has: how many sends and writes an ADD does.
      // Two of them, keeping the one with fewer writes: a start that finds the executable's embedded addon not
      // yet extracted to /tmp (a new build, or another suite's fresh /tmp) writes it out first, hundreds of
      // writes that the trials will not make, which would put most kill points after their ADD has ended.
      const referenceRun = (): ReturnType<typeof countSyscalls> => {
        const refHost = createNetns("crash-h");
        const refCtr = createNetns("crash-c");
        const run = countSyscalls(binary, call("ADD", refHost, { containerId: "ref", netns: refCtr.path }));
        expect(run.output.code, run.output.stdout).toBe(0);
        deleteNetns(refHost);
        deleteNetns(refCtr);
        rmSync(dataDir, { recursive: true, force: true });
        return run;
      };
      const runs = [referenceRun(), referenceRun()];
      const reference = runs.reduce((fewer, run) => (run.counts.write < fewer.counts.write ? run : fewer));
      const prevResult = reference.output.json as Record<string, unknown>;
      expect(reference.counts.sendto).toBeGreaterThan(5);
      expect(reference.counts.write).toBeGreaterThan(3);

      const points = spreadKillPoints(reference.counts, pc.trials);
      const outcomes: TrialOutcome[] = [];
      points.forEach((point, i) => {
        const host = createNetns("crash-h");
        const ctr = createNetns("crash-c");
        const id = `crash-${pc.plugin}-${i}`;
        try {
          const killedRun = runKilledAt(binary, call("ADD", host, { containerId: id, netns: ctr.path }), point);
          const withPrev = i % 2 === 0;
          const netnsAtDel = NETNS_AT_DEL[Math.floor(i / 2) % NETNS_AT_DEL.length] ?? "present";
          const teardown = netnsAtDel === "present" ? undefined : deleteNetns(ctr);
          const delConf = withPrev ? { ...conf, prevResult } : conf;
          const del = runPlugin(binary, {
            ...call("DEL", host, { containerId: id, netns: netnsAtDel === "unset" ? undefined : ctr.path }),
            stdin: delConf,
          });
          expect(del.code, `DEL after kill at ${point.syscall} #${point.nth}: ${del.stdout}`).toBe(0);
          teardown?.waitForPeers();
          const found = findLeftovers(host, netnsAtDel === "present" ? ctr : null, dataDir, pc.network, pc.bridge);
          // A kill between creating a lease file and writing its owner leaves an empty file: no DEL can tell
          // whose it is (the Go plugin's store is the same), so it is GC's to remove.
          const ownerless = found.leases.filter((name) => statSync(join(dataDir, pc.network, name)).size === 0);
          const afterDel = { ...found, leases: found.leases.filter((name) => !ownerless.includes(name)) };
          const gc = runPlugin(binary, {
            ...call("GC", host, {}),
            stdin: { ...conf, "cni.dev/valid-attachments": [] },
          });
          expect(gc.code, `GC after kill at ${point.syscall} #${point.nth}: ${gc.stdout}`).toBe(0);
          const afterGc = findLeftovers(host, netnsAtDel === "present" ? ctr : null, dataDir, pc.network, pc.bridge);

          // After a kill mid-write the store still works: a new container gets an address and gives it back.
          let probeOk = true;
          if (point.syscall === "write") {
            const probeCtr = createNetns("crash-p");
            const probeAdd = runPlugin(binary, call("ADD", host, { containerId: `${id}-probe`, netns: probeCtr.path }));
            const probeDel = runPlugin(binary, call("DEL", host, { containerId: `${id}-probe`, netns: probeCtr.path }));
            probeOk = probeAdd.code === 0 && probeDel.code === 0 && leftoverCount(findLeftovers(host, probeCtr, dataDir, pc.network, pc.bridge)) === 0;
            if (!probeOk) console.log(`probe after ${point.syscall} #${point.nth}: ${probeAdd.stdout} ${probeDel.stdout}`);
          }
          outcomes.push({
            point,
            killed: killedRun.killed,
            variant: `${withPrev ? "prevResult" : "no prevResult"}, netns ${netnsAtDel}`,
            afterDel,
            ownerlessLeases: ownerless.length,
            afterGc,
            probeOk,
          });
        } finally {
          deleteNetns(host);
          deleteNetns(ctr);
          cleanupAll();
        }
      });

      const killed = outcomes.filter((o) => o.killed).length;
      const leftAfterDel = outcomes.filter((o) => leftoverCount(o.afterDel) > 0);
      const leftAfterGc = outcomes.filter((o) => leftoverCount(o.afterGc) > 0);
      const ownerless = outcomes.reduce((sum, o) => sum + o.ownerlessLeases, 0);
      const probeFailures = outcomes.filter((o) => !o.probeOk).length;
      totalTrials += outcomes.length;
      totalKilled += killed;
      console.log(
        `crash ${pc.label}: ${outcomes.length} trials over ${reference.counts.sendto} sends + ${reference.counts.write} writes, ` +
          `${killed} killed, leftovers after DEL: ${leftAfterDel.length} ` +
          `(+ ${ownerless} empty lease files, GC's), after GC: ${leftAfterGc.length}, store probe failures: ${probeFailures}`,
      );
      for (const o of leftAfterDel) {
        console.log(`  after DEL, kill at ${o.point.syscall} #${o.point.nth} (${o.variant}): ${JSON.stringify(o.afterDel)}`);
      }
      // Most points are inside the ADD; a few late ones may race with the end of the call.
      expect(killed).toBeGreaterThanOrEqual(Math.ceil(outcomes.length * 0.8));
      expect(leftAfterDel.map((o) => ({ ...o.point, left: o.afterDel }))).toEqual([]);
      expect(leftAfterGc.map((o) => ({ ...o.point, left: o.afterGc }))).toEqual([]);
      expect(probeFailures).toBe(0);
    }, 300_000);
  }
});
