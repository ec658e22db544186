// UDP has no connection to close: a conntrack entry made before the mapping existed (a client already
// sending to the host port) keeps its old translation, and the traffic never reaches the container. After
// the rules are in, ADD deletes the UDP entries whose original destination port is a mapped host port, as
// the reference does (any destination address), over ctnetlink: no `conntrack` process.
import { Conntrack } from "@cni/netlink";
import type { ContainerAddress, PortMapping } from "./config";

/**
 * Delete the stale UDP flows of the mapped host ports, for the families the container has. Best effort, as
 * the reference's (it only logs): the rules are in, and a failure here must not undo a working ADD.
 */
export function deleteStaleUdpFlows(mappings: readonly PortMapping[], addresses: readonly ContainerAddress[], netnsPath?: string): void {
  const ports: number[] = [];
  for (const mapping of mappings) if (mapping.protocol === "udp" && !ports.includes(mapping.hostPort)) ports.push(mapping.hostPort);
  if (ports.length === 0) return;
  const families = new Set(addresses.map((container) => container.address.family));
  let conntrack: Conntrack | undefined;
  try {
    conntrack = netnsPath === undefined ? Conntrack.current() : Conntrack.at(netnsPath);
    conntrack.deleteByDestinationPort("udp", ports, families.size === 1 ? [...families][0] : undefined);
  } catch {
    // nf_conntrack_netlink missing, or a race with the kernel's own expiry: nothing to undo
  } finally {
    conntrack?.close();
  }
}
