// GC's rule: which leases the runtime no longer wants (cni.dev/valid-attachments).
import type { Attachment } from "@cni/skel";
import type { Lease } from "./lease-files";

/**
 * The leases to release: those whose (containerID, ifname) is not a valid attachment. An old-format
 * lease (container ID only) stays when any valid attachment has that container ID, as DEL's fallback
 * treats it. Empty or garbled leases go. An empty `valid` list releases everything.
 */
export function staleLeases(leases: readonly Lease[], valid: readonly Attachment[]): Lease[] {
  const attachments = new Set(valid.map((a) => `${a.containerID.trim()}\r\n${a.ifname}`));
  const containers = new Set(valid.map((a) => a.containerID.trim()));
  return leases.filter((lease) => {
    if (lease.owner === "") return true;
    return lease.owner.includes("\r\n") ? !attachments.has(lease.owner) : !containers.has(lease.owner);
  });
}
