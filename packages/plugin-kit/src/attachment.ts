// One attachment of a container to a network, the job of bridge and veth (and of the next plugin that
// wires a container): the ADD frame both run their steps in, the creating steps both take, and the DEL
// and GC work on the state they keep per attachment (masquerade rules, spoof checks), keyed as GC's
// `cni.dev/valid-attachments` lists it, spelt the kit's way.
import { validAttachments, type CIDR, type CmdArgs } from "@cni/skel";
import type { Netlink, Nftables } from "@cni/netlink";
import { deleteLinkIfPresent, deleteLinkIfPresentInBackground } from "./link";
import { createMasquerade, type IpMasqBackend } from "./masquerade/index";
import { withContainerNetns, withContainerNetnsIfPresent, withHostNetns } from "./netns";
import { withUndo, type UndoStack } from "./undo";
import { createVeth, type VethOptions, type VethPair } from "./veth";

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

/** What an ADD's steps work with: the call, both namespaces (open) and the undo stack. */
export interface AttachContext {
  readonly args: CmdArgs;
  readonly host: Netlink;
  readonly container: Netlink;
  readonly undo: UndoStack;
}

/**
 * The frame of an ADD that attaches a container, always nested the same way: the host namespace, inside
 * it the container's (CNI_NETNS; code 4 when it is not a network namespace, before anything is created),
 * inside that the undo stack. A step that fails unwinds the stack while both handles are still open, then
 * the handles close.
 */
export function withAttachment<T>(args: CmdArgs, body: (attach: AttachContext) => Promise<T>): Promise<T> {
  return withHostNetns((host) =>
    withContainerNetns(args.netns, (container) => withUndo((undo) => body({ args, host, container, undo }))),
  );
}

/** Step: the veth pair (`ifName` in the container, its peer in the host), removed again by the undo. */
export function addVethPair({ host, container, undo }: AttachContext, options: VethOptions): VethPair {
  return undo.step(
    "delete the host veth",
    () => createVeth(container, host, options),
    (pair) => void deleteLinkIfPresent(host, pair.host.name),
  );
}

/**
 * Step: masquerade traffic from `cidrs` leaving their subnets, torn down again by the undo. (Setup is all
 * or nothing: one nftables transaction, or one iptables-restore per family with the first undone when
 * the second fails.)
 */
export function addMasquerade({ args, undo }: AttachContext, backend: IpMasqBackend, cidrs: readonly CIDR[]): void {
  const masquerade = createMasquerade(backend);
  undo.step(
    "IP masquerade",
    () => masquerade.setup(args.config.name, args.containerId, args.ifName, cidrs),
    () => masquerade.teardown(args.config.name, args.containerId, args.ifName),
  );
}

/**
 * DEL: the container's interface (a veth takes its peer along; a namespace already gone took it with it),
 * deleted on a helper thread while `alongside` (IPAM's DEL) runs, so the kernel's wait for a deleted device
 * (~10 ms) overlaps it. Both always run; a failure of `alongside` is the one thrown (closing the handle
 * then waits for the deletion and drops its outcome).
 */
export async function deleteContainerInterfaceAlongside(args: CmdArgs, alongside: () => Promise<void>): Promise<void> {
  const inNamespace = withContainerNetnsIfPresent(args.netns, async (container) => {
    const deletion = deleteLinkIfPresentInBackground(container, args.ifName);
    await alongside();
    deletion.wait();
  });
  await (inNamespace ?? alongside());
}

/**
 * DEL: this attachment's masquerade rules, found by (network, container id, ifname), never by address; on
 * `nft` when given (a handle the caller closes last: see the netfilter README, "DEL").
 */
export function removeMasquerade(args: CmdArgs, backend: IpMasqBackend, nft?: Nftables): void {
  createMasquerade(backend).teardown(args.config.name, args.containerId, args.ifName, nft);
}

/** GC: the network's masquerade rules of attachments not in `valid`. */
export function gcMasquerade(args: CmdArgs, backend: IpMasqBackend, valid: readonly AttachmentId[]): void {
  createMasquerade(backend).gc(args.config.name, valid);
}
