// Throwaway network namespaces for black-box tests, made with iproute2 so the tests do not depend
// on the code under test. Every namespace a test creates is registered and removed by `cleanupAll`,
// which the suites call in afterAll/afterEach — also when a test fails.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const created = new Set<string>();

export interface TestNetns {
  name: string;
  path: string;
}

/** Create `/var/run/netns/<prefix>-<random>` and bring its `lo` up only when asked. */
export function createNetns(prefix: string): TestNetns {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  execFileSync("ip", ["netns", "add", name]);
  created.add(name);
  return { name, path: `/var/run/netns/${name}` };
}

/** A veth end in another namespace that goes when the namespace holding its peer is destroyed. */
interface PeerLink {
  netns: string;
  ifindex: number;
}

export interface NetnsTeardown {
  /**
   * Wait until the kernel has destroyed the deleted namespace's devices: `ip netns del` returns before the
   * kernel's cleanup work queue removes them, so the peers of its veths stay visible in the other namespaces
   * for a while. Polls until those peers are gone or `timeoutMs` (a hang guard, not a timing assertion) has
   * passed; a peer that outlives the deadline is still there for the caller's assertion to find.
   */
  waitForPeers(timeoutMs?: number): void;
}

/** The peers that the namespace's veths have in other namespaces, read before it is deleted. */
/** `ip -n <name> -j ARGS...`, parsed; empty when the namespace is gone (or going). */
function ipJsonIfPresent<T>(name: string, args: string[]): T[] {
  try {
    const out = execFileSync("ip", ["-n", name, "-j", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return JSON.parse(out.trim() === "" ? "[]" : out) as T[];
  } catch {
    return [];
  }
}

function vethPeersOf(name: string): PeerLink[] {
  const namesById = new Map<number, string>();
  for (const id of ipJsonIfPresent<{ nsid: number; name?: string }>(name, ["netns", "list-id"])) {
    if (id.name !== undefined) namesById.set(id.nsid, id.name);
  }
  const peers: PeerLink[] = [];
  for (const link of ipJsonIfPresent<{ link_index?: number; link_netnsid?: number }>(name, ["-d", "link", "show"])) {
    if (link.link_netnsid === undefined || link.link_index === undefined) continue;
    const netns = namesById.get(link.link_netnsid);
    if (netns !== undefined) peers.push({ netns, ifindex: link.link_index });
  }
  return peers;
}

function linkIndexes(netns: string): Set<number> {
  return new Set(ipJsonIfPresent<{ ifindex: number }>(netns, ["link", "show"]).map((l) => l.ifindex));
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `ip netns del`; the returned teardown waits for the kernel to finish destroying the namespace's devices. */
export function deleteNetns(ns: TestNetns | string): NetnsTeardown {
  const name = typeof ns === "string" ? ns : ns.name;
  const peers = vethPeersOf(name);
  try {
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
  } catch {
    // already gone
  }
  created.delete(name);
  return {
    waitForPeers(timeoutMs = 5_000): void {
      const deadline = Date.now() + timeoutMs;
      let pending = peers;
      while (pending.length > 0 && Date.now() < deadline) {
        sleepMs(20);
        pending = pending.filter((peer) => linkIndexes(peer.netns).has(peer.ifindex));
      }
    },
  };
}

export function cleanupAll(): void {
  for (const name of [...created]) deleteNetns(name);
}

/** Run `cmd args...` inside the namespace and return stdout (throws on non-zero exit). */
export function inNetns(ns: TestNetns, cmd: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns.name, cmd, ...args], { encoding: "utf8" });
}

/** `ip -j ...` inside the namespace, parsed. */
export function ipJson<T = unknown>(ns: TestNetns, args: string[]): T {
  const out = inNetns(ns, "ip", ["-j", ...args]);
  return JSON.parse(out.trim() === "" ? "[]" : out) as T;
}

export interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  operstate: string;
  address?: string;
  mtu: number;
  master?: string;
  link_type?: string;
}
export interface IpAddrInfo {
  family: "inet" | "inet6";
  local: string;
  prefixlen: number;
  scope: string;
}
export interface IpAddr extends IpLink {
  addr_info: IpAddrInfo[];
}

export function links(ns: TestNetns): IpLink[] {
  return ipJson<IpLink[]>(ns, ["link", "show"]);
}
export function addrs(ns: TestNetns, dev?: string): IpAddr[] {
  return ipJson<IpAddr[]>(ns, dev ? ["addr", "show", "dev", dev] : ["addr", "show"]);
}
export function isUp(ns: TestNetns, dev: string): boolean {
  const link = links(ns).find((l) => l.ifname === dev);
  return link !== undefined && link.flags.includes("UP");
}

/** Names of the namespace's links other than lo, sorted. */
export function linkNamesButLo(ns: TestNetns): string[] {
  const names: string[] = [];
  for (const link of links(ns)) if (link.ifname !== "lo") names.push(link.ifname);
  return names.sort();
}

/** A sysctl of the namespace, read from /proc/sys inside it. */
export function sysctl(ns: TestNetns, key: string): string {
  return inNetns(ns, "cat", [`/proc/sys/${key}`]).trim();
}

/** Write sysctls inside the namespace with sysctl(8); keys with slashes, as `sysctl` above reads them. */
export function setSysctls(ns: TestNetns, values: Record<string, string>): void {
  inNetns(ns, "sysctl", ["-qw", ...Object.entries(values).map(([key, value]) => `${key}=${value}`)]);
}

/**
 * A namespace to play the host, starting with forwarding off as on a fresh machine. A new namespace copies
 * `ip_forward` (and the rest of IPv4's conf) from the machine's own, which is on wherever docker, podman or
 * Kubernetes runs: a test that asserts the plugin turned forwarding on must write the starting value itself.
 */
export function createHostNetns(prefix: string): TestNetns {
  const ns = createNetns(prefix);
  setSysctls(ns, { "net/ipv4/ip_forward": "0", "net/ipv6/conf/all/forwarding": "0" });
  return ns;
}
