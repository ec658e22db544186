// CHECK's validators: what the previous ADD reported (prevResult) must still be true in the kernel.
// Messages follow the reference's (pkg/ip ValidateExpected*, ptp/bridge validateCniContainerInterface).
import {
  CniError,
  ErrorCode,
  formatCIDR,
  formatIP,
  networkOf,
  parseCIDR,
  parseIP,
  type Interface,
  type IPConfig,
  type Result,
  type Route,
} from "@cni/skel";
import type { Link, Netlink, RouteFilter } from "@cni/netlink";
import { netlinkStep } from "./errors";
import { findLink } from "./link";

/**
 * The entry of `result.interfaces` for the container's interface: named `ifName` with sandbox `netns`.
 * Otherwise `Container interface name missing in prevResult: <if>`, or when the name is there with another
 * sandbox, `Sandbox in prevResult <sandbox> doesn't match configured netns: <netns>`.
 */
export function findContainerInterface(result: Result, ifName: string, netns: string): { index: number; iface: Interface } {
  const interfaces = result.interfaces ?? [];
  let sameName: Interface | undefined;
  for (let index = 0; index < interfaces.length; index++) {
    const iface = interfaces[index] as Interface;
    if (iface.name !== ifName) continue;
    if (iface.sandbox === netns) return { index, iface };
    sameName ??= iface;
  }
  if (sameName === undefined) throw new CniError(ErrorCode.Internal, `Container interface name missing in prevResult: ${ifName}`);
  throw new CniError(ErrorCode.Internal, `Sandbox in prevResult ${sameName.sandbox ?? ""} doesn't match configured netns: ${netns}`);
}

/**
 * The container's interface as prevResult describes it must exist in `container`, be a veth, and have
 * the MAC the result gives (when it gives one). Returns the link (its `peerIndex` names the host end).
 */
export function checkContainerVeth(container: Netlink, iface: Interface): Link {
  if (iface.name === "") throw new CniError(ErrorCode.Internal, "Container interface name missing in prevResult");
  const link = findLink(container, iface.name);
  if (link === undefined) throw new CniError(ErrorCode.Internal, `Container interface name in prevResult: ${iface.name} not found`);
  if (link.kind !== "veth") throw new CniError(ErrorCode.Internal, `Container interface ${iface.name} not of type veth`);
  if (iface.mac !== undefined && iface.mac !== "" && iface.mac.toLowerCase() !== link.mac) {
    throw new CniError(ErrorCode.Internal, `Interface ${iface.name} Mac ${iface.mac} doesn't match container Mac: ${link.mac}`);
  }
  return link;
}

/**
 * Each of `ips` must be on `ifName` with its prefix length, and a route to its network must exist (the
 * reference's ValidateExpectedInterfaceIPs).
 */
export function validateExpectedInterfaceIPs(container: Netlink, ifName: string, ips: readonly IPConfig[]): void {
  if (ips.length === 0) return;
  const link = findLink(container, ifName);
  if (link === undefined) throw new CniError(ErrorCode.Internal, `Cannot find container link ${ifName}`);
  const present = netlinkStep("Cannot obtain List of IP Addresses", () => container.addrList({ link: link.index }));
  for (const ip of ips) {
    const cidr = parseCIDR(ip.address);
    if (cidr === undefined) throw new CniError(ErrorCode.Internal, `Invalid address ${ip.address} in prevResult`);
    const address = formatIP(cidr.ip);
    let found = false;
    for (const a of present) {
      if (a.address === address && a.prefixLength === cidr.prefix) {
        found = true;
        break;
      }
    }
    if (!found) throw new CniError(ErrorCode.Internal, `Failed to match addr ${formatCIDR(cidr)} on interface ${ifName}`);
    const network = formatCIDR(networkOf(cidr));
    const routes = netlinkStep(`failed to list the routes to ${network}`, () => container.routeList({ family: cidr.ip.family, dst: network }));
    if (routes.length === 0) throw new CniError(ErrorCode.Internal, `Failed to find Gateway ${ip.gateway ?? "<nil>"} for interface ${ifName}`);
  }
}

/**
 * Each of `routes` must be in the routing table (its `table`, else main), matched by destination and,
 * when the route names one, gateway (the reference's ValidateExpectedRoute; it ignores the gateway of
 * default routes and other tables, we do not).
 */
export function validateExpectedRoutes(container: Netlink, routes: readonly Route[]): void {
  for (const route of routes) {
    const dst = parseCIDR(route.dst);
    if (dst === undefined) throw new CniError(ErrorCode.Internal, `Invalid static route found ${describeRoute(route)}`);
    const filter: RouteFilter = { family: dst.ip.family, dst: formatCIDR(networkOf(dst)) };
    if (route.gw !== undefined) {
      const gateway = parseIP(route.gw);
      if (gateway === undefined) throw new CniError(ErrorCode.Internal, `Invalid static route found ${describeRoute(route)}`);
      filter.gateway = formatIP(gateway);
    }
    if (route.table !== undefined) filter.table = route.table;
    const found = netlinkStep(`Expected Route ${describeRoute(route)} not route table lookup error`, () => container.routeList(filter));
    if (found.length === 0) throw new CniError(ErrorCode.Internal, `Expected Route ${describeRoute(route)} not found in routing table`);
  }
}

function describeRoute(route: Route): string {
  return route.gw === undefined ? `{Dst: ${route.dst}}` : `{Dst: ${route.dst} GW: ${route.gw}}`;
}
