// The veth plugin: a veth pair routed point-to-point between the host and the container, the job of the
// reference `ptp` (plugins/main/ptp), without its IPv6 duplicate-address-detection wait. README.md lists
// the differences.
import { definePlugin, type CIDR, type CmdArgs, type Interface, type IPConfig, type Result } from "@cni/skel";
import {
  applyDnsOverride,
  configureInterface,
  createMasquerade,
  createVeth,
  deleteLinkIfPresent,
  enableForwarding,
  familiesOf,
  findContainerInterface,
  ipamAdd,
  ipamCheck,
  ipamDel,
  ipamGc,
  ipamStatus,
  readContainerMac,
  requirePrevResult,
  setDuplicateAddressDetection,
  validAttachmentIds,
  validateExpectedInterfaceIPs,
  validateExpectedRoutes,
  withContainerNetns,
  withContainerNetnsIfPresent,
  withHostNetns,
  withUndo,
} from "@cni/plugin-kit";
import { withNftablesClosedLast } from "@cni/plugin-kit/netfilter";
import { readVethConfig } from "./config";
import {
  attachResult,
  checkContainerEnd,
  checkHostEnd,
  configureHostEnd,
  routeSubnetThroughGateway,
  routedAddresses,
  type RoutedAddress,
} from "./point-to-point";

const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI veth plugin v${VERSION}`,

  async add(args: CmdArgs): Promise<Result> {
    const conf = readVethConfig(args);
    const mac = readContainerMac(args);
    return withHostNetns((host) =>
      withUndo(async (undo) => {
        const ipamResult = await ipamAdd(args, undo);
        const addresses = routedAddresses(ipamResult);
        const families = familiesOf(ipamResult.ips ?? []);
        enableForwarding(host, families);
        const result = await withContainerNetns(args.netns, async (container) => {
          // DAD set on both ends before they come up, so that no address (link-local included) waits for it
          const duplicateAddressDetection = families.includes(6) ? conf.enableDad : undefined;
          const pair = createVeth(container, host, {
            ifName: args.ifName,
            mtu: conf.mtu,
            mac,
            hostDuplicateAddressDetection: duplicateAddressDetection,
          });
          undo.push(`delete ${pair.host.name}`, () => void deleteLinkIfPresent(host, pair.host.name));
          const attached = attachResult(ipamResult, pair, args.netns);
          if (duplicateAddressDetection !== undefined) setDuplicateAddressDetection(container, args.ifName, duplicateAddressDetection);
          await configureInterface(container, args.ifName, attached);
          routeSubnetThroughGateway(container, pair.container, addresses);
          configureHostEnd(host, pair.host, addresses);
          return attached;
        });
        if (conf.ipMasq) {
          const masquerade = createMasquerade(conf.ipMasqBackend);
          undo.push("IP masquerade", () => masquerade.teardown(args.config.name, args.containerId, args.ifName));
          masquerade.setup(args.config.name, args.containerId, args.ifName, containerCidrs(addresses));
        }
        return applyDnsOverride(result, args);
      }),
    );
  },

  async del(args: CmdArgs): Promise<void> {
    const conf = readVethConfig(args);
    // The masquerade batch first, the nftables socket closed last: the kernel's wait for deleted rules then
    // overlaps RTM_DELLINK's own (kit netfilter README, "DEL").
    await withNftablesClosedLast(conf.ipMasq, async (nft) => {
      // Found by (network, container id, ifname), not by address: also when the netns was gone.
      if (conf.ipMasq) createMasquerade(conf.ipMasqBackend).teardown(args.config.name, args.containerId, args.ifName, nft);
      // IPAM before the link: the lease goes even when the namespace or the link is gone.
      await ipamDel(args);
      // No CNI_NETNS, or a namespace already gone: the pair went with it. The host end's address and
      // route go with the link.
      withContainerNetnsIfPresent(args.netns, (container) => deleteLinkIfPresent(container, args.ifName));
    });
  },

  async check(args: CmdArgs): Promise<void> {
    readVethConfig(args);
    const prevResult = requirePrevResult(args);
    await ipamCheck(args);
    const { index, iface } = findContainerInterface(prevResult, args.ifName, args.netns);
    const addresses = routedAddresses({ ...prevResult, ips: ipsOfInterface(prevResult, index) });
    const containerLink = withContainerNetns(args.netns, (container) => {
      const link = checkContainerEnd(container, iface, addresses);
      validateExpectedInterfaceIPs(container, args.ifName, ipsOfInterface(prevResult, index));
      validateExpectedRoutes(container, prevResult.routes ?? []);
      return link;
    });
    await withHostNetns((host) => checkHostEnd(host, hostInterfaceOf(prevResult), containerLink, addresses));
  },

  async status(args: CmdArgs): Promise<void> {
    readVethConfig(args);
    await ipamStatus(args);
  },

  async gc(args: CmdArgs): Promise<void> {
    const conf = readVethConfig(args);
    const valid = validAttachmentIds(args);
    await ipamGc(args);
    if (conf.ipMasq) createMasquerade(conf.ipMasqBackend).gc(args.config.name, valid);
  },
});

/** The container addresses with their subnet prefix, as masquerade wants them. */
function containerCidrs(addresses: readonly RoutedAddress[]): CIDR[] {
  const cidrs: CIDR[] = [];
  for (const { address } of addresses) cidrs.push(address);
  return cidrs;
}

/** The IPs prevResult puts on the container interface (at `index` in its interfaces). */
function ipsOfInterface(result: Result, index: number): IPConfig[] {
  const ips: IPConfig[] = [];
  for (const ip of result.ips ?? []) if (ip.interface === index) ips.push(ip);
  return ips;
}

/** The host end in prevResult: the interface without a sandbox. */
function hostInterfaceOf(result: Result): Interface | undefined {
  for (const iface of result.interfaces ?? []) if (iface.sandbox === undefined || iface.sandbox === "") return iface;
  return undefined;
}
