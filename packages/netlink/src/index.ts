// @cni/netlink: rtnetlink (links, addresses, routes, bridge ports/VLANs), network namespaces, sysctls and
// nftables (NETLINK_NETFILTER), through the Rust N-API addon in ../native (loaded on first use). The
// addon's file, fd, lock and exec functions are @cni/host-files'; the loader both share is
// `@cni/netlink/addon`.
export { Netlink, type PendingRequest } from "./netlink";
export { Errno, NetlinkError } from "./errors";
export { NetlinkProtocol, type AddressFilter, type AddressSpec } from "./native";
export { netns, NETNS_RUN_DIR } from "./netns";
export type * from "./types";
export { RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, IFF_ALLMULTI } from "./types";
export { Nftables } from "./nftables";
export { Conntrack, type ConntrackProtocol } from "./conntrack";
export type * from "./nftables-types";
export { NFT_REG_1, NFT_REG_2 } from "./nftables-types";
