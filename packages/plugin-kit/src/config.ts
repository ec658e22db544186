// Config keys that several plugins read the same way (each plugin's own keys stay in its config.ts).
import { CniError, ErrorCode, readKey, type JsonObject } from "@cni/skel";

/**
 * `mtu` for the interfaces a plugin creates: undefined when absent or 0 (the kernel's default); code 7
 * for a negative or non-integer value, before anything is created.
 */
export function readMtu(raw: JsonObject): number | undefined {
  const mtu = readKey.integer(raw, "mtu");
  if (mtu !== undefined && mtu < 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "mtu" ${mtu}: must be 0 (the kernel's default) or more`);
  }
  return mtu === 0 ? undefined : mtu;
}
