// UDP has no connection to close: a conntrack entry keeps its translation for as long as packets keep
// coming. So after ADD, the UDP entries whose original destination port is a mapped host port are deleted
// (a client already sending there was tracked before the mapping and would never reach the container), as
// the reference does (any destination address); and after DEL, those DNATed to the container's addresses
// (the reference leaves them, #1190: the flow keeps reaching the old address). Over ctnetlink: no
// `conntrack` process.
import { ipToBytes } from "@cni/skel";
import { Conntrack } from "@cni/netlink";
import type { ContainerAddress, PortMapping } from "./config";

/** After ADD: the stale UDP flows of the mapped host ports, for the families the container has. */
export function deleteStaleUdpFlows(mappings: readonly PortMapping[], addresses: readonly ContainerAddress[]): void {
  const ports = udpHostPorts(mappings);
  if (ports.length === 0) return;
  const families = new Set(addresses.map((container) => container.address.family));
  const family = families.size === 1 ? [...families][0] : undefined;
  bestEffort((conntrack) => conntrack.deleteByDestinationPort("udp", ports, family));
}

/** After DEL: the UDP flows of the mapped host ports that were DNATed to one of the container's addresses. */
export function deleteForwardedUdpFlows(mappings: readonly PortMapping[], addresses: readonly ContainerAddress[]): void {
  const ports = udpHostPorts(mappings);
  if (ports.length === 0) return;
  bestEffort((conntrack) => {
    for (const { address } of addresses) conntrack.deleteByDestinationPort("udp", ports, address.family, ipToBytes(address));
  });
}

function udpHostPorts(mappings: readonly PortMapping[]): number[] {
  const ports: number[] = [];
  for (const mapping of mappings) if (mapping.protocol === "udp" && !ports.includes(mapping.hostPort)) ports.push(mapping.hostPort);
  return ports;
}

/** Failures are not the verb's (the reference only logs them): the rules are right either way. */
function bestEffort(work: (conntrack: Conntrack) => void): void {
  let conntrack: Conntrack | undefined;
  try {
    conntrack = Conntrack.current();
    work(conntrack);
  } catch {
    // nf_conntrack_netlink missing, or an entry expiring under us: nothing to undo
  } finally {
    conntrack?.close();
  }
}
