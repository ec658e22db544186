// nftables the way the plugins change it (masquerade, bridge's spoof check): a handle opened for one job
// and always closed, listings where a missing table or chain is simply empty, and transactions built
// from a fresh listing, retried once when a concurrent call changed the ruleset in between.
import { Nftables, type NftOp } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "./errors";

/**
 * Open nftables (in `netnsPath`, else the caller's namespace), run `work`, close. Any failure, opening
 * included, becomes a CniError `<what>: <reason>` (code 999); a CniError from `work` passes unchanged.
 */
export function withNftables<T>(what: string, work: (nft: Nftables) => T, netnsPath?: string): T {
  let nft: Nftables | undefined;
  try {
    nft = netnsPath === undefined ? Nftables.current() : Nftables.at(netnsPath);
    return work(nft);
  } catch (thrown) {
    throw netlinkToCniError(thrown, what);
  } finally {
    nft?.close();
  }
}

/** `list()`, or nothing when the table or chain it lists does not exist (yet, or any more): ENOENT. */
export function listIfPresent<T>(list: () => T[]): T[] {
  try {
    return list();
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENOENT")) return [];
    throw thrown;
  }
}

/**
 * Commit the ops `build` makes from a fresh listing (nothing to commit: done). A rule or chain deleted by
 * a concurrent call between the listing and the commit fails the transaction with ENOENT: build and
 * commit once more; a second failure is thrown.
 */
export function commitFresh(nft: Nftables, build: () => NftOp[]): void {
  for (let attempt = 0; ; attempt++) {
    const ops = build();
    if (ops.length === 0) return;
    try {
      nft.commit(ops);
      return;
    } catch (thrown) {
      if (attempt > 0 || !isNetlinkCode(thrown, "ENOENT")) throw thrown;
    }
  }
}
