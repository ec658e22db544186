// The IPAM part of an ADD/DEL/CHECK, as bridge and veth both do it: delegate to `ipam.type` on CNI_PATH,
// with the lease released again by the undo stack when a later ADD step fails.
import { CniError, ErrorCode, delegateAdd, delegateCheck, delegateDel, delegateGC, delegateStatus, type CmdArgs, type Result } from "@cni/skel";
import type { UndoStack } from "./undo";

/** `ipam.type` from the config ("" when absent: delegation then fails with `no plugin name provided`). */
export function ipamType(args: CmdArgs): string {
  return args.config.ipam?.type ?? "";
}

/**
 * IPAM ADD, registering IPAM DEL on `undo`. A result without IPs is refused (code 999, the reference's
 * `IPAM plugin returned missing IP config`), and the lease it may hold is released by the undo stack.
 */
export async function ipamAdd(args: CmdArgs, undo: UndoStack): Promise<Result> {
  const type = ipamType(args);
  const result = await undo.step(
    `IPAM DEL (${type})`,
    () => delegateAdd(type, args),
    () => delegateDel(type, args),
  );
  if (result.ips === undefined || result.ips.length === 0) {
    throw new CniError(ErrorCode.Internal, "IPAM plugin returned missing IP config");
  }
  return result;
}

/** IPAM DEL (releasing the lease; a lease already gone is the IPAM plugin's success). */
export function ipamDel(args: CmdArgs): Promise<void> {
  return delegateDel(ipamType(args), args);
}

/** IPAM CHECK. */
export function ipamCheck(args: CmdArgs): Promise<void> {
  return delegateCheck(ipamType(args), args);
}

/** IPAM STATUS; a config without `ipam.type` (bridge's L2 mode) has no IPAM to ask. */
export async function ipamStatus(args: CmdArgs): Promise<void> {
  const type = ipamType(args);
  if (type !== "") await delegateStatus(type, args);
}

/** IPAM GC (leases of attachments not in `cni.dev/valid-attachments` go); nothing without `ipam.type`. */
export async function ipamGc(args: CmdArgs): Promise<void> {
  const type = ipamType(args);
  if (type !== "") await delegateGC(type, args);
}

/** The config's `dns`, when given (any field, even an empty list), replaces the IPAM result's. */
export function applyDnsOverride(result: Result, args: CmdArgs): Result {
  const dns = args.config.dns;
  if (dns === undefined) return result;
  return { ...result, dns };
}
