// One attachment of a container to a network, as the plugins' own state is keyed (masquerade rules, spoof
// checks): what GC's `cni.dev/valid-attachments` lists, spelt the kit's way.
import { validAttachments, type CmdArgs } from "@cni/skel";

export interface AttachmentId {
  containerId: string;
  ifName: string;
}

/** GC: the attachments still valid (code 7 when the runtime gave no list: none is not "all gone"). */
export function validAttachmentIds(args: CmdArgs): AttachmentId[] {
  const ids: AttachmentId[] = [];
  for (const a of validAttachments(args.config)) ids.push({ containerId: a.containerID, ifName: a.ifname });
  return ids;
}
