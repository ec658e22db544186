// The reference's nftables masquerade layout (ipmasq_nftables_linux.go) as the kit's netfilter pieces:
// a layout (table, chains, postrouting's fixed rules) and one attachment's rules (pure: no kernel).
// `nft list ruleset` shows our rules as the reference's.
import type { NftExpr, NftOp, NftRule } from "@cni/netlink";
import {
  addressEquals,
  addressInNetwork,
  goto,
  masquerade,
  nfprotoIs,
  verdict,
  type AddressWithPrefix,
} from "../netfilter/exprs";
import { deleteRuleOps, type AttachmentRules, type NftLayout } from "../netfilter/nftables";
import {
  NFT_MASQ_CHAIN,
  NFT_MASQ_CHAIN_COMMENT,
  NFT_POSTROUTING_CHAIN,
  NFT_TABLE,
  NFT_TABLE_COMMENT,
} from "./names";

/** srcnat, the priority knftables' SNATPriority names */
const NF_IP_PRI_NAT_SRC = 100;

/** 224.0.0.0/4 and ff00::/8, made when needed (nothing runs at module load in a plugin bundle) */
function multicast(family: 4 | 6): AddressWithPrefix {
  if (family === 4) return { family, bytes: Uint8Array.of(224, 0, 0, 0), prefix: 4 };
  const bytes = new Uint8Array(16);
  bytes[0] = 0xff;
  return { family, bytes, prefix: 8 };
}

/** `ip saddr <addr> ip daddr != <addr's network> masquerade` (ip6 for IPv6): one per container address. */
export function masqueradeRuleExprs(address: AddressWithPrefix): NftExpr[] {
  return [
    ...nfprotoIs(address.family),
    ...addressEquals(address.family, "saddr", address.bytes),
    ...addressInNetwork("daddr", "neq", address),
    masquerade(),
  ];
}

/** The base chain's three rules: multicast returns (v4, v6), then `goto masq_checks`. */
export function postroutingRulesExprs(): NftExpr[][] {
  return [
    [...nfprotoIs(4), ...addressInNetwork("daddr", "eq", multicast(4)), verdict("return")],
    [...nfprotoIs(6), ...addressInNetwork("daddr", "eq", multicast(6)), verdict("return")],
    [goto(NFT_MASQ_CHAIN)],
  ];
}

/**
 * Table `inet cni_plugins_masquerade`: `masq_checks` (the attachments' rules) and the base chain
 * `postrouting` (nat, srcnat), which holds exactly its three rules (the reference refills it on every ADD;
 * we only when it differs).
 */
export function masqueradeLayout(): NftLayout {
  return {
    family: "inet",
    table: NFT_TABLE,
    tableComment: NFT_TABLE_COMMENT,
    chains: [
      { name: NFT_MASQ_CHAIN, comment: NFT_MASQ_CHAIN_COMMENT },
      {
        name: NFT_POSTROUTING_CHAIN,
        type: "nat",
        hook: "postrouting",
        priority: NF_IP_PRI_NAT_SRC,
        rules: postroutingRulesExprs().map((exprs) => ({ exprs })),
      },
    ],
  };
}

/** One attachment's rules in masq_checks: one per address, all with `comment`; its rules are those with `prefix`. */
export function attachmentRules(prefix: string, comment: string, addresses: readonly AddressWithPrefix[]): AttachmentRules {
  return {
    commentPrefix: prefix,
    rules: addresses.map((address) => ({ chain: NFT_MASQ_CHAIN, exprs: masqueradeRuleExprs(address), comment })),
  };
}

/**
 * GC: of the network's rules (comment starting with its hash), delete those whose whole comment is not
 * the comment of a valid attachment.
 */
export function gcOps(networkRules: readonly NftRule[], validComments: ReadonlySet<string>): NftOp[] {
  const stale: NftRule[] = [];
  for (const rule of networkRules) if (rule.comment === undefined || !validComments.has(rule.comment)) stale.push(rule);
  return deleteRuleOps(stale);
}
