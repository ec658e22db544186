// A full node: 1,000 pods on one bridge, dual stack, masquerading, with published ports — the conflist a
// runtime would hold for such a node (bridge with ipMasq and a host-local range per family, portmap with the
// portMappings capability; loopback as go-cni adds it), run through @cni/libcni once with our plugins and
// once with Go's, each side on a node namespace of its own. How a pod's ADD and DEL cost grows with the pods
// already attached, and what 1,000 pods leave on the node: host-local's store, the packet filter rules.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { confListFromBytes, pluginConfig } from "@cni/libcni";
import type { TestNetns } from "../../test/lib/netns";
import { inParallel } from "../../test/lib/node-pool";
import { probeSources, startSourceEcho } from "../../test/lib/udp-probe";
import { cniEnv } from "./benches";
import type { NodeRuntime, PodOptions } from "./node-runtime";
import { type Implementation, interleave, type PlanCall } from "./plan";
import {
  closeAll,
  describeTree,
  formatKb,
  formatSeconds,
  iptablesLines,
  loopbackConflist,
  rulesetSize,
  type ScaleBench,
  type ScaleContext,
  type ScaleFact,
  type ScaleResult,
  type ScaleSamples,
  SIDES,
  startRuntime,
  treeSize,
} from "./scale";
import { maximum } from "./stats";

/** The node's pods (bench/run's size; the harness's test runs a small node). A Linux bridge takes at most 1,023 ports. */
export const FULL_NODE_PODS = 1000;
/** Pods in flight per side while filling the node between plateaus (both sides fill at once; untimed). */
const FILL_WORKERS = 2;
/** Every 4th pod publishes a port (portmap's rules grow with them), and so does every sampled pod. */
const PUBLISHED_EVERY = 4;
const NETWORK = "full-node";
// 2,045 IPv4 addresses: room for 1,000 pods and the sampled one (a Linux bridge takes at most 1,023 ports)
const SUBNET_V4 = "10.88.0.0/21";
const SUBNET_V6 = "fd00:88::/64";
const GATEWAYS: readonly string[] = ["10.88.0.1", "fd00:88::1"];
const ECHO_PORT = 7777;
// Go's 1.1.1 plugins speak up to 1.0.0: both sides get the same conflist at that version
const CNI_VERSION = "1.0.0";

function podNetwork(dataDir: string): string {
  return JSON.stringify({
    cniVersion: CNI_VERSION,
    name: NETWORK,
    plugins: [
      {
        type: "bridge",
        bridge: "cni0",
        isGateway: true,
        ipMasq: true,
        ipam: { type: "host-local", dataDir, ranges: [[{ subnet: SUBNET_V4 }], [{ subnet: SUBNET_V6 }]] },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  });
}

function published(hostPort: number): PodOptions {
  return { capabilities: { portMappings: [{ hostPort, containerPort: 80, protocol: "tcp" }] } };
}

interface Side {
  node: TestNetns;
  runtime: NodeRuntime;
  pods: TestNetns[];
  /** The pod sampled at each plateau (ADDed and DELed again, round after round). */
  probe: TestNetns;
  dataDir: string;
  /** The conflists the runtime holds: loopback, the pod network. */
  networks: string[];
  /** Addresses of each attached pod's eth0. */
  addresses: string[][];
  fillMs: number[];
}

const count = (n: number): string => n.toLocaleString("en-US");
const addRow = (plateau: number): string => `pod ADD, ${count(plateau)} pods attached`;
const delRow = (plateau: number): string => `pod DEL, ${count(plateau)} pods attached`;

/** Attaches pods [from, to) on one side, FILL_WORKERS at a time; returns the wall time. */
async function fill(side: Side, from: number, to: number): Promise<number> {
  const started = performance.now();
  await inParallel(to - from, FILL_WORKERS, async (k) => {
    const i = from + k;
    const options = i % PUBLISHED_EVERY === 0 ? published(30000 + i) : {};
    const answer = await side.runtime.request({ op: "add", id: `pod-${i}`, netns: side.pods[i]!.path, ...options });
    side.addresses[i] = (answer.interfaces?.eth0 ?? []).map((cidr) => cidr.split("/")[0]!);
  });
  return performance.now() - started;
}

/**
 * Pods probed per 5 s. Each probe adds two neighbour entries (the pod's for its gateway, the node's for the
 * pod) to the machine's one table per family for all namespaces (1,024 entries by default; those untouched for
 * 5 s can be reclaimed): 2,000 at once would fill it, for everything else on the machine too.
 */
const PROBES_PER_WINDOW = 200;
const WINDOW_MS = 5000;

/** Every pod sends a datagram to each gateway; the gateway (the node) must see the pod's own address. */
async function reachability(side: Side): Promise<string> {
  const echo = await startSourceEcho([side.node.path], ECHO_PORT);
  try {
    const reached = GATEWAYS.map(() => 0);
    for (let first = 0; first < side.pods.length; first += PROBES_PER_WINDOW) {
      const started = performance.now();
      // both families at once: each has a table of its own
      const probes = side.pods.slice(first, first + PROBES_PER_WINDOW).flatMap((pod, k) =>
        GATEWAYS.map((gateway, family) => ({ from: pod.path, to: gateway, family, expected: side.addresses[first + k]![family] })),
      );
      const seen = probeSources(probes, ECHO_PORT);
      probes.forEach((probe, i) => {
        if (seen[i] === probe.expected) reached[probe.family]!++;
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, WINDOW_MS - (performance.now() - started))));
    }
    return reached.map((n, family) => `${count(n)} of ${count(side.pods.length)} over IPv${family === 0 ? 4 : 6}`).join(", ");
  } finally {
    echo.stop();
  }
}

/**
 * A pod's plugin calls one process at a time: ADD in order, DEL in reverse with the chain's final result;
 * first host-local by itself (the bridge's config, as bridge hands it over), to tell its share of bridge's time.
 */
const RUNNER_STEPS: ReadonlyArray<{ plugin: string; ifName: string; verb: string; key?: string; prev?: string; stdinOf?: string }> = [
  { plugin: "host-local", ifName: "eth0", verb: "ADD", stdinOf: "bridge" },
  { plugin: "host-local", ifName: "eth0", verb: "DEL", stdinOf: "bridge" },
  { plugin: "loopback", ifName: "lo", verb: "ADD" },
  { plugin: "bridge", ifName: "eth0", verb: "ADD", key: "bridge" },
  { plugin: "portmap", ifName: "eth0", verb: "ADD", prev: "bridge", key: "portmap" },
  { plugin: "portmap", ifName: "eth0", verb: "DEL", prev: "portmap" },
  { plugin: "bridge", ifName: "eth0", verb: "DEL", prev: "portmap" },
  { plugin: "loopback", ifName: "lo", verb: "DEL" },
];

const runnerRow = (plugin: string, verb: string, pods: number): string =>
  `${plugin}${plugin === "bridge" ? " (with host-local)" : ""} ${verb} alone, ${count(pods)} pods attached`;

/**
 * On the full node, the sampled pod's plugins run one process at a time through the native runner, as the
 * per-call rows run them (the same stdin libcni gives each, prevResult passed on): where a pod's time goes,
 * and each plugin's peak RSS (wait4's rusage: a runtime written in Bun would add its own pages to its forked
 * children's, so the runtime process cannot measure it).
 */
function pluginsOneByOne(context: ScaleContext, sides: Record<Implementation, Side>, rounds: number): { rows: ScaleSamples[]; rss: ScaleFact } {
  const pods = sides.ours.pods.length;
  const stdin = {} as Record<Implementation, Record<string, string>>;
  const capabilities = published(29999).capabilities;
  for (const implementation of SIDES) {
    stdin[implementation] = {};
    for (const network of sides[implementation].networks) {
      const list = confListFromBytes(network);
      for (const plugin of list.plugins) {
        const path = join(context.workDir, `${implementation}-${plugin.type}.json`);
        writeFileSync(path, JSON.stringify(pluginConfig(list, plugin, undefined, capabilities)));
        stdin[implementation][plugin.type] = path;
      }
    }
  }
  const build = (implementation: Implementation, round: number): PlanCall[] => {
    const { binDir } = context;
    const side = sides[implementation];
    return RUNNER_STEPS.map(({ plugin, ifName, verb, key, prev, stdinOf }) => ({
      ...(plugin === "loopback" ? {} : { row: runnerRow(plugin, verb, pods) }),
      plugin,
      argv: [join(binDir[implementation], plugin)],
      env: cniEnv(verb, `alone-${round}`, side.probe.path, binDir[implementation], ifName),
      stdinPath: stdin[implementation][stdinOf ?? plugin]!,
      hostNetns: side.node.path,
      ...(key === undefined ? {} : { key: `${implementation}-${key}` }),
      ...(prev === undefined ? {} : { prevResultOf: `${implementation}-${prev}` }),
    }));
  };
  const measured = context.runCalls(interleave(build, SIDES, 1, rounds));
  const rows: ScaleSamples[] = RUNNER_STEPS.filter(({ plugin }) => plugin !== "loopback").map(({ plugin, verb }) => ({ name: runnerRow(plugin, verb, pods), ours: [], go: [] }));
  const rssKb = { ours: new Map<string, number[]>(), go: new Map<string, number[]>() };
  for (const { call, sample } of measured) {
    if (call.warmup) continue;
    rows.find((row) => row.name === call.row)?.[call.implementation].push(sample.wallNs / 1e6);
    const byPlugin = rssKb[call.implementation];
    byPlugin.set(call.plugin!, [...(byPlugin.get(call.plugin!) ?? []), sample.maxrssKb]);
  }
  const describe = (byPlugin: Map<string, number[]>): string => [...byPlugin].map(([plugin, kb]) => `${plugin} ${formatKb(maximum(kb))}`).join(", ");
  const rss = { what: `peak RSS of one plugin process at ${count(pods)} pods (largest of ${rounds} calls each; iptables and host-local run by a plugin included)`, go: describe(rssKb.go), ours: describe(rssKb.ours) };
  return { rows, rss };
}

export function fullNodeBench(pods = FULL_NODE_PODS): ScaleBench {
  /** Pods already attached when ADD and DEL are sampled. */
  const plateaus = [0, Math.round(pods / 4), Math.round(pods / 2), pods];
  return {
    id: "full-node",
    title: `Full node (${count(pods)} pods)`,
    about:
      `One node per side (a namespace of its own) with the conflist a runtime would hold for a busy node: bridge ` +
      `(isGateway, ipMasq, host-local ranges ${SUBNET_V4} and ${SUBNET_V6}) then portmap (portMappings capability; ` +
      `every ${PUBLISHED_EVERY}th pod and every sampled pod publish a port), plus loopback, cniVersion ${CNI_VERSION} (Go's highest), run ` +
      `through @cni/libcni's go-cni facade by a runtime process inside the node, with libcni's result cache, as containerd does. ` +
      `A pod's ADD is loopback, bridge (with host-local) and portmap ADD; its DEL the three DELs in reverse; the time is ` +
      `the runtime's, from the first plugin's start to the last one's exit. At each plateau (${plateaus.map(count).join(", ")} pods already ` +
      `attached) a sampled pod is ADDed and DELed again, ours and Go interleaved round by round (order alternating); ` +
      `between plateaus both nodes are filled at once, ${FILL_WORKERS} pods in flight per side (untimed; wall time below). ` +
      `Ours masquerades and maps ports with nftables, Go 1.1.1 with iptables (nf_tables backend here). ` +
      `Then, on the full node, the sampled pod's plugins one process at a time through the runner, as the per-call rows ` +
      `run them ("alone" rows: where the time goes; each plugin's peak RSS). p99 is nearest-rank: below 100 samples, the largest.`,
    plugins: { ours: ["bridge", "host-local", "portmap", "loopback"], go: ["bridge", "host-local", "portmap", "loopback"] },
    async run(context: ScaleContext): Promise<ScaleResult> {
      // 20 at bench/run's default 100 rounds
      const samples = Math.ceil(context.rounds / 5);
      const warmup = 2;
      const sides = {} as Record<Implementation, Side>;
      const runtimes: NodeRuntime[] = [];
      try {
        for (const implementation of SIDES) {
          const names = Array.from({ length: pods }, (_, i) => `pod-${implementation}-${i}`);
          const [node, probe, ...sandboxes] = context.createNetns([`node-${implementation}`, `probe-${implementation}`, ...names]);
          const dataDir = join(context.workDir, `ipam-${implementation}`);
          const networks = [loopbackConflist(CNI_VERSION), podNetwork(dataDir)];
          const runtime = startRuntime(node!, context.binDir[implementation], networks, join(context.workDir, implementation));
          runtimes.push(runtime);
          sides[implementation] = { node: node!, runtime, pods: sandboxes, probe: probe!, dataDir, networks, addresses: [], fillMs: [] };
        }
        const rows: ScaleSamples[] = plateaus.flatMap((plateau) => [
          { name: addRow(plateau), ours: [], go: [] },
          { name: delRow(plateau), ours: [], go: [] },
        ]);
        let attached = 0;
        for (const [p, plateau] of plateaus.entries()) {
          if (plateau > attached) {
            const from = attached;
            const wall = await Promise.all(SIDES.map((implementation) => fill(sides[implementation], from, plateau)));
            SIDES.forEach((implementation, i) => sides[implementation].fillMs.push(wall[i]!));
            context.progress(`filled ${from} → ${plateau} pods: ours ${formatSeconds(wall[0]!)}, Go ${formatSeconds(wall[1]!)}`);
            attached = plateau;
          }
          const [adds, dels] = [rows[2 * p]!, rows[2 * p + 1]!];
          const rounds = (p === 0 ? warmup : 0) + samples;
          for (let round = 0; round < rounds; round++) {
            for (const implementation of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
              const { runtime, probe } = sides[implementation];
              const id = `probe-${plateau}-${round}`;
              const add = await runtime.request({ op: "add", id, netns: probe.path, ...published(29999) });
              const del = await runtime.request({ op: "del", id, netns: probe.path, ...published(29999) });
              if (p === 0 && round < warmup) continue;
              adds[implementation].push(add.ms);
              dels[implementation].push(del.ms);
            }
          }
          context.progress(`sampled ${samples} ADD+DEL per side at ${plateau} pods`);
        }
        const facts: ScaleFact[] = [];
        const perSide = (what: string, value: (side: Side) => string): void => {
          facts.push({ what, go: value(sides.go), ours: value(sides.ours) });
        };
        perSide(`filling the node to ${count(pods)} pods, plateau to plateau (both sides at once, wall)`, (side) => side.fillMs.map(formatSeconds).join(" + "));
        perSide(`host-local's store at ${count(pods)} pods (dataDir: leases, bookkeeping, ours' index)`, (side) => describeTree(treeSize(side.dataDir)));
        perSide(`packet filter at ${count(pods)} pods (nftables' view of the node, iptables-nft's rules included)`, (side) => rulesetSize(side.node));
        perSide(`\`iptables-save\` + \`ip6tables-save\` lines at ${count(pods)} pods`, (side) => count(iptablesLines(side.node)));
        const alone = pluginsOneByOne(context, sides, Math.ceil(samples / 2));
        rows.push(...alone.rows);
        facts.push(alone.rss);
        const reached: string[] = [];
      for (const implementation of SIDES) {
        // a probe that breaks costs this fact, not the figures measured before it
        reached.push(await reachability(sides[implementation]).catch((e: Error) => `not checked: ${e.message.split("\n")[0]}`));
      }
        facts.push({ what: `pods whose datagram reached the gateway from their own address, at ${count(pods)} pods`, ours: reached[0]!, go: reached[1]! });
        return { rows, facts };
      } finally {
        await closeAll(runtimes);
      }
    },
  };
}
