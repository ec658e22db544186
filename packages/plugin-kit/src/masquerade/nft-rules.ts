// The reference's nftables masquerade layout as netlink expressions and transaction ops (pure: no kernel).
// Expressions are what `nft --debug=netlink` prints for the reference's rules (nft 1.0.6), so
// `nft list ruleset` shows our rules as the reference's.
import { NFT_REG_1, type NftExpr, type NftOp, type NftRule } from "@cni/netlink";
import {
  NFT_MASQ_CHAIN,
  NFT_MASQ_CHAIN_COMMENT,
  NFT_POSTROUTING_CHAIN,
  NFT_TABLE,
  NFT_TABLE_COMMENT,
} from "./names";

/** One container address with the prefix length of its subnet (e.g. 10.1.0.2/24), as bytes. */
export interface MasqAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order */
  bytes: Uint8Array;
  prefix: number;
}

const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
/** srcnat, the priority knftables' SNATPriority names */
const NF_IP_PRI_NAT_SRC = 100;
/** offsets of the source and destination address in the IPv4 / IPv6 header */
const IPV4_SADDR_OFFSET = 12;
const IPV4_DADDR_OFFSET = 16;
const IPV6_SADDR_OFFSET = 8;
const IPV6_DADDR_OFFSET = 24;

/** 224.0.0.0/4 and ff00::/8, made when needed (nothing runs at module load in a plugin bundle) */
function multicast(family: 4 | 6): MasqAddress {
  if (family === 4) return { family, bytes: Uint8Array.of(224, 0, 0, 0), prefix: 4 };
  const bytes = new Uint8Array(16);
  bytes[0] = 0xff;
  return { family, bytes, prefix: 8 };
}

/** `meta nfproto ipv4|ipv6`: what nft puts before any ip/ip6 match in an inet table. */
function nfprotoIs(family: 4 | 6): NftExpr[] {
  return [
    { type: "meta", key: "nfproto", dreg: NFT_REG_1 },
    { type: "cmp", op: "eq", sreg: NFT_REG_1, data: Uint8Array.of(family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6) },
  ];
}

function addressOffset(family: 4 | 6, which: "saddr" | "daddr"): number {
  if (family === 4) return which === "saddr" ? IPV4_SADDR_OFFSET : IPV4_DADDR_OFFSET;
  return which === "saddr" ? IPV6_SADDR_OFFSET : IPV6_DADDR_OFFSET;
}

/** `ip saddr == <addr>` (whole address). */
function addressEquals(family: 4 | 6, which: "saddr" | "daddr", bytes: Uint8Array): NftExpr[] {
  return [
    { type: "payload", base: "network", offset: addressOffset(family, which), len: bytes.length, dreg: NFT_REG_1 },
    { type: "cmp", op: "eq", sreg: NFT_REG_1, data: bytes },
  ];
}

/**
 * `ip daddr ==|!= <net>/<prefix>` as nft encodes it: a whole-byte prefix loads and compares just those
 * bytes; any other prefix loads the whole address and masks it first.
 */
function addressInNetwork(which: "saddr" | "daddr", op: "eq" | "neq", net: MasqAddress): NftExpr[] {
  const offset = addressOffset(net.family, which);
  const network = networkBytes(net);
  if (net.prefix % 8 === 0 && net.prefix > 0) {
    const len = net.prefix / 8;
    return [
      { type: "payload", base: "network", offset, len, dreg: NFT_REG_1 },
      { type: "cmp", op, sreg: NFT_REG_1, data: network.slice(0, len) },
    ];
  }
  return [
    { type: "payload", base: "network", offset, len: network.length, dreg: NFT_REG_1 },
    {
      type: "bitwise",
      sreg: NFT_REG_1,
      dreg: NFT_REG_1,
      len: network.length,
      mask: prefixMask(network.length, net.prefix),
      xor: new Uint8Array(network.length),
    },
    { type: "cmp", op, sreg: NFT_REG_1, data: network },
  ];
}

function prefixMask(length: number, prefix: number): Uint8Array {
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const bits = prefix - 8 * i;
    mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return mask;
}

/** The address with its host bits cleared. */
export function networkBytes(address: MasqAddress): Uint8Array {
  const mask = prefixMask(address.bytes.length, address.prefix);
  const out = new Uint8Array(address.bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = (address.bytes[i] as number) & (mask[i] as number);
  return out;
}

/** `ip saddr <addr> ip daddr != <addr's network> masquerade` (ip6 for IPv6): one per container address. */
export function masqueradeRuleExprs(address: MasqAddress): NftExpr[] {
  return [
    ...nfprotoIs(address.family),
    ...addressEquals(address.family, "saddr", address.bytes),
    ...addressInNetwork("daddr", "neq", address),
    { type: "masq" },
  ];
}

/** The base chain's three rules: multicast returns (v4, v6), then `goto masq_checks`. */
export function postroutingRulesExprs(): NftExpr[][] {
  return [
    [...nfprotoIs(4), ...addressInNetwork("daddr", "eq", multicast(4)), { type: "verdict", verdict: "return" }],
    [...nfprotoIs(6), ...addressInNetwork("daddr", "eq", multicast(6)), { type: "verdict", verdict: "return" }],
    [{ type: "verdict", verdict: "goto", chain: NFT_MASQ_CHAIN }],
  ];
}

/** Rules of masq_checks whose comment starts with `prefix`. */
export function rulesWithCommentPrefix(rules: readonly NftRule[], prefix: string): NftRule[] {
  const found: NftRule[] = [];
  for (const rule of rules) if (rule.comment !== undefined && rule.comment.startsWith(prefix)) found.push(rule);
  return found;
}

function deleteRuleOp(rule: NftRule): NftOp {
  return { op: "deleteRule", family: "inet", table: NFT_TABLE, chain: rule.chain, handle: rule.handle };
}

/**
 * One ADD's transaction, as the reference's: make sure the table and chains exist, refill postrouting,
 * drop this attachment's stale rules (`staleRules`, found by its comment prefix), add one rule per address.
 */
export function setupOps(staleRules: readonly NftRule[], addresses: readonly MasqAddress[], comment: string): NftOp[] {
  const ops: NftOp[] = [
    { op: "addTable", family: "inet", name: NFT_TABLE, comment: NFT_TABLE_COMMENT },
    { op: "addChain", family: "inet", table: NFT_TABLE, name: NFT_MASQ_CHAIN, comment: NFT_MASQ_CHAIN_COMMENT },
    {
      op: "addChain",
      family: "inet",
      table: NFT_TABLE,
      name: NFT_POSTROUTING_CHAIN,
      type: "nat",
      hook: "postrouting",
      priority: NF_IP_PRI_NAT_SRC,
    },
    { op: "flushChain", family: "inet", table: NFT_TABLE, name: NFT_POSTROUTING_CHAIN },
  ];
  for (const exprs of postroutingRulesExprs()) {
    ops.push({ op: "addRule", family: "inet", table: NFT_TABLE, chain: NFT_POSTROUTING_CHAIN, exprs });
  }
  for (const rule of staleRules) ops.push(deleteRuleOp(rule));
  for (const address of addresses) {
    ops.push({
      op: "addRule",
      family: "inet",
      table: NFT_TABLE,
      chain: NFT_MASQ_CHAIN,
      exprs: masqueradeRuleExprs(address),
      comment,
    });
  }
  return ops;
}

/**
 * GC: of the network's rules (comment starting with its hash), delete those whose whole comment is not
 * the comment of a valid attachment.
 */
export function gcOps(networkRules: readonly NftRule[], validComments: ReadonlySet<string>): NftOp[] {
  const ops: NftOp[] = [];
  for (const rule of networkRules) {
    if (rule.comment === undefined || !validComments.has(rule.comment)) ops.push(deleteRuleOp(rule));
  }
  return ops;
}
