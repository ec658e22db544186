// The bridge plugin: a Linux bridge in the host namespace and, per container, a veth pair whose host end
// is a port of it; addresses from IPAM, the gateway on the bridge, masquerade and MAC spoof checks
// without a single extra process. Mirrors plugins/main/bridge of containernetworking/plugins; README.md
// lists where it differs.
import {
  CniError,
  ErrorCode,
  compareVersions,
  definePlugin,
  parseCIDR,
  type CIDR,
  type CmdArgs,
  type Interface,
  type Result,
} from "@cni/skel";
import type { Link, Netlink } from "@cni/netlink";
import {
  addMasquerade,
  addVethPair,
  applyDnsOverride,
  checkContainerVeth,
  configureInterface,
  deleteContainerInterfaceAlongside,
  enableForwarding,
  findContainerInterface,
  findLink,
  gcMasquerade,
  ipamAdd,
  ipamCheck,
  ipamDel,
  ipamGc,
  ipamStatus,
  netlinkStep,
  readContainerMac,
  removeMasquerade,
  requirePrevResult,
  setInterfaceSysctls,
  setLinkUp,
  validAttachmentIds,
  validateExpectedInterfaceIPs,
  validateExpectedRoutes,
  waitForOperstate,
  withAttachment,
  withContainerNetns,
  withHostNetns,
  type AttachContext,
  type AttachmentId,
  type VethPair,
} from "@cni/plugin-kit";
import { withNftablesClosedLast } from "@cni/plugin-kit/netfilter";
import { attachPort, ensureBridge, ensureGatewayAddress, ensureVlanGateway } from "./bridge-link";
import { readBridgeConfig, type BridgeConfig } from "./config";
import { calcGateways } from "./gateways";
import { gcSpoofChecks, setupSpoofCheck, teardownSpoofCheck } from "./spoofcheck";

const VERSION = "0.1.0";
/** The first spec version whose results can describe interfaces (and so an L2 attachment). */
const FIRST_VERSION_WITH_INTERFACES = "0.3.0";

export const plugin = definePlugin({
  about: `CNI bridge plugin v${VERSION}`,

  async add(args: CmdArgs): Promise<Result> {
    const conf = readBridgeConfig(args);
    const mac = readContainerMac(args);
    requireConvertibleL2(args, conf);
    return withAttachment(args, async (attach) => {
      const bridge = ensureBridge(attach, conf);
      const veth = addVethPair(attach, { ifName: args.ifName, mtu: conf.mtu, mac });
      attachPort(attach.host, veth.host, bridge, conf);
      const result = attachmentResult(args, bridge, veth.host, veth.container);
      if (conf.macSpoofCheck) addSpoofCheck(attach, veth);
      if (conf.ipamType !== "") await configureLayer3(attach, conf, bridge, result);
      else if (!conf.disableContainerInterface) setLinkUp(attach.container, args.ifName);
      if (!conf.disableContainerInterface) await waitForPort(attach.host, veth.host);
      refreshMacs(attach.host, result);
      return applyDnsOverride(result, args);
    });
  },

  async del(args: CmdArgs): Promise<void> {
    const conf = readBridgeConfig(args);
    const masquerade = conf.ipamType !== "" && conf.ipMasq;
    // The rules' batches first, the veth and the lease after, the nftables socket closed last: the kernel's
    // wait for deleted rules then overlaps RTM_DELLINK's own (kit netfilter README, "DEL").
    await withNftablesClosedLast(conf.macSpoofCheck || masquerade, async (nft) => {
      if (conf.macSpoofCheck) teardownSpoofCheck(attachmentId(args), nft);
      if (masquerade) removeMasquerade(args, conf.ipMasqBackend, nft);
      // The veth, on a helper thread while IPAM releases the lease: the kernel's wait for the deleted
      // device overlaps it (the reference deletes the veth first since v1.2.0, to learn the addresses we need not).
      await deleteContainerInterfaceAlongside(args, async () => {
        if (conf.ipamType !== "") await ipamDel(args);
      });
    });
    // The bridge, its gateway addresses and the forwarding sysctls stay, as the reference's.
  },

  async check(args: CmdArgs): Promise<void> {
    const conf = readBridgeConfig(args);
    // before IPAM's CHECK (the reference's order): without prevResult there is nothing to check against
    const prevResult = requirePrevResult(args);
    await withContainerNetns(args.netns, async (container) => {
      if (conf.ipamType !== "") await ipamCheck(args);
      const bridgeEntry = findBridgeInterface(prevResult, conf);
      const { iface } = findContainerInterface(prevResult, args.ifName, args.netns);
      await withHostNetns((host) => {
        const bridge = checkBridge(host, bridgeEntry, conf);
        const containerLink = checkContainerVeth(container, iface);
        checkHostVeth(host, prevResult, conf, bridge, containerLink);
      });
      validateExpectedInterfaceIPs(container, args.ifName, prevResult.ips ?? []);
      validateExpectedRoutes(container, prevResult.routes ?? []);
    });
  },

  async status(args: CmdArgs): Promise<void> {
    readBridgeConfig(args);
    await ipamStatus(args);
  },

  async gc(args: CmdArgs): Promise<void> {
    const conf = readBridgeConfig(args);
    const attachments = validAttachmentIds(args);
    await ipamGc(args);
    if (conf.ipamType !== "" && conf.ipMasq) gcMasquerade(args, conf.ipMasqBackend, attachments);
    if (conf.macSpoofCheck) await withHostNetns((host) => gcSpoofChecks(attachments, portOfBridgeOrGone(host, conf.bridge)));
  },
});

/**
 * L2 at 0.1.0/0.2.0: those results cannot say anything without an IP. The reference attaches the
 * container and then fails to print the result; we fail with its message before creating anything.
 */
function requireConvertibleL2(args: CmdArgs, conf: BridgeConfig): void {
  if (conf.ipamType !== "" || (compareVersions(args.config.cniVersion, FIRST_VERSION_WITH_INTERFACES) ?? 0) >= 0) return;
  throw new CniError(ErrorCode.IncompatibleVersion, "cannot convert: no valid IP addresses", `L2 mode ("ipam": {}) needs cniVersion ${FIRST_VERSION_WITH_INTERFACES} or later`);
}

/** The three interfaces every result starts with: bridge, host veth, container veth. */
function attachmentResult(args: CmdArgs, bridge: Link, hostVeth: Link, containerVeth: Link): Result {
  return {
    cniVersion: args.config.cniVersion,
    interfaces: [
      { name: bridge.name, mac: bridge.mac },
      { name: hostVeth.name, mac: hostVeth.mac },
      { name: containerVeth.name, mac: containerVeth.mac, sandbox: args.netns },
    ],
  };
}

/** Step: the MAC spoof check on the host veth, torn down again by the undo. */
function addSpoofCheck({ args, undo }: AttachContext, veth: VethPair): void {
  const attachment = attachmentId(args);
  undo.step(
    "spoof-check",
    () => setupSpoofCheck(attachment, veth.host.name, veth.container.mac),
    () => teardownSpoofCheck(attachment),
  );
}

function attachmentId(args: CmdArgs): AttachmentId {
  return { containerId: args.containerId, ifName: args.ifName };
}

/**
 * L3 mode: IPAM (released by the undo on a later failure), the container's addresses and routes, the
 * gateways on the bridge (or on `<bridge>.<vlan>`) with forwarding on, and masquerade.
 */
async function configureLayer3(attach: AttachContext, conf: BridgeConfig, bridge: Link, result: Result): Promise<void> {
  const { args, host, container } = attach;
  const ipamResult = await ipamAdd(args, attach.undo);
  const gateways = calcGateways(ipamResult, conf);
  result.ips = gateways.ips;
  result.routes = gateways.routes;
  if (ipamResult.dns !== undefined) result.dns = ipamResult.dns;

  setInterfaceSysctls(container, args.ifName, { duplicateAddressDetection: conf.enableDad, arpNotify: true });
  await configureInterface(container, args.ifName, result);

  if (conf.isGateway && gateways.addresses.length > 0) {
    const gatewayLink = conf.vlan === 0 ? bridge : ensureVlanGateway(attach, bridge, conf);
    if (gatewayLink !== bridge) result.interfaces?.push({ name: gatewayLink.name, mac: gatewayLink.mac });
    for (const gateway of gateways.addresses) ensureGatewayAddress(host, gatewayLink, gateway, conf.forceAddress);
    enableForwarding(host, familiesOfCidrs(gateways.addresses));
  }

  if (conf.ipMasq) addMasquerade(attach, conf.ipMasqBackend, containerCidrs(result));
}

/**
 * The host veth must be oper-up before the container uses it. Returns at once when it already is; the
 * reference polls at 0/50/500/1000/1000 ms and fails with `bridge port in error state: <state>`.
 */
async function waitForPort(host: Netlink, hostVeth: Link): Promise<void> {
  const port = await waitForOperstate(host, hostVeth.index, "up");
  if (port.operstate !== "up") throw new CniError(ErrorCode.Internal, `bridge port in error state: ${port.operstate}`);
}

/** The host veth and bridge MACs as they are now (a bridge takes its first port's MAC unless pinned). */
function refreshMacs(host: Netlink, result: Result): void {
  const interfaces = result.interfaces ?? [];
  for (let i = 0; i < 2; i++) {
    const iface = interfaces[i];
    if (iface === undefined) continue;
    iface.mac = netlinkStep(`failed to lookup "${iface.name}"`, () => host.linkGet(iface.name)).mac;
  }
}

/** The container's addresses with their subnet prefix, as masquerade wants them. */
function containerCidrs(result: Result): CIDR[] {
  const cidrs: CIDR[] = [];
  for (const ip of result.ips ?? []) {
    const cidr = parseCIDR(ip.address);
    if (cidr !== undefined) cidrs.push(cidr);
  }
  return cidrs;
}

function familiesOfCidrs(cidrs: readonly CIDR[]): (4 | 6)[] {
  const families: (4 | 6)[] = [];
  for (const cidr of cidrs) if (!families.includes(cidr.ip.family)) families.push(cidr.ip.family);
  return families;
}

// ---- CHECK ----

/** The bridge's entry in prevResult (by the configured name), as the reference looks it up. */
function findBridgeInterface(result: Result, conf: BridgeConfig): Interface {
  for (const iface of result.interfaces ?? []) if (iface.name === conf.bridge) return iface;
  throw new CniError(ErrorCode.Internal, `CNI created bridge ${conf.bridge} in host namespace was not found`);
}

/** The bridge must exist in the host namespace, be a bridge, keep its MAC and the configured promisc mode. */
function checkBridge(host: Netlink, entry: Interface, conf: BridgeConfig): Link {
  if (entry.sandbox !== undefined && entry.sandbox !== "") throw new CniError(ErrorCode.Internal, `Interface ${entry.name} should not be in sandbox`);
  const link = findLink(host, entry.name);
  if (link === undefined) throw new CniError(ErrorCode.Internal, `Interface name ${entry.name} not found`);
  if (link.kind !== "bridge") throw new CniError(ErrorCode.Internal, `Interface ${entry.name} does not have link type of bridge`);
  if (entry.mac !== undefined && entry.mac !== "" && entry.mac.toLowerCase() !== link.mac) {
    throw new CniError(ErrorCode.Internal, `Bridge interface ${entry.name} Mac doesn't match: ${entry.mac}`);
  }
  if (link.promisc !== conf.promiscMode) {
    throw new CniError(ErrorCode.Internal, `Bridge interface ${entry.name} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${link.promisc}`);
  }
  return link;
}

/** Among prevResult's other host interfaces, the veth peered with the container's and enslaved to the bridge. */
function checkHostVeth(host: Netlink, result: Result, conf: BridgeConfig, bridge: Link, containerLink: Link): void {
  for (const iface of result.interfaces ?? []) {
    if (iface.name === conf.bridge || (iface.sandbox !== undefined && iface.sandbox !== "")) continue;
    const link = findLink(host, iface.name);
    if (link === undefined || link.kind !== "veth") continue;
    if (link.index !== containerLink.peerIndex || link.peerIndex !== containerLink.index || link.master !== bridge.index) continue;
    if (iface.mac !== undefined && iface.mac !== "" && iface.mac.toLowerCase() !== link.mac) {
      throw new CniError(ErrorCode.Internal, `Interface ${iface.name} Mac doesn't match: ${iface.mac} not found`);
    }
    return;
  }
  throw new CniError(ErrorCode.Internal, `CNI veth created for bridge ${conf.bridge} was not found`);
}

/** GC of spoof checks: a host veth that is gone, or is a port of this network's bridge, is ours to judge. */
function portOfBridgeOrGone(host: Netlink, bridgeName: string): (hostVeth: string | undefined) => boolean {
  const bridge = findLink(host, bridgeName);
  return (hostVeth) => {
    if (hostVeth === undefined) return false;
    const link = findLink(host, hostVeth);
    return link === undefined || (bridge !== undefined && link.master === bridge.index);
  };
}
