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

export function deleteNetns(ns: TestNetns | string): void {
  const name = typeof ns === "string" ? ns : ns.name;
  try {
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
  } catch {
    // already gone
  }
  created.delete(name);
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

/**
 * The namespace's links but lo, once `settled` holds or `timeoutMs` (a hang guard, not a timing assertion)
 * has passed. For changes the kernel finishes after the call that caused them returned: deleting a netns
 * destroys its veth ends from a workqueue, so the peer in another namespace goes a little later.
 */
export function linkNamesButLoOnce(ns: TestNetns, settled: (names: string[]) => boolean, timeoutMs = 10_000): string[] {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = linkNamesButLo(ns);
    if (settled(names) || Date.now() >= deadline) return names;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/** A sysctl of the namespace, read from /proc/sys inside it. */
export function sysctl(ns: TestNetns, key: string): string {
  return inNetns(ns, "cat", [`/proc/sys/${key}`]).trim();
}
