// Names and comments that identify one attachment's masquerade rules, exactly as the Go reference
// plugins spell them, so either implementation finds (and removes) the other's rules.
import { cutToBytes, goChainName, goComment, sha512Hex } from "../netfilter/names";

/** The reference's nftables table (family inet), its per-attachment chain and its base chain. */
export const NFT_TABLE = "cni_plugins_masquerade";
export const NFT_MASQ_CHAIN = "masq_checks";
export const NFT_POSTROUTING_CHAIN = "postrouting";
export const NFT_TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins";
export const NFT_MASQ_CHAIN_COMMENT =
  "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
/** knftables' CommentLengthMax: the reference cuts rule comments to this many bytes. */
export const NFT_COMMENT_MAX_BYTES = 128;

/** iptables chain of an attachment: `CNI-` + 24 hex digits of sha512(network + containerId) (utils.FormatChainName). */
export function iptablesChainName(network: string, containerId: string): string {
  return goChainName(network, containerId);
}

/** iptables rule comment: `name: "<net>" id: "<cid>"` (utils.FormatComment). */
export function iptablesComment(network: string, containerId: string): string {
  return goComment(network, containerId);
}

/** First 16 hex digits of sha512(network): the prefix of every nftables comment of this network. */
export function nftNetworkHash(network: string): string {
  return sha512Hex(network).slice(0, 16);
}

/** `<H(net)>-<H(ifname:cid)>`: the prefix of one attachment's nftables rule comments. */
export function nftAttachmentHash(network: string, ifName: string, containerId: string): string {
  return nftNetworkHash(network) + "-" + sha512Hex(ifName + ":" + containerId).slice(0, 16);
}

/** The nftables rule comment of one attachment (commentForInstance in ipmasq_nftables_linux.go). */
export function nftAttachmentComment(network: string, ifName: string, containerId: string): string {
  const comment =
    nftAttachmentHash(network, ifName, containerId) +
    ", net: " + withoutQuotes(network) +
    ", if: " + withoutQuotes(ifName) +
    ", id: " + withoutQuotes(containerId);
  return cutToBytes(comment, NFT_COMMENT_MAX_BYTES);
}

function withoutQuotes(text: string): string {
  return text.split('"').join("");
}
