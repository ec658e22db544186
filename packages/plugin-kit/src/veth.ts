// A veth pair between the container and the host, as the Go plugins' ip.SetupVeth makes it: created from
// inside the container namespace with its peer created directly in the host namespace, the host end named
// veth<8 hex> (retried on a taken name), up, and with accept_ra=0; the container end stays down until
// configureInterface brings it up.
import { CniError, ErrorCode } from "@cni/skel";
import type { Link, Netlink } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "./errors";
import { deleteLinkIfPresent, findLink } from "./link";
import { disableAcceptRa, setDuplicateAddressDetection } from "./sysctl";

export interface VethOptions {
  /** the container end's name (CNI_IFNAME) */
  ifName: string;
  /** both ends; kernel default when absent */
  mtu?: number;
  /** the container end's MAC ("aa:bb:cc:dd:ee:ff"); the kernel picks a random one when absent */
  mac?: string;
  /**
   * IPv6 duplicate address detection on the host end, set before it comes up (as for the container end:
   * see setDuplicateAddressDetection); off, its fe80:: address is usable at once instead of tentative for
   * about a second. Absent: the namespace's default, as the reference leaves it.
   */
  hostDuplicateAddressDetection?: boolean;
  /** where host-end names come from (default randomVethName); tests use it to force a collision */
  nameSource?: () => string;
}

export interface VethPair {
  /** the end in the host namespace (veth<8 hex>), up */
  host: Link;
  /** the end in the container namespace, down */
  container: Link;
}

/** Attempts at a free host-end name, as the reference. */
const VETH_NAME_ATTEMPTS = 10;

/** "veth" + 8 lowercase hex digits from 4 random bytes, as the Go plugins name host-side veths. */
export function randomVethName(): string {
  // Web Crypto (a global in Node and Bun): importing node:crypto would cost start-up time.
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  let name = "veth";
  for (const byte of bytes) name += byte.toString(16).padStart(2, "0");
  return name;
}

/**
 * Create the pair: `ifName` in `container`, the peer in `host`. Errors, as the reference words them:
 * `container veth name ("eth0") peer provided ("veth…") already exists` when `ifName` is taken in the
 * container, `failed to make veth pair: <reason>` for any other refusal. On failure nothing is left.
 */
export function createVeth(container: Netlink, host: Netlink, options: VethOptions): VethPair {
  const hostName = addPairWithFreeHostName(container, host, options);
  try {
    if (options.hostDuplicateAddressDetection !== undefined) {
      setDuplicateAddressDetection(host, hostName, options.hostDuplicateAddressDetection);
    }
    host.linkSetUp(hostName);
  } catch (thrown) {
    deleteLinkIfPresent(container, options.ifName);
    throw netlinkToCniError(thrown, `failed to set "${hostName}" up`);
  }
  try {
    disableAcceptRa(host, hostName);
    return { host: host.linkGet(hostName), container: container.linkGet(options.ifName) };
  } catch (thrown) {
    deleteLinkIfPresent(container, options.ifName);
    throw netlinkToCniError(thrown, `failed to make veth pair`);
  }
}

/** linkAddVeth with a fresh host-end name per attempt; returns the name that was free. */
function addPairWithFreeHostName(container: Netlink, host: Netlink, options: VethOptions): string {
  const nextName = options.nameSource ?? randomVethName;
  for (let attempt = 1; attempt <= VETH_NAME_ATTEMPTS; attempt++) {
    const hostName = nextName();
    try {
      container.linkAddVeth({
        name: options.ifName,
        peerName: hostName,
        peerNetns: host.path,
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        ...(options.mac !== undefined ? { mac: options.mac } : {}),
      });
      return hostName;
    } catch (thrown) {
      if (isNetlinkCode(thrown, "EINVAL") && options.mtu !== undefined) {
        // the kernel's only word is "Invalid argument": say which argument it most likely refused
        const error = netlinkToCniError(thrown, "failed to make veth pair");
        throw new CniError(error.code, error.message, `"mtu" ${options.mtu} may be outside what the kernel accepts for a veth`);
      }
      if (!isNetlinkCode(thrown, "EEXIST")) throw netlinkToCniError(thrown, "failed to make veth pair");
      // The kernel says EEXIST for either name: only a taken host-end name is worth another try.
      if (findLink(container, options.ifName) !== undefined) {
        throw new CniError(ErrorCode.Internal, `container veth name ("${options.ifName}") peer provided ("${hostName}") already exists`);
      }
    }
  }
  throw new CniError(ErrorCode.Internal, "failed to find a unique veth name");
}
