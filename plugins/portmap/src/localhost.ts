// IPv4 127.0.0.1:<hostPort>: after DNAT the packet leaves through the interface that routes to the
// container with a 127.0.0.1 source, which the kernel drops unless that interface has route_localnet=1
// (the reference sets it the same way and never reverts it: other containers behind the same bridge
// may still rely on it).
import { cidrContains, parseCIDR, type Interface, type Result } from "@cni/skel";
import type { Netlink } from "@cni/netlink";
import { ensureSysctl, ipv4ConfKey, netlinkStep, withHostNetns } from "@cni/plugin-kit";
import type { ContainerAddress } from "./config";

const MAIN_TABLE = 254;

/** route_localnet=1 on the host interfaces of prevResult (bridge, host veth), else on the device routing to the container. */
export function enableLocalhostRouting(prevResult: Result, addresses: readonly ContainerAddress[]): void {
  const ipv4 = addresses.find((container) => container.address.family === 4);
  if (ipv4 === undefined) return;
  withHostNetns((host) => {
    const devices = hostInterfaces(host, prevResult.interfaces ?? []);
    if (devices.length === 0) {
      const routed = deviceRoutingTo(host, ipv4);
      if (routed !== undefined) devices.push(routed);
    }
    for (const device of devices) {
      netlinkStep(`failed to set route_localnet on ${device}`, () => ensureSysctl(host, ipv4ConfKey(device, "route_localnet"), "1"));
    }
  });
}

/** prevResult's interfaces without a sandbox that exist in the host namespace. */
function hostInterfaces(host: Netlink, interfaces: readonly Interface[]): string[] {
  const names = new Set<string>();
  for (const link of host.linkList()) names.add(link.name);
  const found: string[] = [];
  for (const iface of interfaces) {
    if ((iface.sandbox === undefined || iface.sandbox === "") && names.has(iface.name)) found.push(iface.name);
  }
  return found;
}

/** The interface of the most specific main-table route covering the address. */
function deviceRoutingTo(host: Netlink, container: ContainerAddress): string | undefined {
  let best: { prefix: number; linkIndex: number } | undefined;
  for (const route of host.routeList({ family: 4, table: MAIN_TABLE })) {
    const dst = parseCIDR(route.dst);
    if (dst === undefined || route.linkIndex === undefined || !cidrContains(dst, container.address)) continue;
    if (best === undefined || dst.prefix > best.prefix) best = { prefix: dst.prefix, linkIndex: route.linkIndex };
  }
  if (best === undefined) return undefined;
  const index = best.linkIndex;
  return host.linkList().find((link) => link.index === index)?.name;
}
