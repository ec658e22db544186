// The loopback plugin: brings `lo` up in the container's network namespace (ADD) and down again (DEL).
// Mirrors plugins/main/loopback in containernetworking/plugins; CNI_IFNAME is ignored, as there.
import { CniError, ErrorCode, definePlugin, type CmdArgs, type Result } from "@cni/skel";
import { Netlink, NetlinkError, type Address } from "@cni/netlink";

const LOOPBACK = "lo";
const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI loopback plugin v${VERSION}`,

  add(args: CmdArgs): Result {
    const ns = openNetns(args.netns);
    try {
      ns.linkSetUp(LOOPBACK);
      const addresses = ns.addrList({ link: LOOPBACK });
      requireOnlyLoopbackAddresses(addresses);
      // Chained after other plugins, loopback adds nothing to the result.
      return args.config.prevResult ?? loopbackResult(args, addresses);
    } finally {
      ns.close();
    }
  },

  del(args: CmdArgs): void {
    // A runtime may call DEL with no netns, or after the netns is gone: nothing left to undo.
    if (args.netns === "") return;
    const ns = openNetnsIfPresent(args.netns);
    if (ns === undefined) return;
    try {
      ns.linkSetDown(LOOPBACK);
    } finally {
      ns.close();
    }
  },

  check(args: CmdArgs): void {
    const ns = openNetns(args.netns);
    try {
      if (!ns.linkGet(LOOPBACK).up) {
        throw new CniError(ErrorCode.Internal, "loopback interface is down");
      }
    } finally {
      ns.close();
    }
  },
  // STATUS and GC: nothing to report or collect.
});

/** Open CNI_NETNS; a path that is missing or not a namespace is a bad CNI_NETNS (code 4). */
function openNetns(path: string): Netlink {
  try {
    return Netlink.at(path);
  } catch (err) {
    throw netnsError(path, err);
  }
}

/** Like openNetns, but a namespace that no longer exists is `undefined` (DEL is then a no-op). */
function openNetnsIfPresent(path: string): Netlink | undefined {
  try {
    return Netlink.at(path);
  } catch (err) {
    if (err instanceof NetlinkError && err.code === "ENOENT") return undefined;
    throw netnsError(path, err);
  }
}

function netnsError(path: string, err: unknown): CniError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CniError(ErrorCode.InvalidEnvironment, `failed to open netns "${path}"`, reason);
}

/** A container's `lo` holding anything but 127.0.0.0/8 or ::1 is a misconfiguration we refuse to bless. */
function requireOnlyLoopbackAddresses(addresses: Address[]): void {
  for (const a of addresses) {
    if (!isLoopbackAddress(a)) {
      throw new CniError(
        ErrorCode.Internal,
        `loopback interface found with non-loopback address "${a.address}/${a.prefixLength}"`,
      );
    }
  }
}

function isLoopbackAddress(a: Address): boolean {
  return a.family === 4 ? a.address.startsWith("127.") : a.address === "::1";
}

/** `lo` with its first IPv4 and first IPv6 address, as the reference reports it. */
function loopbackResult(args: CmdArgs, addresses: Address[]): Result {
  const firstOf = (family: 4 | 6) => addresses.find((a) => a.family === family);
  const ips = [firstOf(4), firstOf(6)]
    .filter((a): a is Address => a !== undefined)
    .map((a) => ({ interface: 0, address: `${a.address}/${a.prefixLength}` }));
  return {
    cniVersion: args.config.cniVersion,
    interfaces: [{ name: LOOPBACK, mac: "00:00:00:00:00:00", sandbox: args.netns }],
    ips,
  };
}
