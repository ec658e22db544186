// The host side of a bridge attachment: the bridge itself, the port the host veth becomes, the gateway
// addresses on the bridge (or on its `<bridge>.<vlan>` veth). Jobs only the bridge plugin has, on top of
// @cni/netlink through the kit's error mapping.
import { CniError, ErrorCode, cidrContains, formatCIDR, parseCIDR, type CIDR } from "@cni/skel";
import type { Link, Netlink } from "@cni/netlink";
import {
  deleteLinkIfPresent,
  disableAcceptRa,
  findLink,
  isNetlinkCode,
  netlinkStep,
  netlinkToCniError,
  randomVethName,
  setLinkUp,
  type AttachContext,
} from "@cni/plugin-kit";
import { usesVlans, type BridgeConfig } from "./config";

/**
 * The bridge named in the config, up, with accept_ra=0 (the plugin owns its routes) and promisc when
 * configured. A new bridge gets the config's MTU and vlan_filtering; an existing one is taken as it is
 * (EEXIST from a concurrent ADD too). A name taken by something else: `"<name>" already exists but is
 * not a bridge`. Step: a bridge this call created is deleted again by the undo, unless it has ports by then.
 */
export function ensureBridge({ host, undo }: AttachContext, conf: BridgeConfig): Link {
  const name = conf.bridge;
  const existing = findLink(host, name);
  if (existing !== undefined) requireBridge(existing);
  const created =
    existing === undefined &&
    undo.step(
      `delete bridge ${name}`,
      () => addBridge(host, conf),
      (added) => {
        if (added) deleteBridgeIfUnused(host, name);
      },
    );
  if (conf.promiscMode) netlinkStep(`failed to create bridge "${name}": could not set promiscuous mode`, () => host.linkSetPromisc(name, true));
  // The usual case, a bridge already there and nothing changed: no second lookup.
  const bridge = existing !== undefined && !conf.promiscMode ? existing : bridgeByName(host, name);
  if (created) {
    // Pin the random MAC the kernel gave it: a bridge whose MAC was never set takes its lowest port's,
    // which then changes as containers come and go (the reference pins it only with a gateway address).
    netlinkStep(`failed to create bridge "${name}": could not set its MAC`, () => host.linkSetMac(bridge.index, bridge.mac));
  }
  try {
    disableAcceptRa(host, name);
  } catch {
    // as the reference: a bridge without IPv6 (or a read-only /proc/sys) still works
  }
  if (!bridge.up) setLinkUp(host, bridge.index);
  return bridge;
}

/** Create the bridge with the config's MTU and vlan_filtering; false when a concurrent ADD made it first. */
function addBridge(host: Netlink, conf: BridgeConfig): boolean {
  const name = conf.bridge;
  try {
    host.linkAddBridge({
      name,
      ...(conf.mtu !== undefined ? { mtu: conf.mtu } : {}),
      ...(usesVlans(conf) ? { vlanFiltering: true } : {}),
    });
    return true;
  } catch (thrown) {
    if (isNetlinkCode(thrown, "EEXIST")) return false;
    const error = netlinkToCniError(thrown, `failed to create bridge "${name}": could not add "${name}"`);
    if (usesVlans(conf) && isNetlinkCode(thrown, "EOPNOTSUPP")) {
      throw new CniError(error.code, error.message, `"vlan"/"vlanTrunk" need VLAN filtering, which this kernel lacks (CONFIG_BRIDGE_VLAN_FILTERING)`);
    }
    throw error;
  }
}

/** The link named `name`, which must be a bridge (code 999 otherwise, as the reference). */
export function bridgeByName(host: Netlink, name: string): Link {
  const link = findLink(host, name);
  if (link === undefined) throw new CniError(ErrorCode.Internal, `could not lookup "${name}": Link not found`);
  return requireBridge(link);
}

function requireBridge(link: Link): Link {
  if (link.kind !== "bridge") throw new CniError(ErrorCode.Internal, `"${link.name}" already exists but is not a bridge`);
  return link;
}

/**
 * Undo of a bridge this ADD created: only while nothing else uses it. A concurrent ADD that found it
 * (EEXIST) may have attached its port meanwhile; that bridge stays.
 */
function deleteBridgeIfUnused(host: Netlink, name: string): void {
  const bridge = findLink(host, name);
  if (bridge === undefined) return;
  const links = netlinkStep("failed to list links", () => host.linkList());
  for (const link of links) if (link.master === bridge.index) return;
  deleteLinkIfPresent(host, bridge.index);
}

/**
 * Make `hostVeth` a port of `bridge`: master, hairpin and isolated flags (always written, true or
 * false, as the reference), then the VLANs: the existing ones removed unless `preserveDefaultVlan`, the
 * access VLAN as PVID + untagged, the trunk VIDs tagged, and VID 1 as native VLAN with a trunk only.
 */
export function attachPort(host: Netlink, hostVeth: Link, bridge: Link, conf: BridgeConfig): void {
  const name = hostVeth.name;
  setMaster(host, hostVeth, bridge);
  netlinkStep(`failed to setup hairpin mode and port isolation for ${name}`, () =>
    host.bridgePortSetFlags(hostVeth.index, { hairpin: conf.hairpinMode, isolated: conf.portIsolation }),
  );
  if (!usesVlans(conf)) return;
  configurePortVlans(host, hostVeth, conf.vlan === 0 ? 1 : conf.vlan, conf.vlanTrunk, conf.preserveDefaultVlan);
}

/**
 * A Linux bridge numbers its ports 1..1023 (BR_MAX_PORTS - 1) and refuses the next with EXFULL. That is
 * code 11, try again later: it clears as soon as a container on this bridge is deleted (the Go bridge
 * says code 999 "exchange full").
 */
const BRIDGE_MAX_PORTS = 1023;

/** Enslave `port` to `bridge`; a full bridge is named as such. */
function setMaster(host: Netlink, port: Link, bridge: Link): void {
  try {
    host.linkSetMaster(port.index, bridge.index);
  } catch (thrown) {
    if (isNetlinkCode(thrown, "EXFULL")) {
      throw new CniError(
        ErrorCode.TryAgainLater,
        `bridge "${bridge.name}" is full: a Linux bridge takes at most ${BRIDGE_MAX_PORTS} ports`,
        `connecting "${port.name}" failed with EXFULL; delete a container attached to "${bridge.name}", or use another bridge`,
      );
    }
    throw netlinkToCniError(thrown, `failed to connect "${port.name}" to bridge ${bridge.name}`);
  }
}

function configurePortVlans(host: Netlink, port: Link, nativeVid: number, trunk: readonly number[], preserveDefaultVlan: boolean): void {
  const what = `failed to setup vlan tag on interface "${port.name}"`;
  if (!preserveDefaultVlan) {
    const existing = netlinkStep(`failed to remove default vlan on interface "${port.name}"`, () => host.bridgeVlanList(port.index));
    for (const vlan of existing) {
      netlinkStep(`failed to remove default vlan on interface "${port.name}"`, () => host.bridgeVlanDel(port.index, vlan.vid));
    }
  }
  netlinkStep(what, () => host.bridgeVlanAdd(port.index, nativeVid, { pvid: true, untagged: true }));
  for (const vid of trunk) netlinkStep(what, () => host.bridgeVlanAdd(port.index, vid));
}

/**
 * The gateway `gateway` (with the container's prefix) on `link`, as the reference's ensureAddr: nothing
 * when it is there; an IPv4 address, or an overlapping IPv6 one, is replaced with `forceAddress` and an
 * error otherwise; non-overlapping IPv6 addresses accumulate. Then the link's MAC is set to itself, which
 * pins it (a bridge's MAC otherwise follows its lowest-numbered port).
 */
export function ensureGatewayAddress(host: Netlink, link: Link, gateway: CIDR, forceAddress: boolean): void {
  const wanted = formatCIDR(gateway);
  const present = netlinkStep("could not get list of IP addresses", () => host.addrList({ link: link.index, family: gateway.ip.family }));
  for (const address of present) {
    const existing = parseCIDR(`${address.address}/${address.prefixLength}`);
    if (existing === undefined) continue;
    if (formatCIDR(existing) === wanted) return;
    if (address.scope !== 0) continue; // link-local IPv6 addresses are the kernel's, not a gateway
    const conflicts = gateway.ip.family === 4 || cidrContains(existing, gateway.ip) || cidrContains(gateway, existing.ip);
    if (!conflicts) continue;
    if (!forceAddress) throw new CniError(ErrorCode.Internal, `failed to set bridge addr: "${link.name}" already has an IP address different from ${wanted}`);
    netlinkStep(`could not remove IP address from "${link.name}"`, () => host.addrDel(link.index, formatCIDR(existing)));
  }
  try {
    // IPv6 without duplicate address detection: the gateway is the plugin's to assign, and a tentative
    // gateway would drop the container's first packets for a second or two.
    host.addrAdd(link.index, wanted, gateway.ip.family === 6 ? { nodad: true } : {});
  } catch (thrown) {
    if (!isNetlinkCode(thrown, "EEXIST")) throw netlinkToCniError(thrown, `could not add IP address to "${link.name}"`);
  }
  const current = netlinkStep(`failed to lookup "${link.name}"`, () => host.linkGet(link.index));
  netlinkStep("could not set bridge's mac", () => host.linkSetMac(link.index, current.mac));
}

/**
 * L3 with `vlan`: the gateway lives on a veth named `<bridge>.<vlan>` whose peer is a port of the bridge
 * in that VLAN (the reference's ensureVlanInterface). Made once, shared by every container of the VLAN.
 * Step: a pair this call made is removed again by the undo.
 */
export function ensureVlanGateway({ host, undo }: AttachContext, bridge: Link, conf: BridgeConfig): Link {
  const name = `${bridge.name}.${conf.vlan}`;
  const existing = findLink(host, name);
  if (existing !== undefined) return existing;
  if (name.length > 15) throw new CniError(ErrorCode.InvalidNetworkConfig, `failed to create vlan interface: "${name}" is longer than an interface name can be (15)`);
  const peerName = undo.step(
    `delete ${name}`,
    () => addVlanGatewayPair(host, bridge, name),
    () => void deleteLinkIfPresent(host, name),
  );
  setLinkUp(host, peerName);
  const peer = netlinkStep(`failed to lookup "${peerName}"`, () => host.linkGet(peerName));
  setMaster(host, peer, bridge);
  netlinkStep(`failed to setup hairpin mode for ${peerName}`, () => host.bridgePortSetFlags(peer.index, { hairpin: false }));
  configurePortVlans(host, peer, conf.vlan, [], conf.preserveDefaultVlan);
  setLinkUp(host, name);
  return netlinkStep(`failed to lookup "${name}"`, () => host.linkGet(name));
}

/** The `<bridge>.<vlan>` veth pair, with the bridge's MTU; returns the peer's (random) name. */
function addVlanGatewayPair(host: Netlink, bridge: Link, name: string): string {
  const peerName = randomVethName();
  netlinkStep(`failed to create vlan interface "${name}"`, () =>
    host.linkAddVeth({ name, peerName, ...(bridge.mtu > 0 ? { mtu: bridge.mtu } : {}) }),
  );
  return peerName;
}
