// Applying an IPAM result to the container's interface: the Go plugins' ipam.ConfigureIface.
import { CniError, ErrorCode, formatCIDR, formatIP, networkOf, parseCIDR, parseIP, type Result, type Route } from "@cni/skel";
import type { Netlink, RouteSpec } from "@cni/netlink";
import { netlinkToCniError, netlinkStep } from "./errors";
import { setLinkUp, sleep } from "./link";
import { ensureSysctls, ipv6ConfKey } from "./sysctl";

/** How long configureInterface waits for IPv6 duplicate address detection, as the reference. */
export const DAD_SETTLE_TIMEOUT_MS = 5000;
const SETTLE_POLL_MS = 10;

/**
 * Put `result`'s addresses and routes on `ifName` inside `netns` and bring it up:
 * 1. every IP whose `interface` is set must point at `result.interfaces[i]` named `ifName`
 *    (`failed to add IP addr <cidr> to "<if>": invalid interface index`); IPs without one are skipped;
 * 2. before the first IPv6 address, IPv6 is enabled on lo and `ifName` (disable_ipv6=0) and
 *    keep_addr_on_down=1 is set on `ifName`;
 * 3. the addresses are added, the link is brought up;
 * 4. with an IPv6 gateway, wait (up to 5 s) until no IPv6 address is tentative;
 * 5. each route is added via its `gw`, or the first gateway of its family; priority, table and scope are
 *    honoured, and a route next to an identical destination becomes another (ECMP) path.
 */
export async function configureInterface(netns: Netlink, ifName: string, result: Result): Promise<void> {
  const interfaces = result.interfaces ?? [];
  if (interfaces.length === 0) throw new CniError(ErrorCode.Internal, "no interfaces to configure");
  const link = netlinkStep(`failed to lookup "${ifName}"`, () => netns.linkGet(ifName));

  let v4Gateway: string | undefined;
  let v6Gateway: string | undefined;
  let ipv6Enabled = false;
  for (const ip of result.ips ?? []) {
    if (ip.interface === undefined) continue;
    if (interfaces[ip.interface]?.name !== ifName) {
      throw new CniError(ErrorCode.Internal, `failed to add IP addr ${ip.address} to "${ifName}": invalid interface index`);
    }
    const cidr = parseCIDR(ip.address);
    if (cidr === undefined) throw new CniError(ErrorCode.Internal, `failed to add IP addr ${ip.address} to "${ifName}": invalid address`);
    if (cidr.ip.family === 6 && !ipv6Enabled) {
      enableIpv6(netns, ifName);
      ipv6Enabled = true;
    }
    netlinkStep(`failed to add IP addr ${ip.address} to "${ifName}"`, () => netns.addrAdd(link.index, formatCIDR(cidr)));
    const gateway = ip.gateway === undefined ? undefined : parseIP(ip.gateway);
    if (gateway?.family === 4) v4Gateway ??= formatIP(gateway);
    if (gateway?.family === 6) v6Gateway ??= formatIP(gateway);
  }

  setLinkUp(netns, link.index);
  if (v6Gateway !== undefined) {
    try {
      await settleAddresses(netns, ifName, DAD_SETTLE_TIMEOUT_MS);
    } catch (thrown) {
      throw netlinkToCniError(thrown, `failed to settle addresses for "${ifName}"`);
    }
  }

  for (const route of result.routes ?? []) {
    const dst = parseCIDR(route.dst);
    if (dst === undefined) throw new CniError(ErrorCode.Internal, `failed to add route '${route.dst}': invalid destination`);
    const gateway = route.gw ?? (dst.ip.family === 4 ? v4Gateway : v6Gateway);
    // Go reads `dst` with ParseCIDR, which drops host bits: "10.1.2.5/24" is 10.1.2.0/24.
    const spec: RouteSpec = { dst: formatCIDR(networkOf(dst)), link: link.index, family: dst.ip.family };
    if (gateway !== undefined) spec.gateway = gateway;
    if (route.priority !== undefined && route.priority !== 0) spec.metric = route.priority;
    if (route.table !== undefined) spec.table = route.table;
    if (route.scope !== undefined) spec.scope = route.scope;
    // NLM_F_APPEND: an existing route to the same destination gets this one beside it (ECMP), as
    // the reference's RouteAddEcmp; an identical route is still refused with EEXIST.
    netlinkStep(`failed to add route '${describeRoute(route, gateway, ifName)}'`, () => netns.routeAppend(spec));
  }
}

/** The reference's wording: `<dst> via <gw> dev <if> metric <n> (Scope: <s>, Table: <t>)`. */
function describeRoute(route: Route, gateway: string | undefined, ifName: string): string {
  return `${route.dst} via ${gateway ?? "<nil>"} dev ${ifName} metric ${route.priority ?? 0} (Scope: ${route.scope ?? 0}, Table: ${route.table ?? 0})`;
}

/**
 * IPv6 must be on for lo and `ifName` before an IPv6 address can go on; keep it across link down. One trip
 * into the namespace for the three settings. A disable_ipv6 the namespace does not have is left to
 * addrAdd to report, as the reference does.
 */
function enableIpv6(netns: Netlink, ifName: string): void {
  const keepAddrOnDown = ipv6ConfKey(ifName, "keep_addr_on_down");
  ensureSysctls(
    netns,
    [[ipv6ConfKey("lo", "disable_ipv6"), "0"], [ipv6ConfKey(ifName, "disable_ipv6"), "0"], [keepAddrOnDown, "1"]],
    (key) => key !== keepAddrOnDown,
    (key) =>
      key === keepAddrOnDown
        ? `failed to enable keep_addr_on_down for interface "${ifName}"`
        : `failed to enable IPv6 for interface "${key.split("/")[3] ?? ifName}" (${key} could not be set to 0)`,
  );
}

/**
 * Wait until no IPv6 address of `ifName` is tentative (duplicate address detection done), as the
 * reference's SettleAddresses. A failed detection is an error at once; at the deadline, tentative
 * addresses are an error only while the link is up (a down link never finishes detection).
 */
export async function settleAddresses(netns: Netlink, ifName: string, timeoutMs: number = DAD_SETTLE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const addresses = netlinkStep("could not list addresses", () => netns.addrList({ link: ifName, family: 6 }));
    let tentative = false;
    for (const address of addresses) {
      if (address.dadFailed) {
        throw new CniError(ErrorCode.Internal, `link ${ifName} has address ${address.address} in DADFAILED state`);
      }
      if (address.tentative) tentative = true;
    }
    if (!tentative) return;
    if (Date.now() >= deadline) {
      const link = netlinkStep("failed to retrieve link", () => netns.linkGet(ifName));
      if (link.operstate !== "up") return;
      throw new CniError(ErrorCode.Internal, `link ${ifName} still has tentative addresses after ${timeoutMs / 1000} seconds`);
    }
    await sleep(SETTLE_POLL_MS);
  }
}
