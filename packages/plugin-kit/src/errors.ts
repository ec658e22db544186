// Kernel failures as CNI errors, in one place: every plugin step that talks to netlink goes through here,
// so messages read the same everywhere ("<what failed>: <kernel's reason>") and no stack trace escapes.
import { CniError, ErrorCode, isCniError } from "@cni/skel";
import { NetlinkError } from "@cni/netlink";

/**
 * `thrown` (usually a NetlinkError) as a CniError whose message says what was being done and why it
 * failed, e.g. `failed to set "eth0" UP: linkSetUp eth0: No such device`. A CniError passes unchanged.
 * `code` defaults to 999 (internal): the spec has no code for a kernel refusal.
 */
export function netlinkToCniError(thrown: unknown, what: string, code: number = ErrorCode.Internal): CniError {
  if (isCniError(thrown)) return thrown;
  const reason = thrown instanceof Error ? thrown.message : String(thrown);
  return new CniError(code, `${what}: ${reason}`);
}

/** Run one kernel operation; a failure becomes `netlinkToCniError(failure, what, code)`. */
export function netlinkStep<T>(what: string, operation: () => T, code: number = ErrorCode.Internal): T {
  try {
    return operation();
  } catch (thrown) {
    throw netlinkToCniError(thrown, what, code);
  }
}

/** Whether `thrown` is a NetlinkError with this symbolic code ("ENODEV", "EEXIST", "ENOENT", ...). */
export function isNetlinkCode(thrown: unknown, code: string): boolean {
  return thrown instanceof NetlinkError && thrown.code === code;
}
