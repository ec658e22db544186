// The loopback plugin: brings `lo` up in the container's network namespace (ADD) and down again (DEL).
// Mirrors plugins/main/loopback in containernetworking/plugins; CNI_IFNAME is ignored, as there.
import { CniError, ErrorCode, definePlugin, type CmdArgs, type IPConfig, type Result } from "@cni/skel";
import type { Address } from "@cni/netlink";
import { netlinkStep, requirePrevResult, setLinkUp, withContainerNetns, withContainerNetnsIfPresent } from "@cni/plugin-kit";

const LOOPBACK = "lo";
const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI loopback plugin v${VERSION}`,

  add(args: CmdArgs): Result {
    const addresses = withContainerNetns(args.netns, (netns) => {
      setLinkUp(netns, LOOPBACK);
      return netlinkStep(`failed to list the addresses of ${LOOPBACK}`, () => netns.addrList({ link: LOOPBACK }));
    });
    requireOnlyLoopbackAddresses(addresses);
    // Chained after other plugins, loopback adds nothing to the result.
    return args.config.prevResult ?? loopbackResult(args, addresses);
  },

  del(args: CmdArgs): void {
    // No CNI_NETNS, or a namespace that is gone: nothing left to undo.
    withContainerNetnsIfPresent(args.netns, (netns) => {
      netlinkStep(`failed to set ${LOOPBACK} down`, () => netns.linkSetDown(LOOPBACK));
    });
  },

  check(args: CmdArgs): void {
    requirePrevResult(args);
    withContainerNetns(args.netns, (netns) => {
      const lo = netlinkStep(`failed to lookup ${LOOPBACK}`, () => netns.linkGet(LOOPBACK));
      if (!lo.up) throw new CniError(ErrorCode.Internal, "loopback interface is down");
    });
  },
  // STATUS and GC: nothing to report or collect.
});

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
  const ips: IPConfig[] = [];
  for (const family of [4, 6] as const) {
    for (const a of addresses) {
      if (a.family !== family) continue;
      ips.push({ interface: 0, address: `${a.address}/${a.prefixLength}` });
      break;
    }
  }
  return {
    cniVersion: args.config.cniVersion,
    interfaces: [{ name: LOOPBACK, mac: "00:00:00:00:00:00", sandbox: args.netns }],
    ips,
  };
}
