// What the IPAM result becomes in the bridge's result, and which gateway addresses the bridge holds
// (the reference's calcGateways). Pure: no kernel.
import { CniError, ErrorCode, formatIP, networkOf, nextIP, parseCIDR, parseIP, type CIDR, type Family, type IPConfig, type Result, type Route } from "@cni/skel";

/** Index of the container interface in the result: bridge, host veth, container veth. */
export const CONTAINER_INTERFACE_INDEX = 2;

export interface GatewayOptions {
  isGateway: boolean;
  isDefaultGateway: boolean;
}

export interface Gateways {
  /** the IPAM IPs with `interface: 2`, and a gateway (network + 1) filled in when `isGateway` */
  ips: IPConfig[];
  /** the IPAM routes plus, with `isDefaultGateway`, one default route per family that has none with a gw */
  routes: Route[];
  /** with `isGateway`: each gateway with the container's prefix, IPv4 first */
  addresses: CIDR[];
}

export function calcGateways(ipamResult: Result, options: GatewayOptions): Gateways {
  const routes: Route[] = [...(ipamResult.routes ?? [])];
  const ips: IPConfig[] = [];
  const v4: CIDR[] = [];
  const v6: CIDR[] = [];
  const defaultRouteFound = { 4: false, 6: false };
  for (const ip of ipamResult.ips ?? []) {
    const address = parseCIDR(ip.address);
    if (address === undefined) throw new CniError(ErrorCode.Internal, `Unknown IP object: ${ip.address}`);
    const family = address.ip.family;
    let gateway = ip.gateway;
    if (gateway === undefined && options.isGateway) gateway = formatIP(nextIP(networkOf(address).ip));
    const withIndex: IPConfig = { ...ip, interface: CONTAINER_INTERFACE_INDEX };
    if (gateway !== undefined) withIndex.gateway = gateway;
    ips.push(withIndex);

    if (options.isDefaultGateway && !defaultRouteFound[family]) {
      const defaultDst = family === 4 ? "0.0.0.0/0" : "::/0";
      for (const route of routes) {
        if (route.gw !== undefined && isDefaultDst(route.dst, family)) defaultRouteFound[family] = true;
      }
      if (!defaultRouteFound[family]) {
        routes.push(gateway === undefined ? { dst: defaultDst } : { dst: defaultDst, gw: gateway });
        defaultRouteFound[family] = true;
      }
    }
    if (options.isGateway && gateway !== undefined) {
      const gatewayIp = parseIP(gateway);
      if (gatewayIp === undefined || gatewayIp.family !== family) {
        throw new CniError(ErrorCode.Internal, `IPAM returned gateway ${gateway} that is not an address of ${ip.address}'s family`);
      }
      (family === 4 ? v4 : v6).push({ ip: gatewayIp, prefix: address.prefix });
    }
  }
  return { ips, routes, addresses: [...v4, ...v6] };
}

function isDefaultDst(dst: string, family: Family): boolean {
  const cidr = parseCIDR(dst);
  return cidr !== undefined && cidr.ip.family === family && cidr.prefix === 0;
}
