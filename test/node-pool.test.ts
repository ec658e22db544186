// A node pool on one machine, as Kubernetes runs these plugins (topology in test/lib/node-pool.ts: three
// nodes on a switch, a pod CIDR per node, masquerade only out of the cluster). Pods are made through
// @cni/libcni as containerd does (go-cni's facade: loopback on lo, the pod network on eth0, K8S_POD_* args,
// a result cache per node), the plugins run in their node's namespace.
//
// Checked: every pod reaches a pod on each other node by pod address and the receiver sees the pod's
// address (no NAT inside the cluster); traffic to outside the cluster arrives from the node's address;
// churn on all nodes at once; then, as a runtime after a restart, GC per node with the live attachments
// removes pods whose sandbox vanished (cached, and one whose cache entry was lost too): nothing left
// but the live pods.
// Size: CNI_POOL_PODS pods per node (default 5; the full size is 50), CNI_POOL_CHURN cycles per
// worker (default 3), CNI_POOL_WORKERS workers per node (default 3). Timings are printed, never asserted.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cni, CniConfig, confListFromBytes, type NetworkConfigList } from "@cni/libcni";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { leaseNames } from "./host-local-helpers";
import { cleanupAll, createNetns, deleteNetns, links, type TestNetns } from "./lib/netns";
import { acrossNodes, createPoolTopology, inParallel, k8sLabels, OUTSIDE, POOL_NETWORK as NETWORK, podNetworkConflist, POOL_NODES as NODES, type PoolNode } from "./lib/node-pool";
import { BIN_DIR } from "./lib/plugin";
import { probeSources, startSourceEcho, type EchoServer } from "./lib/udp-probe";

const PODS = Number(process.env.CNI_POOL_PODS ?? "5");
const CHURN_CYCLES = Number(process.env.CNI_POOL_CHURN ?? "3");
const WORKERS = Number(process.env.CNI_POOL_WORKERS ?? "3");
const ECHO_PORT = 7777;

interface Node extends PoolNode {
  dir: string;
  /** what containerd would hold: the pod network and loopback, the result cache */
  pods: Cni;
  cni: CniConfig;
  list: NetworkConfigList;
}

interface Pod {
  node: Node;
  id: string;
  ns: TestNetns;
  address: string;
}

let work = "";
afterEach(() => {
  cleanupAll();
  if (work !== "") rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

/** Plugin executables on CNI_PATH that run the built ones inside the node's namespace (its "host"). */
function nodePluginDir(node: TestNetns, dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of ["bridge", "host-local", "loopback"]) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec ip netns exec ${node.name} ${join(BIN_DIR, name)} "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

/** The pool's switch and nodes, each node with what containerd would hold: its networks and result cache. */
function createPool(): { switchNs: TestNetns; nodes: Node[] } {
  const { switchNs, nodes: poolNodes } = createPoolTopology(createNetns);
  const nodes = poolNodes.map((poolNode): Node => {
    const dir = join(work, `node${poolNode.index}`);
    const path = [nodePluginDir(poolNode.ns, dir)];
    const cacheDir = join(dir, "var-lib-cni");
    const list = confListFromBytes(podNetworkConflist(poolNode.podCidr, join(dir, "ipam")));
    const pods = new Cni({ path, cacheDir, stderr: () => undefined }).loadLoopback().add(list);
    return { ...poolNode, dir, pods, cni: new CniConfig({ path, cacheDir, stderr: () => undefined }), list };
  });
  return { switchNs, nodes };
}

/** A pod sandbox on `node`: its namespace, then setup through the facade as containerd does. */
async function createPod(node: Node, id: string): Promise<Pod> {
  const ns = createNetns(`pool-${id}`);
  const result = await node.pods.setup(id, ns.path, { labels: k8sLabels(id) });
  const cidr = result.interfaces.eth0?.ipConfigs[0]?.ip;
  if (cidr === undefined) throw new Error(`${id}: no eth0 address in ${JSON.stringify(result.raw)}`);
  return { node, id, ns, address: cidr.split("/")[0]! };
}

async function removePod(pod: Pod): Promise<void> {
  await pod.node.pods.remove(pod.id, pod.ns.path, { labels: k8sLabels(pod.id) });
  deleteNetns(pod.ns);
}

/** The pod veths on the node's bridge. */
function bridgePorts(node: Node): string[] {
  return links(node.ns)
    .filter((link) => link.master === "cni0")
    .map((link) => link.ifname)
    .sort();
}

function cacheEntries(node: Node): string[] {
  const dir = join(node.dir, "var-lib-cni", "results");
  return readdirSync(dir).sort();
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

describe("a node pool on one machine", () => {
  it(`${NODES} nodes x ${PODS} pods: pod to pod across nodes without NAT, masquerade only out of the cluster, churn on every node, GC per node leaves only the live pods`, async () => {
    work = mkdtempSync(join(tmpdir(), "cni-pool-"));
    const timings: string[] = [];
    let started = performance.now();
    const { switchNs, nodes } = createPool();

    const podsByNode = await Promise.all(nodes.map((node) => inParallel(PODS, WORKERS, (i) => createPod(node, `n${node.index}-pod${i}`))));
    const pods = podsByNode.flat();
    timings.push(`setup of ${pods.length} pods: ${elapsed(started)}`);

    // every pod reaches a pod on each other node, and that pod sees its pod address
    started = performance.now();
    const echo: EchoServer = await startSourceEcho([...pods.map((p) => p.ns.path), switchNs.path], ECHO_PORT);
    try {
      // pod k of each node to pod k of every other node
      const across = acrossNodes(podsByNode);
      const seen = probeSources(across.map(({ pod, target }) => ({ from: pod.ns.path, to: target.address })), ECHO_PORT);
      expect(seen).toEqual(across.map(({ pod }) => pod.address));
      // leaving the cluster: the outside sees the node's address
      const outward = probeSources(pods.map((pod) => ({ from: pod.ns.path, to: OUTSIDE })), ECHO_PORT);
      expect(outward).toEqual(pods.map((pod) => pod.node.address));
    } finally {
      echo.stop();
    }
    timings.push(`reachability (${pods.length * (NODES - 1)} pod pairs, ${pods.length} outward): ${elapsed(started)}`);

    // churn: every node at once, several workers each, ADD and DEL through libcni with its cache
    started = performance.now();
    await Promise.all(
      nodes.map((node) =>
        inParallel(WORKERS * CHURN_CYCLES, WORKERS, async (i) => {
          const pod = await createPod(node, `n${node.index}-churn${i}`);
          await removePod(pod);
        }),
      ),
    );
    timings.push(`churn (${NODES * WORKERS * CHURN_CYCLES} ADD+DEL): ${elapsed(started)}`);

    // a runtime restart: sandboxes that vanished without a DEL (two cached, one whose cache entry is gone too)
    for (const node of nodes) {
      const lost = await Promise.all([0, 1, 2].map((i) => createPod(node, `n${node.index}-lost${i}`)));
      rmSync(join(node.dir, "var-lib-cni", "results", `${NETWORK}-${lost[2]!.id}-eth0`));
      for (const pod of lost) deleteNetns(pod.ns).waitForPeers();
    }
    for (const node of nodes) {
      expect(leaseNames(join(node.dir, "ipam"), NETWORK)).toHaveLength(PODS + 3); // what GC has to free
    }
    started = performance.now();
    for (const node of nodes) {
      const live = pods.filter((pod) => pod.node === node);
      await node.cni.gcNetworkList(node.list, live.map((pod) => ({ containerId: pod.id, ifName: "eth0" })));
      await node.cni.gcNetworkList(node.pods.loaded[0]!.config, live.map((pod) => ({ containerId: pod.id, ifName: "lo" })));
    }
    timings.push(`GC of ${NODES} nodes: ${elapsed(started)}`);

    for (const node of nodes) {
      const live = pods.filter((pod) => pod.node === node);
      expect(leaseNames(join(node.dir, "ipam"), NETWORK)).toEqual(live.map((pod) => pod.address).sort());
      expect(bridgePorts(node)).toHaveLength(live.length);
      expect(cacheEntries(node)).toEqual(
        live.flatMap((pod) => [`cni-loopback-${pod.id}-lo`, `${NETWORK}-${pod.id}-eth0`]).sort(),
      );
    }
    console.log(`node pool, ${NODES} nodes x ${PODS} pods:\n  ${timings.join("\n  ")}`);
  });
});
