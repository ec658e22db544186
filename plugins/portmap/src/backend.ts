// What both backends (nftables-backend.ts, iptables-backend.ts) do for portmap.ts: one attachment's
// rules added, checked, deleted, and a network's stale ones collected.
import type { ContainerAddress, PortmapConfig } from "./config";

/** One container's published ports: what ADD and CHECK work from. */
export interface PortmapAttachment {
  network: string;
  containerId: string;
  /** the first IPv4 and first IPv6 address of the container interface (config.containerAddresses) */
  addresses: readonly ContainerAddress[];
  conf: PortmapConfig;
}

export interface PortmapBackend {
  /** Forward the mappings to each address, atomically: on failure, none of this call's rules stays. */
  add(attachment: PortmapAttachment): void;
  /** CNI error naming what is missing. */
  check(attachment: PortmapAttachment): void;
  /**
   * Remove the container's rules, found by network and container id; `addresses` (from a prevResult)
   * narrows them to those addresses' rules. Idempotent.
   */
  del(network: string, containerId: string, addresses: readonly ContainerAddress[] | undefined): void;
  /** Remove the network's rules of containers not in `validContainerIds`. */
  gc(network: string, validContainerIds: ReadonlySet<string>): void;
}
