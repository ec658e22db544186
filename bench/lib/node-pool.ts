// The node pool of test/node-pool.test.ts at the issue's full size, timed: 3 nodes on a switch, 50 pods per
// node started 3 at a time on every node at once, pod-to-pod reachability across nodes, churn on every node at
// once, then GC per node after sandboxes vanished without a DEL (a runtime restart). Each node's runtime is a
// process inside the node (bench/node-runtime.ts) running the pool's conflist through @cni/libcni.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deleteNetns, links, type TestNetns } from "../../test/lib/netns";
import { acrossNodes, createPoolTopology, inParallel, k8sLabels, OUTSIDE, POOL_NETWORK, POOL_NODES, podNetworkConflist, type PoolNode } from "../../test/lib/node-pool";
import { probeSources, startSourceEcho } from "../../test/lib/udp-probe";
import type { NodeRuntime } from "./node-runtime";
import type { Implementation } from "./plan";
import { closeAll, formatSeconds, loopbackConflist, type ScaleBench, type ScaleContext, type ScaleResult, type ScaleSamples, SIDES, startRuntime } from "./scale";

/** The issue's full size (the test's CNI_POOL_PODS=50); the harness's test runs a small pool. */
export const POOL_PODS_PER_NODE = 50;
/** Pods in flight per node (the test's CNI_POOL_WORKERS) and ADD+DEL cycles per worker (CNI_POOL_CHURN). */
const WORKERS = 3;
const CHURN_CYCLES = 3;
/** Sandboxes per node that vanish without a DEL before GC; the last also loses its cache entry. */
const LOST_PER_NODE = 3;
const ECHO_PORT = 7777;
/** Go's 1.1.1 plugins speak up to 1.0.0 (no GC verb); ours get 1.1.0, as in the test. */
const CNI_VERSION: Readonly<Record<Implementation, string>> = { ours: "1.1.0", go: "1.0.0" };

interface Node extends PoolNode {
  runtime: NodeRuntime;
  dir: string;
  /** Namespaces made up front for every pod the node will run: setup, churn, lost. */
  sandboxes: TestNetns[];
}

interface Pod {
  node: Node;
  id: string;
  ns: TestNetns;
  address: string;
}

interface PoolRun {
  setupAdds: number[];
  churnAdds: number[];
  churnDels: number[];
  /** The facts of the section, by kind (texts in nodePoolBench). */
  facts: Record<"setup" | "reach" | "churn" | "gc" | "left", string>;
}

function leaseCount(dataDir: string): number {
  return readdirSync(join(dataDir, POOL_NETWORK)).filter((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name)).length;
}

async function addPod(node: Node, id: string, ns: TestNetns, times: number[]): Promise<Pod> {
  const answer = await node.runtime.request({ op: "add", id, netns: ns.path, labels: k8sLabels(id) });
  times.push(answer.ms);
  const cidr = answer.interfaces?.eth0?.[0];
  if (cidr === undefined) throw new Error(`${id}: no eth0 address in the result`);
  return { node, id, ns, address: cidr.split("/")[0]! };
}

async function removePod(pod: Pod, times: number[]): Promise<void> {
  times.push((await pod.node.runtime.request({ op: "del", id: pod.id, netns: pod.ns.path, labels: k8sLabels(pod.id) })).ms);
}

function fraction(seen: readonly string[], expected: readonly string[]): string {
  return `${seen.filter((source, i) => source === expected[i]).length}/${expected.length}`;
}

async function runPool(context: ScaleContext, implementation: Implementation, podsPerNode: number): Promise<PoolRun> {
  const { switchNs, nodes: poolNodes } = createPoolTopology((name) => context.createNetns([`${implementation}-${name}`])[0]!);
  const sandboxCount = podsPerNode + WORKERS * CHURN_CYCLES + LOST_PER_NODE;
  const nodes: Node[] = [];
  try {
    for (const poolNode of poolNodes) {
      const dir = join(context.workDir, `${implementation}-node${poolNode.index}`);
      const networks = [loopbackConflist(CNI_VERSION[implementation]), podNetworkConflist(poolNode.podCidr, join(dir, "ipam"), CNI_VERSION[implementation])];
      const sandboxes = context.createNetns(Array.from({ length: sandboxCount }, (_, i) => `${implementation}-n${poolNode.index}-pod${i}`));
      nodes.push({ ...poolNode, dir, sandboxes, runtime: startRuntime(poolNode.ns, context.binDir[implementation], networks, dir) });
    }
    const run: PoolRun = { setupAdds: [], churnAdds: [], churnDels: [], facts: { setup: "", reach: "", churn: "", gc: "", left: "" } };
    let started = performance.now();
    const podsByNode = await Promise.all(
      nodes.map((node) => inParallel(podsPerNode, WORKERS, (i) => addPod(node, `n${node.index}-pod${i}`, node.sandboxes[i]!, run.setupAdds))),
    );
    run.facts.setup = formatSeconds(performance.now() - started);
    const pods = podsByNode.flat();

    const echo = await startSourceEcho([...pods.map((p) => p.ns.path), switchNs.path], ECHO_PORT);
    try {
      const across = acrossNodes(podsByNode);
      const seen = probeSources(across.map(({ pod, target }) => ({ from: pod.ns.path, to: target.address })), ECHO_PORT);
      const outward = probeSources(pods.map((pod) => ({ from: pod.ns.path, to: OUTSIDE })), ECHO_PORT);
      run.facts.reach = `${fraction(seen, across.map(({ pod }) => pod.address))}; ${fraction(outward, pods.map((pod) => pod.node.address))}`;
    } finally {
      echo.stop();
    }

    started = performance.now();
    await Promise.all(
      nodes.map((node) =>
        inParallel(WORKERS * CHURN_CYCLES, WORKERS, async (i) => {
          const pod = await addPod(node, `n${node.index}-churn${i}`, node.sandboxes[podsPerNode + i]!, run.churnAdds);
          await removePod(pod, run.churnDels);
        }),
      ),
    );
    run.facts.churn = formatSeconds(performance.now() - started);

    // a runtime restart: sandboxes gone without a DEL, the last one's cache entry lost too
    for (const node of nodes) {
      const lost = await Promise.all(
        Array.from({ length: LOST_PER_NODE }, (_, i) => addPod(node, `n${node.index}-lost${i}`, node.sandboxes[sandboxCount - LOST_PER_NODE + i]!, [])),
      );
      rmSync(join(node.dir, "cache", "results", `${POOL_NETWORK}-${lost[LOST_PER_NODE - 1]!.id}-eth0`));
      for (const pod of lost) deleteNetns(pod.ns.name).waitForPeers();
    }
    started = performance.now();
    for (const node of nodes) await node.runtime.request({ op: "gc", keep: podsByNode[node.index]!.map((pod) => pod.id) });
    run.facts.gc = formatSeconds(performance.now() - started);

    let leases = 0;
    let ports = 0;
    let cached = 0;
    for (const node of nodes) {
      leases += leaseCount(join(node.dir, "ipam"));
      ports += links(node.ns).filter((link) => link.master === "cni0").length;
      cached += readdirSync(join(node.dir, "cache", "results")).length;
    }
    run.facts.left = `${leases} / ${ports} / ${cached}`;
    return run;
  } finally {
    await closeAll(nodes.map((node) => node.runtime));
  }
}

export function nodePoolBench(podsPerNode = POOL_PODS_PER_NODE): ScaleBench {
  const facts: Record<keyof PoolRun["facts"], string> = {
    setup: `starting ${podsPerNode} pods on each node (wall)`,
    reach: "pod to pod across nodes seen from the pod's address; to outside seen from the node's",
    churn: `churn: ${WORKERS * CHURN_CYCLES} ADD+DEL per node (wall)`,
    gc: `GC of each node after ${LOST_PER_NODE} sandboxes vanished (wall, nodes one after the other)`,
    left: `left after GC: leases / bridge ports / cache entries (live pods: ${POOL_NODES * podsPerNode})`,
  };
  return {
    id: "node-pool",
    title: "Node pool",
    about:
      `test/node-pool.test.ts at full size: ${POOL_NODES} nodes (namespaces on a switch namespace, a /24 pod CIDR each, routes ` +
      `between them), ${podsPerNode} pods per node started ${WORKERS} at a time on every node at once, pod-to-pod ` +
      `reachability across nodes, churn (${WORKERS} workers × ${CHURN_CYCLES} ADD+DEL per node, all nodes at once), then ` +
      `${LOST_PER_NODE} sandboxes per node vanish without a DEL (one also loses its cache entry) and each node's runtime ` +
      `GCs with its live pods. Pods through @cni/libcni's go-cni facade (loopback, then bridge with host-local, no ` +
      `masquerade: the nodes masquerade only out of the cluster), K8S_POD_* args, by a runtime process inside each ` +
      `node. One pool per side, ours first. Ours at cniVersion 1.1.0; Go's 1.1.1 plugins speak up to 1.0.0, where ` +
      `libcni's GC can only DEL the cached attachments (no GC verb): a sandbox whose cache entry is gone keeps its lease.`,
    plugins: { ours: ["bridge", "host-local", "loopback"], go: ["bridge", "host-local", "loopback"] },
    async run(context: ScaleContext): Promise<ScaleResult> {
      const runs = {} as Record<Implementation, PoolRun>;
      for (const implementation of SIDES) {
        runs[implementation] = await runPool(context, implementation, podsPerNode);
        context.progress(`${implementation}: ${Object.entries(runs[implementation].facts).map(([kind, value]) => `${kind} ${value}`).join("; ")}`);
      }
      const row = (name: string, pick: (run: PoolRun) => number[]): ScaleSamples => ({ name, ours: pick(runs.ours), go: pick(runs.go) });
      return {
        rows: [
          row(`pod ADD while starting ${podsPerNode} pods per node (${POOL_NODES} nodes × ${WORKERS} in flight)`, (r) => r.setupAdds),
          row("pod ADD during churn", (r) => r.churnAdds),
          row("pod DEL during churn", (r) => r.churnDels),
        ],
        facts: (Object.keys(facts) as Array<keyof PoolRun["facts"]>).map((kind) => ({ what: facts[kind], ours: runs.ours.facts[kind], go: runs.go.facts[kind] })),
      };
    },
  };
}
