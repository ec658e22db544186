// The veth plugin: a veth pair routed point-to-point between the host and the container, the job of the
// reference `ptp` (plugins/main/ptp), without its IPv6 duplicate-address-detection wait. README.md lists
// the differences.
import { definePlugin, type CIDR, type CmdArgs, type Interface, type IPConfig, type Result } from "@cni/skel";
import {
  addMasquerade,
  addVethPair,
  applyDnsOverride,
  configureInterface,
  deleteContainerInterfaceAlongside,
  enableForwarding,
  familiesOf,
  findContainerInterface,
  gcMasquerade,
  ipamAdd,
  ipamCheck,
  ipamDel,
  ipamGc,
  ipamStatus,
  readContainerMac,
  removeMasquerade,
  requirePrevResult,
  setDuplicateAddressDetection,
  validAttachmentIds,
  validateExpectedInterfaceIPs,
  validateExpectedRoutes,
  withAttachment,
  withContainerNetns,
  withHostNetns,
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
    return withAttachment(args, async (attach) => {
      const { host, container } = attach;
      const ipamResult = await ipamAdd(args, attach.undo);
      const addresses = routedAddresses(ipamResult);
      const families = familiesOf(ipamResult.ips ?? []);
      enableForwarding(host, families);
      // DAD set on both ends before they come up, so that no address (link-local included) waits for it
      const duplicateAddressDetection = families.includes(6) ? conf.enableDad : undefined;
      const pair = addVethPair(attach, { ifName: args.ifName, mtu: conf.mtu, mac, hostDuplicateAddressDetection: duplicateAddressDetection });
      const result = attachResult(ipamResult, pair, args.netns);
      if (duplicateAddressDetection !== undefined) setDuplicateAddressDetection(container, args.ifName, duplicateAddressDetection);
      await configureInterface(container, args.ifName, result);
      routeSubnetThroughGateway(container, pair.container, addresses);
      configureHostEnd(host, pair.host, addresses);
      if (conf.ipMasq) addMasquerade(attach, conf.ipMasqBackend, containerCidrs(addresses));
      return applyDnsOverride(result, args);
    });
  },

  async del(args: CmdArgs): Promise<void> {
    const conf = readVethConfig(args);
    // The masquerade batch first, the nftables socket closed last: the kernel's wait for deleted rules then
    // overlaps RTM_DELLINK's own (kit netfilter README, "DEL").
    await withNftablesClosedLast(conf.ipMasq, async (nft) => {
      if (conf.ipMasq) removeMasquerade(args, conf.ipMasqBackend, nft);
      // The link (the host end's address and route go with it) on a helper thread while IPAM releases the
      // lease, which goes even when the namespace or the link is gone.
      await deleteContainerInterfaceAlongside(args, () => ipamDel(args));
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
    if (conf.ipMasq) gcMasquerade(args, conf.ipMasqBackend, valid);
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
