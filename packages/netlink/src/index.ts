// @cni/netlink: rtnetlink (links, addresses, routes, bridge ports/VLANs), network namespaces, sysctls, flock,
// file operations without node:fs, and nftables (NETLINK_NETFILTER), through the Rust N-API addon in
// ../native (loaded on first use).
export { Netlink, ipOnly, ipText } from "./netlink";
export { Errno, NetlinkError } from "./errors";
export { NetlinkProtocol } from "./addon";
export { addressToIp } from "./ipaddress";
export { netns, flock, tryFlock, lockFile, readFd, writeFd, fileIdentity, NETNS_RUN_DIR } from "./netns";
export {
  OpenFlag,
  openFile,
  closeFile,
  readTextFile,
  readFileBytes,
  readTextFileIfExists,
  readFileBytesIfExists,
  writeFile,
  removeFile,
  renameFile,
  fileStatus,
  linkStatus,
  setFileTimes,
  checkAccess,
  makeDirectory,
  removeTree,
  listDirectory,
} from "./files";
export type { WriteFileOptions, FileTime } from "./files";
export type * from "./types";
export { RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, IFF_ALLMULTI } from "./types";
export { Nftables } from "./nftables";
export { Conntrack, type ConntrackProtocol } from "./conntrack";
export type * from "./nftables-types";
export { NFT_REG_1, NFT_REG_2 } from "./nftables-types";
