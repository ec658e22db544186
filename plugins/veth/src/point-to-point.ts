// The point-to-point part of veth (the reference ptp's routing): every container address reaches its
// subnet through the gateway, and the gateway lives on the host end of the pair as a /32 (/128). The
// kit does the generic work (veth, IPAM result, sysctls); what is here is this plugin's own topology.
import { CniError, ErrorCode, formatCIDR, formatIP, networkOf, parseCIDR, parseIP, type CIDR, type IPAddr, type IPConfig, type Interface, type Result } from "@cni/skel";
import { RT_SCOPE_HOST, RT_SCOPE_LINK, type Link, type Netlink } from "@cni/netlink";
import { checkContainerVeth, findLink, isNetlinkCode, netlinkStep, netlinkToCniError, type VethPair } from "@cni/plugin-kit";

/** One container address and the gateway it is routed through (on the host end). */
export interface RoutedAddress {
  /** the container address with its subnet's prefix, e.g. 10.96.0.2/24 */
  address: CIDR;
  gateway: IPAddr;
}

/** The IPAM result's addresses with their gateways; an address without one cannot be routed point-to-point. */
export function routedAddresses(result: Result): RoutedAddress[] {
  const routed: RoutedAddress[] = [];
  for (const ip of result.ips ?? []) {
    const address = parseCIDR(ip.address);
    if (address === undefined) throw new CniError(ErrorCode.Internal, `IPAM returned an invalid address ${JSON.stringify(ip.address)}`);
    const gateway = ip.gateway === undefined ? undefined : parseIP(ip.gateway);
    if (gateway === undefined || gateway.family !== address.ip.family) {
      throw new CniError(ErrorCode.Internal, `IPAM returned ${ip.address} without a gateway of its family: veth routes every address through one`);
    }
    routed.push({ address, gateway });
  }
  return routed;
}

/** `[host, container]` as the reference reports them, every IP on the container end (`interface: 1`). */
export function attachResult(result: Result, pair: VethPair, sandbox: string): Result {
  const interfaces: Interface[] = [
    { name: pair.host.name, mac: pair.host.mac },
    { name: pair.container.name, mac: pair.container.mac, sandbox },
  ];
  const ips: IPConfig[] = [];
  for (const ip of result.ips ?? []) ips.push({ ...ip, interface: 1 });
  return { ...result, interfaces, ips };
}

/** The gateway as a host prefix: 10.96.0.1/32, fd96::1/128. */
function hostPrefix(ip: IPAddr): string {
  return `${formatIP(ip)}/${ip.family === 4 ? 32 : 128}`;
}

/**
 * In the container: the kernel's subnet route is replaced by `GW/32 scope link src IP` and
 * `SUBNET via GW src IP`, so everything in the subnet, too, goes through the host.
 */
export function routeSubnetThroughGateway(container: Netlink, link: Link, addresses: readonly RoutedAddress[]): void {
  for (const { address, gateway } of addresses) {
    const family = address.ip.family;
    const subnet = formatCIDR(networkOf(address));
    const src = formatIP(address.ip);
    const gatewayPrefix = hostPrefix(gateway);
    netlinkStep(`failed to delete the route to ${subnet} on "${link.name}"`, () => container.routeDel({ dst: subnet, link: link.index, family }));
    netlinkStep(`failed to add route ${gatewayPrefix} dev ${link.name} scope link src ${src}`, () =>
      container.routeAdd({ dst: gatewayPrefix, link: link.index, scope: RT_SCOPE_LINK, src, family }),
    );
    netlinkStep(`failed to add route ${subnet} via ${formatIP(gateway)} dev ${link.name} src ${src}`, () =>
      container.routeAdd({ dst: subnet, gateway: formatIP(gateway), link: link.index, src, family }),
    );
  }
}

/**
 * On the host end: the gateway address as /32 (/128) — every pod's host end carries the same one — and
 * a host route to each container address. (Without `enabledad`, createVeth turned IPv6 duplicate address
 * detection off on this end before it came up: the gateway answers at once instead of after ~1.5 s.)
 */
export function configureHostEnd(host: Netlink, link: Link, addresses: readonly RoutedAddress[]): void {
  for (const { address, gateway } of addresses) {
    const gatewayPrefix = hostPrefix(gateway);
    netlinkStep(`failed to add IP addr ${gatewayPrefix} to "${link.name}"`, () => host.addrAdd(link.index, gatewayPrefix));
    const containerPrefix = hostPrefix(address.ip);
    try {
      host.routeAdd({ dst: containerPrefix, link: link.index, scope: RT_SCOPE_HOST, family: address.ip.family });
    } catch (thrown) {
      // another attachment of the same address (a stale one) already routes it: as the reference
      if (!isNetlinkCode(thrown, "EEXIST")) throw netlinkToCniError(thrown, `failed to add host route ${containerPrefix} dev ${link.name}`);
    }
  }
}

/**
 * CHECK of the container end beyond the kit's validators: the route to each gateway is there.
 * Returns the container link (its peerIndex names the host end).
 */
export function checkContainerEnd(container: Netlink, iface: Interface, addresses: readonly RoutedAddress[]): Link {
  const link = checkContainerVeth(container, iface);
  for (const { gateway } of addresses) {
    const gatewayPrefix = hostPrefix(gateway);
    const routes = netlinkStep(`failed to list the routes to ${gatewayPrefix}`, () =>
      container.routeList({ family: gateway.family, dst: gatewayPrefix, link: link.index }),
    );
    if (routes.length === 0) throw new CniError(ErrorCode.Internal, `Expected Route {Dst: ${gatewayPrefix}} not found in routing table`);
  }
  return link;
}

/**
 * CHECK of the host end, which the reference skips: the host interface of prevResult is the container
 * end's peer, and carries each gateway address and the host route to each container address.
 */
export function checkHostEnd(host: Netlink, hostIface: Interface | undefined, containerLink: Link, addresses: readonly RoutedAddress[]): void {
  if (hostIface === undefined) throw new CniError(ErrorCode.Internal, "Host interface missing in prevResult");
  const link = findLink(host, hostIface.name);
  if (link === undefined) throw new CniError(ErrorCode.Internal, `Host interface name in prevResult: ${hostIface.name} not found`);
  if (link.kind !== "veth" || link.index !== containerLink.peerIndex) {
    throw new CniError(ErrorCode.Internal, `Host interface ${hostIface.name} is not the peer of container interface ${containerLink.name}`);
  }
  const present = netlinkStep(`failed to list the addresses of "${link.name}"`, () => host.addrList({ link: link.index }));
  for (const { address, gateway } of addresses) {
    const gatewayText = formatIP(gateway);
    const bits = gateway.family === 4 ? 32 : 128;
    let found = false;
    for (const a of present) if (a.address === gatewayText && a.prefixLength === bits) found = true;
    if (!found) throw new CniError(ErrorCode.Internal, `Failed to match addr ${gatewayText}/${bits} on host interface ${link.name}`);
    const containerPrefix = hostPrefix(address.ip);
    const routes = netlinkStep(`failed to list the routes to ${containerPrefix}`, () =>
      host.routeList({ family: address.ip.family, dst: containerPrefix, link: link.index }),
    );
    if (routes.length === 0) throw new CniError(ErrorCode.Internal, `Expected host route {Dst: ${containerPrefix} Dev: ${link.name}} not found in routing table`);
  }
}
