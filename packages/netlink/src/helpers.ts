// DEPRECATED, on its way out: these are plugin jobs and now live in @cni/plugin-kit (createVeth,
// deleteLinkReturningAddresses, randomVethName, waitForOperstate, settleAddresses), with CNI errors.
// Kept only while packages/netlink's own tests still import them; delete this file with their export.
import { Errno, NetlinkError } from "./errors";
import type { Netlink } from "./netlink";
import type { Address, Link, LinkRef } from "./types";

/** "veth" + 8 random hex digits, as the Go plugins name host-side veths. */
export function randomVethName(prefix = "veth"): string {
  // Web Crypto (a global in Node and Bun): importing node:crypto would cost start-up time.
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface VethWithRandomPeerOptions {
  /** the link created in `handle`'s namespace (e.g. the container's eth0) */
  name: string;
  /** handle on the namespace where the randomly named peer is created (e.g. the host namespace) */
  peerNetns: Netlink;
  mtu?: number;
  mac?: string;
  peerMac?: string;
  /** bring both ends up at creation (default true) */
  up?: boolean;
  /** default "veth" */
  peerPrefix?: string;
  /** where peer names come from (default randomVethName); tests use it to force a collision */
  nameSource?: () => string;
}

export interface VethPair {
  /** the end in `handle`'s namespace, as the kernel reports it after creation */
  link: Link;
  /** the peer end in `peerNetns` (its generated name is `peer.name`) */
  peer: Link;
}

const VETH_NAME_ATTEMPTS = 10;

/**
 * Create `name` in the handle's namespace with a peer called veth<8 hex> directly in `peerNetns`, retrying
 * with a new random name when the kernel reports EEXIST for the peer. EEXIST for `name` itself is thrown.
 * With `up` (default) both ends are brought up: `name` at creation, the peer by a second request from the
 * peer's namespace (the kernel refuses to open a veth peer before the pair is complete: ENOTCONN).
 */
export function createVethWithRandomPeer(handle: Netlink, options: VethWithRandomPeerOptions): VethPair {
  const up = options.up ?? true;
  for (let attempt = 1; ; attempt++) {
    const peerName = options.nameSource ? options.nameSource() : randomVethName(options.peerPrefix);
    try {
      handle.linkAddVeth({
        name: options.name,
        peerName,
        peerNetns: options.peerNetns.path,
        up,
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        ...(options.mac !== undefined ? { mac: options.mac } : {}),
        ...(options.peerMac !== undefined ? { peerMac: options.peerMac } : {}),
      });
    } catch (thrown) {
      const collided = thrown instanceof NetlinkError && thrown.code === "EEXIST";
      if (!collided || attempt >= VETH_NAME_ATTEMPTS || linkExists(handle, options.name)) throw thrown;
      continue;
    }
    try {
      if (up) options.peerNetns.linkSetUp(peerName);
      return { link: handle.linkGet(options.name), peer: options.peerNetns.linkGet(peerName) };
    } catch (thrown) {
      // Leave nothing behind: deleting one end deletes the pair.
      try {
        handle.linkDel(options.name);
      } catch {
        // already gone
      }
      throw thrown;
    }
  }
}

function linkExists(handle: Netlink, link: LinkRef): boolean {
  try {
    handle.linkGet(link);
    return true;
  } catch (thrown) {
    if (thrown instanceof NetlinkError && thrown.code === "ENODEV") return false;
    throw thrown;
  }
}

/**
 * Delete a link and return the addresses it had (of `family`, or all) — what the Go plugins'
 * DelLinkByNameAddr does, so DEL can release them. A missing link throws code 'ENODEV'.
 */
export function linkDelReturningAddresses(handle: Netlink, link: LinkRef, family?: 4 | 6): Address[] {
  const found = handle.linkGet(link);
  const addresses = handle.addrList({ link: found.index, ...(family !== undefined ? { family } : {}) });
  handle.linkDel(found.index);
  return addresses;
}

const POLL_INTERVAL_MS = 10;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `link` reports `operstate` (default "up"); code 'ETIMEDOUT' after `timeoutMs`. */
export async function waitForOperstate(handle: Netlink, link: LinkRef, operstate = "up", timeoutMs = 5000): Promise<Link> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = handle.linkGet(link);
    if (current.operstate === operstate) return current;
    if (Date.now() >= deadline) {
      throw new NetlinkError(`waitForOperstate ${current.name}: still ${current.operstate} after ${timeoutMs} ms, wanted ${operstate}`, {
        errno: Errno.ETIMEDOUT, code: "ETIMEDOUT", request: "waitForOperstate", subject: current.name,
      });
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Wait until no IPv6 address of `link` is tentative (duplicate address detection finished), as the Go
 * plugins' SettleAddresses does. Code 'EADDRNOTAVAIL' when DAD failed, 'ETIMEDOUT' after `timeoutMs`.
 */
export async function waitForIpv6Settled(handle: Netlink, link: LinkRef, timeoutMs = 5000): Promise<Address[]> {
  const deadline = Date.now() + timeoutMs;
  const subject = String(link);
  for (;;) {
    const addresses = handle.addrList({ link, family: 6 });
    const failed = addresses.find((a) => a.dadFailed);
    if (failed) {
      throw new NetlinkError(`waitForIpv6Settled ${subject}: address ${failed.address} failed duplicate address detection`, {
        errno: Errno.EADDRNOTAVAIL, code: "EADDRNOTAVAIL", request: "waitForIpv6Settled", subject,
      });
    }
    if (!addresses.some((a) => a.tentative)) return addresses;
    if (Date.now() >= deadline) {
      throw new NetlinkError(`waitForIpv6Settled ${subject}: addresses still tentative after ${timeoutMs} ms`, {
        errno: Errno.ETIMEDOUT, code: "ETIMEDOUT", request: "waitForIpv6Settled", subject,
      });
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
