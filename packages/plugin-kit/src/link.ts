// Link jobs on top of single kernel requests: existence, deletion for DEL, waiting for a state.
import { RT_SCOPE_UNIVERSE, type Address, type Link, type LinkRef, type Netlink, type PendingRequest } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "./errors";

/** The link, or undefined when there is none by that name/index. */
export function findLink(netns: Netlink, link: LinkRef): Link | undefined {
  try {
    return netns.linkGet(link);
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENODEV")) return undefined;
    throw netlinkToCniError(thrown, `failed to lookup ${linkLabel(link)}`);
  }
}

/** Delete a link; false when it was already gone. Deleting one end of a veth removes both. */
export function deleteLinkIfPresent(netns: Netlink, link: LinkRef): boolean {
  return deletedUnlessGone(link, () => netns.linkDel(link));
}

/**
 * deleteLinkIfPresent on a helper thread (the kernel's wait for a deleted device overlaps the caller's next
 * steps); `netns` takes no other request until wait(), which gives false when the link was already gone.
 */
export function deleteLinkIfPresentInBackground(netns: Netlink, link: LinkRef): { wait(): boolean } {
  let deletion: PendingRequest;
  try {
    deletion = netns.linkDelInBackground(link);
  } catch (thrown) {
    throw netlinkToCniError(thrown, `failed to delete ${linkLabel(link)}`);
  }
  return { wait: (): boolean => deletedUnlessGone(link, () => deletion.wait()) };
}

/** Run a deletion of `link`: true when done, false when the link was already gone (ENODEV), else a CNI error. */
function deletedUnlessGone(link: LinkRef, deletion: () => void): boolean {
  try {
    deletion();
    return true;
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENODEV")) return false;
    throw netlinkToCniError(thrown, `failed to delete ${linkLabel(link)}`);
  }
}

/**
 * DEL's job (the Go plugins' DelLinkByNameAddr): delete `ifName` and return the global addresses it had,
 * so the caller can release what depended on them (masquerade rules). `undefined` when the link was
 * already gone, which DEL treats as success.
 */
export function deleteLinkReturningAddresses(netns: Netlink, ifName: string): Address[] | undefined {
  const link = findLink(netns, ifName);
  if (link === undefined) return undefined;
  let addresses: Address[];
  try {
    addresses = netns.addrList({ link: link.index });
  } catch (thrown) {
    throw netlinkToCniError(thrown, `failed to list the addresses of "${ifName}"`);
  }
  const global: Address[] = [];
  for (const address of addresses) if (address.scope === RT_SCOPE_UNIVERSE) global.push(address);
  if (!deleteLinkIfPresent(netns, link.index)) return undefined;
  return global;
}

/** Bring a link up: `failed to set "<name>" UP: <reason>` otherwise. */
export function setLinkUp(netns: Netlink, link: LinkRef): void {
  try {
    netns.linkSetUp(link);
  } catch (thrown) {
    throw netlinkToCniError(thrown, `failed to set ${linkLabel(link)} UP`);
  }
}

const POLL_INTERVAL_MS = 10;

/** The bridge plugin waits this long (0+50+500+1000+1000 ms in the reference) for its port to come up. */
export const OPERSTATE_TIMEOUT_MS = 2550;

/**
 * Poll `link` until its operstate is `wanted` or `timeoutMs` passed; returns the link as last read, so
 * the caller decides what a different state means (bridge: `bridge port in error state: <state>`).
 */
export async function waitForOperstate(netns: Netlink, link: LinkRef, wanted = "up", timeoutMs = OPERSTATE_TIMEOUT_MS): Promise<Link> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let current: Link;
    try {
      current = netns.linkGet(link);
    } catch (thrown) {
      throw netlinkToCniError(thrown, `failed to lookup ${linkLabel(link)}`);
    }
    if (current.operstate === wanted || Date.now() >= deadline) return current;
    await sleep(POLL_INTERVAL_MS);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `"eth0"` for a name, `link 7` for an index, as messages name links. */
export function linkLabel(link: LinkRef): string {
  return typeof link === "string" ? `"${link}"` : `link ${link}`;
}
