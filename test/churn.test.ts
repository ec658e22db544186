// Churn: many ADD/DEL calls over a set of containers, up to N in flight at once, on one bridge network and on
// one veth network (dual stack, ipMasq on). Properties: no address is handed to two attached containers at any
// moment, no call fails, and at the end no lease, no host veth, no container link, no masquerade rule.
// Size: CNI_CHURN_OPS (default 1000), CNI_CHURN_CONTAINERS (default 100), CNI_CHURN_PARALLEL (default 20):
// the full run, about 1 minute per network on a quiet 2-core machine. Timings are printed, never asserted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { findLeftovers, type Leftovers } from "./lib/leftovers";
import { cleanupAll, createNetns, links, type TestNetns } from "./lib/netns";
import { BIN_DIR, ourPlugin } from "./lib/plugin";
import { quantile, runPluginAsync, type TimedOutput } from "./lib/plugin-async";

const OPS = Number(process.env.CNI_CHURN_OPS ?? "1000");
const CONTAINERS = Number(process.env.CNI_CHURN_CONTAINERS ?? "100");
const PARALLEL = Number(process.env.CNI_CHURN_PARALLEL ?? "20");

interface NetworkCase {
  plugin: string;
  network: string;
  bridge?: string;
  config(dataDir: string): Record<string, unknown>;
}

const CASES: NetworkCase[] = [
  {
    plugin: "bridge",
    network: "churnbr",
    bridge: "chbr0",
    config: (dataDir) => ({
      cniVersion: "1.1.0",
      name: "churnbr",
      type: "bridge",
      bridge: "chbr0",
      isGateway: true,
      ipMasq: true,
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.91.0.0/24" }], [{ subnet: "fd91::/64" }]] },
    }),
  },
  {
    plugin: "veth",
    network: "churnveth",
    config: (dataDir) => ({
      cniVersion: "1.1.0",
      name: "churnveth",
      type: "veth",
      ipMasq: true,
      ipam: {
        type: "host-local",
        dataDir,
        ranges: [[{ subnet: "10.92.0.0/24" }], [{ subnet: "fd92::/64" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    }),
  },
];

/** A small seeded generator (mulberry32), so a failing schedule can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const workDirs: string[] = [];
afterEach(cleanupAll);
afterAll(() => {
  cleanupAll();
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

interface ChurnReport {
  ops: number;
  adds: number;
  dels: number;
  failures: string[];
  duplicates: string[];
  maxInFlight: number;
  wallMs: number;
  latencies: number[];
}

async function churn(nc: NetworkCase, host: TestNetns, containers: TestNetns[], conf: Record<string, unknown>): Promise<ChurnReport> {
  const binary = ourPlugin(nc.plugin);
  const random = seededRandom(12);
  const attached = new Map<number, string[]>(); // container -> addresses it holds
  const holder = new Map<string, number>(); // address -> the attached container holding it
  const busy = new Set<number>();
  const report: ChurnReport = { ops: 0, adds: 0, dels: 0, failures: [], duplicates: [], maxInFlight: 0, wallMs: 0, latencies: [] };
  let issued = 0;

  const call = (command: string, index: number): Promise<TimedOutput> =>
    runPluginAsync(binary, {
      command,
      containerId: `churn-${index}`,
      netns: containers[index]?.path,
      ifName: "eth0",
      path: BIN_DIR,
      stdin: conf,
      hostNetns: host,
    });

  const one = async (index: number, command: "ADD" | "DEL"): Promise<void> => {
    if (command === "DEL") {
      // The address may be handed out again from the moment DEL starts: stop counting it as held.
      for (const address of attached.get(index) ?? []) holder.delete(address);
      attached.delete(index);
    }
    const r = await call(command, index);
    report.latencies.push(r.elapsedMs);
    report.ops++;
    if (r.code !== 0) {
      report.failures.push(`${command} churn-${index}: ${r.stdout}${r.stderr}`);
      return;
    }
    if (command === "DEL") {
      report.dels++;
      return;
    }
    report.adds++;
    const ips = (r.json as { ips?: { address: string }[] }).ips ?? [];
    const mine: string[] = [];
    for (const ip of ips) {
      const address = ip.address.split("/")[0] ?? ip.address;
      const other = holder.get(address);
      if (other !== undefined) report.duplicates.push(`${address}: churn-${index} and churn-${other}`);
      holder.set(address, index);
      mine.push(address);
    }
    attached.set(index, mine);
  };

  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      if (issued >= OPS && busy.size === 0) {
        resolve();
        return;
      }
      while (busy.size < PARALLEL && issued < OPS) {
        // Leave enough operations to DEL everything still attached (or being attached) at the end.
        const owing = attached.size + [...busy].filter((i) => !attached.has(i)).length;
        const mustDel = OPS - issued <= owing;
        const free: number[] = [];
        for (let i = 0; i < containers.length; i++) {
          if (busy.has(i)) continue;
          if (mustDel && !attached.has(i)) continue;
          free.push(i);
        }
        if (free.length === 0) break;
        const index = free[Math.floor(random() * free.length)] ?? 0;
        const command = attached.has(index) ? "DEL" : "ADD";
        busy.add(index);
        issued++;
        report.maxInFlight = Math.max(report.maxInFlight, busy.size);
        one(index, command)
          .then(() => {
            busy.delete(index);
            pump();
          })
          .catch(reject);
      }
    };
    pump();
  });
  report.wallMs = performance.now() - started;
  // Calls that failed may leave a container attached; DEL them so the leftover check is about the plugin.
  for (const index of [...attached.keys()]) await one(index, "DEL");
  return report;
}

describe("churn: concurrent ADD/DEL on one network", () => {
  for (const nc of CASES) {
    it(`${nc.plugin}: ${OPS} operations over ${CONTAINERS} containers, ${PARALLEL} in flight`, async () => {
      const work = mkdtempSync(join(tmpdir(), `cni-churn-${nc.plugin}-`));
      workDirs.push(work);
      const dataDir = join(work, "ipam");
      const host = createNetns("churn-h");
      const containers: TestNetns[] = [];
      for (let i = 0; i < CONTAINERS; i++) containers.push(createNetns("churn-c"));

      const report = await churn(nc, host, containers, nc.config(dataDir));

      const left: Leftovers = findLeftovers(host, null, dataDir, nc.network, nc.bridge);
      const containerLinks: string[] = [];
      for (const ns of containers) for (const l of links(ns)) if (l.ifname !== "lo") containerLinks.push(`${ns.name}:${l.ifname}`);
      left.containerLinks = containerLinks;
      console.log(
        `churn ${nc.plugin}: ${report.ops} ops (${report.adds} ADD, ${report.dels} DEL) over ${CONTAINERS} containers, ` +
          `max ${report.maxInFlight} in flight, wall ${(report.wallMs / 1000).toFixed(1)} s, ` +
          `latency p50 ${quantile(report.latencies, 0.5).toFixed(0)} ms p99 ${quantile(report.latencies, 0.99).toFixed(0)} ms; ` +
          `duplicates ${report.duplicates.length}, failures ${report.failures.length}, ` +
          `leftovers: ${left.hostLinks.length} host links, ${left.containerLinks.length} container links, ` +
          `${left.leases.length} leases, ${left.nftRules.length} nft rules, ${left.iptablesChains.length} iptables chains`,
      );
      expect(report.failures).toEqual([]);
      expect(report.duplicates).toEqual([]);
      expect(report.ops).toBeGreaterThanOrEqual(OPS);
      expect(left).toEqual({ hostLinks: [], containerLinks: [], leases: [], nftRules: [], iptablesChains: [] });
    }, 600_000);
  }
});
