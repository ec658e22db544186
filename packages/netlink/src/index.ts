// @cni/netlink: rtnetlink (links, addresses, routes, bridge ports/VLANs), network namespaces, sysctls, flock
// and nftables (NETLINK_NETFILTER), through the Rust N-API addon in ../native (loaded on first use).
export { Netlink, ipOnly, ipText } from "./netlink";
export { Errno, NetlinkError } from "./errors";
export { NetlinkProtocol } from "./addon";
export { addressToIp } from "./ipaddress";
export { netns, flock, tryFlock, lockFile, readFd, fileIdentity, NETNS_RUN_DIR } from "./netns";
export type * from "./types";
export { Nftables } from "./nftables";
export type * from "./nftables-types";
