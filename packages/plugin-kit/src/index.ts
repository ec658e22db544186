// @cni/plugin-kit: what several plugins need, one owner per job (docs/design.md, "The kit"). Plugins
// import it; it imports @cni/skel, @cni/netlink and @cni/host-files and never a plugin.
export { netlinkToCniError, netlinkStep, isNetlinkCode } from "./errors";
export {
  openContainerNetns,
  openContainerNetnsIfPresent,
  checkContainerNetns,
  checkContainerNetnsIfPresent,
  withContainerNetns,
  withContainerNetnsIfPresent,
  openHostNetns,
  withHostNetns,
} from "./netns";
export { readMtu } from "./config";
export { readContainerMac, parseMac } from "./mac";
export {
  withAttachment,
  addVethPair,
  addMasquerade,
  deleteContainerInterfaceAlongside,
  removeMasquerade,
  gcMasquerade,
  validAttachmentIds,
  type AttachContext,
  type AttachmentId,
} from "./attachment";
export { UndoStack, withUndo, type UndoAction } from "./undo";
export { ipamAdd, ipamDel, ipamCheck, ipamStatus, ipamGc, ipamType, applyDnsOverride } from "./ipam";
export { createVeth, randomVethName, type VethOptions, type VethPair } from "./veth";
export {
  findLink,
  deleteLinkIfPresent,
  deleteLinkIfPresentInBackground,
  deleteLinkReturningAddresses,
  setLinkUp,
  waitForOperstate,
  OPERSTATE_TIMEOUT_MS,
} from "./link";
export { configureInterface, settleAddresses, DAD_SETTLE_TIMEOUT_MS } from "./configure";
export { requirePrevResult, prevResultInConfigVersion, passPrevResultThrough, PREV_RESULT_MISSING } from "./prev-result";
export {
  findContainerInterface,
  checkContainerVeth,
  validateExpectedInterfaceIPs,
  validateExpectedRoutes,
} from "./check";
export {
  ensureSysctl,
  enableForwarding,
  familiesOf,
  setDuplicateAddressDetection,
  setInterfaceSysctls,
  ensureSysctls,
  type InterfaceSysctls,
  enableArpNotify,
  disableAcceptRa,
  ipv4ConfKey,
  ipv6ConfKey,
  IPV4_FORWARD,
  IPV6_FORWARD,
} from "./sysctl";
export { createMasquerade, parseIpMasqBackend, type Masquerade, type MasqueradeAttachment, type MasqueradeOptions, type IpMasqBackend } from "./masquerade/index";
// one attachment's nftables rule comment, for every plugin that keys its rules by attachment (masquerade, firewall)
export { nftNetworkHash, nftAttachmentHash, nftAttachmentComment } from "./masquerade/names";
export { addonProcessHost, installAddonProcessHost } from "./process-host";
