// A node pool on one machine, as Kubernetes runs these plugins (test/node-pool.test.ts checks it, bench/run
// times it): three "node" namespaces joined by a "switch" namespace (a bridge, a veth to each node), each
// node with its own pod CIDR (a host-local range per node, as kubelet hands each node a podCIDR) and routes
// to the other nodes' pod CIDRs via their node addresses (what a cloud route controller or flannel's host-gw
// installs: set up here, not by the plugins).
//
// Masquerade only for traffic leaving the cluster CIDR: the bridge's `ipMasq` masquerades whatever leaves
// the pod's own subnet, which would hide pod addresses from the other nodes, so the pod network has
// `ipMasq: false` and each node has its own rule (`ip saddr <podCIDR> ip daddr != <clusterCIDR>
// masquerade`), as ip-masq-agent or a node's network agent sets it (plugins/bridge/README.md).
import { inNetns, type TestNetns } from "./netns";

export const POOL_NODES = 3;
export const POOL_NETWORK = "k8s-pod-network";
export const CLUSTER_CIDR = "10.244.0.0/16";
const SWITCH_PREFIX = "192.168.77";
/** The switch's own address: a host outside the cluster CIDR. */
export const OUTSIDE = `${SWITCH_PREFIX}.1`;

export interface PoolNode {
  index: number;
  ns: TestNetns;
  /** the node's address on the switch */
  address: string;
  podCidr: string;
}

function ip(ns: TestNetns, ...args: string[]): void {
  inNetns(ns, "ip", args);
}

/** The switch and `POOL_NODES` nodes on it, each with its pod CIDR, its masquerade rule and routes to the others. */
export function createPoolTopology(createNetns: (name: string) => TestNetns): { switchNs: TestNetns; nodes: PoolNode[] } {
  const switchNs = createNetns("pool-sw");
  ip(switchNs, "link", "set", "lo", "up");
  ip(switchNs, "link", "add", "sw0", "type", "bridge");
  ip(switchNs, "addr", "add", `${OUTSIDE}/24`, "dev", "sw0");
  ip(switchNs, "link", "set", "sw0", "up");
  const nodes: PoolNode[] = [];
  for (let index = 0; index < POOL_NODES; index++) {
    const ns = createNetns(`pool-node${index}`);
    const address = `${SWITCH_PREFIX}.${10 + index}`;
    const podCidr = `10.244.${index}.0/24`;
    ip(switchNs, "link", "add", `port${index}`, "type", "veth", "peer", "name", "uplink", "netns", ns.name);
    ip(switchNs, "link", "set", `port${index}`, "master", "sw0", "up");
    ip(ns, "link", "set", "lo", "up");
    ip(ns, "addr", "add", `${address}/24`, "dev", "uplink");
    ip(ns, "link", "set", "uplink", "up");
    // the node's rule: pod traffic leaving the cluster goes out as the node
    inNetns(ns, "nft", [
      `add table ip node-masq; add chain ip node-masq postrouting { type nat hook postrouting priority srcnat; }; ` +
        `add rule ip node-masq postrouting ip saddr ${podCidr} ip daddr != ${CLUSTER_CIDR} masquerade`,
    ]);
    nodes.push({ index, ns, address, podCidr });
  }
  // the routes to the other nodes' pod CIDRs, via their node addresses
  for (const node of nodes) {
    for (const other of nodes) if (other !== node) ip(node.ns, "route", "add", other.podCidr, "via", other.address);
  }
  return { switchNs, nodes };
}

/**
 * The pod network of one node as a conflist's JSON: what a node's conflist holds (portmap left out: see
 * README's recipe). `cniVersion` 1.1.0 gives GC to the plugins; Go's 1.1.1 plugins speak up to 1.0.0.
 */
export function podNetworkConflist(podCidr: string, dataDir: string, cniVersion = "1.1.0"): string {
  return JSON.stringify({
    cniVersion,
    name: POOL_NETWORK,
    plugins: [
      {
        type: "bridge",
        bridge: "cni0",
        isGateway: true,
        isDefaultGateway: true,
        hairpinMode: true,
        ipMasq: false,
        ipam: { type: "host-local", dataDir, ranges: [[{ subnet: podCidr }]] },
      },
    ],
  });
}

/** The CNI_ARGS kubelet's runtime passes for a pod. */
export function k8sLabels(id: string): Record<string, string> {
  return {
    K8S_POD_NAMESPACE: "default",
    K8S_POD_NAME: id,
    K8S_POD_INFRA_CONTAINER_ID: id,
    K8S_POD_UID: `uid-${id}`,
  };
}

/** Pod k of each node to pod k of every other node: the pairs that show pod-to-pod traffic across nodes. */
export function acrossNodes<T>(podsByNode: readonly (readonly T[])[]): Array<{ pod: T; target: T }> {
  return podsByNode.flatMap((nodePods, index) =>
    nodePods.flatMap((pod, k) => podsByNode.filter((_, other) => other !== index).map((otherPods) => ({ pod, target: otherPods[k]! }))),
  );
}

/** `count` items made by up to `workers` concurrent workers, in index order (a node starting pods in parallel). */
export async function inParallel<T>(count: number, workers: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, count) }, worker));
  return out;
}
