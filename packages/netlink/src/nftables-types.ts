// The nftables (NETLINK_NETFILTER) side of @cni/netlink: the shapes the `Nftables` handle takes and returns.
// Expressions are the kernel's own (nft --debug=netlink prints them), not nft's rule language: the caller
// builds `ip saddr 10.1.0.2` as a payload load plus a cmp. Registers are the kernel's NFT_REG_* numbers
// (NFT_REG_VERDICT = 0, NFT_REG_1 = 1, ...), as nft uses them.

import type { FieldDescription, Shape } from "./types";

/** The first 16-byte data register (the one nft loads a match's value into). */
export const NFT_REG_1 = 1;
/** The second one (nft puts a dnat's port there, after the address in NFT_REG_1). */
export const NFT_REG_2 = 2;

export type NftFamily = "inet" | "ip" | "ip6" | "bridge" | "arp" | "netdev";

export type NftHook = "prerouting" | "input" | "forward" | "output" | "postrouting" | "ingress";
export type NftChainType = "filter" | "nat" | "route";
export type NftPolicy = "accept" | "drop";
export type NftVerdictCode = "accept" | "drop" | "return" | "continue" | "jump" | "goto";
export type NftCmpOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte";
export type NftMetaKey = "nfproto" | "l4proto" | "protocol" | "iif" | "oif" | "iifname" | "oifname" | "mark";
export type NftPayloadBase = "link" | "network" | "transport";
/** The address family of a nat expression's address register (NFPROTO_IPV4 / NFPROTO_IPV6). */
export type NftNatFamily = "ipv4" | "ipv6";
/** A fib lookup's result: output interface index, its name, or the address type (`fib daddr type local`). */
export type NftFibResult = "oif" | "oifname" | "type";
export type NftCtKey = "state" | "direction" | "status" | "mark";

export type NftExpr =
  | { type: "meta"; key: NftMetaKey; dreg: number }
  | { type: "payload"; base: NftPayloadBase; offset: number; len: number; dreg: number }
  | { type: "cmp"; op: NftCmpOp; sreg: number; data: Uint8Array }
  | { type: "bitwise"; sreg: number; dreg: number; len: number; mask: Uint8Array; xor: Uint8Array }
  /** NFT_REG_VERDICT <- verdict; `chain` for jump/goto */
  | { type: "verdict"; verdict: NftVerdictCode; chain?: string }
  /** data register <- constant */
  | { type: "immediate"; dreg: number; data: Uint8Array }
  | { type: "masq"; flags?: number }
  /**
   * snat/dnat to the address in register `addrReg` (and the port in `protoReg`), as `nft ... dnat to a:p`;
   * `flags`: NF_NAT_RANGE_* beyond those the registers imply
   */
  | { type: "nat"; nat: "snat" | "dnat"; family: NftNatFamily; addrReg?: number; protoReg?: number; flags?: number }
  /** dreg <- a route lookup; `flags` are NFTA_FIB_F_* (which address, which interface) */
  | { type: "fib"; dreg: number; result: NftFibResult; flags: number }
  /** dreg <- a conntrack field (state and status are bit sets: mask them with bitwise) */
  | { type: "ct"; key: NftCtKey; dreg: number }
  /**
   * `bytes`/`packets`: starting values, sent when given (iptables-nft sends 0 and 0, nft nothing); the
   * kernel holds the same counter either way, and listings leave them out (they are the traffic's)
   */
  | { type: "counter"; bytes?: number; packets?: number }
  /**
   * an xtables match run through nft_compat, as iptables-nft writes `-m comment`, `-m conntrack`: the
   * match's name, revision and info struct (XT_ALIGN'ed, byte for byte as the xt module defines it)
   */
  | { type: "match"; name: string; rev: number; info: Uint8Array }
  /** only read back (listRules): an expression the kernel holds that none of the above describes */
  | { type: "unknown"; name: string };

export interface NftTable {
  family: NftFamily;
  name: string;
  handle: number;
  flags: number;
  /** the table comment nft shows (user data) */
  comment?: string;
}

export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  handle: number;
  /** base chains only */
  hook?: NftHook;
  priority?: number;
  type?: NftChainType;
  policy?: NftPolicy;
  comment?: string;
}

export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  handle: number;
  /** the rule comment as `nft list ruleset` shows it (NFTA_RULE_USERDATA, the TLV nft writes) */
  comment?: string;
  exprs: NftExpr[];
}

/** One change inside a transaction (`Nftables.commit`). */
export type NftOp =
  /** create if missing, like `nft add table` (no NLM_F_EXCL: an existing table is kept, its comment set) */
  | { op: "addTable"; family: NftFamily; name: string; comment?: string }
  /** like `nft create table`: EEXIST when it exists (so a transaction built on "missing" fails if a concurrent one made it) */
  | { op: "createTable"; family: NftFamily; name: string; comment?: string }
  | { op: "deleteTable"; family: NftFamily; name: string }
  /**
   * create if missing, like `nft add chain`; `hook` makes a base chain (`type` defaults to filter, `priority`
   * to 0); `type`, `priority` or `policy` without `hook` is EINVAL
   */
  | {
      /** createChain: like `nft create chain`, EEXIST when it exists */
      op: "addChain" | "createChain";
      family: NftFamily;
      table: string;
      name: string;
      hook?: NftHook;
      type?: NftChainType;
      priority?: number;
      policy?: NftPolicy;
      comment?: string;
    }
  | { op: "flushChain"; family: NftFamily; table: string; name: string }
  | { op: "deleteChain"; family: NftFamily; table: string; name: string }
  /**
   * addRule: appended at the end of the chain (`nft add rule`, `iptables -A`); insertRule: at its start
   * (`nft insert rule`, `iptables -I <chain> 1`). `compat`: NFTA_RULE_COMPAT, the layer-4 protocol xtables
   * matches are checked against, which iptables-nft sends with every rule ({ proto: 0, flags: 0 } without -p)
   */
  | {
      op: "addRule" | "insertRule";
      family: NftFamily;
      table: string;
      chain: string;
      exprs: NftExpr[];
      comment?: string;
      compat?: { proto: number; flags: number };
    }
  | { op: "deleteRule"; family: NftFamily; table: string; chain: string; handle: number };

// ---- field records for the boundary test (test/boundary.kernel.test.ts), as types.ts has for rtnetlink ----

export const NFT_TABLE_FIELDS = {
  family: { kind: "string", optional: false },
  name: { kind: "string", optional: false },
  handle: { kind: "number", optional: false },
  flags: { kind: "number", optional: false },
  comment: { kind: "string", optional: true },
} as const satisfies Shape<NftTable>;

export const NFT_CHAIN_FIELDS = {
  family: { kind: "string", optional: false },
  table: { kind: "string", optional: false },
  name: { kind: "string", optional: false },
  handle: { kind: "number", optional: false },
  hook: { kind: "string", optional: true },
  priority: { kind: "number", optional: true },
  type: { kind: "string", optional: true },
  policy: { kind: "string", optional: true },
  comment: { kind: "string", optional: true },
} as const satisfies Shape<NftChain>;

/** A rule's fields; its `exprs` are checked one by one against NFT_EXPR_FIELDS of their `type`. */
export const NFT_RULE_FIELDS = {
  family: { kind: "string", optional: false },
  table: { kind: "string", optional: false },
  chain: { kind: "string", optional: false },
  handle: { kind: "number", optional: false },
  comment: { kind: "string", optional: true },
  exprs: { kind: "array", optional: false, items: {} },
} as const satisfies Record<keyof NftRule, FieldDescription>;

type ExprFields = { [T in NftExpr["type"]]: { readonly [K in keyof Extract<NftExpr, { type: T }>]-?: FieldDescription } };
const REQUIRED_STRING = { kind: "string", optional: false } as const;
const REQUIRED_NUMBER = { kind: "number", optional: false } as const;
const OPTIONAL_NUMBER = { kind: "number", optional: true } as const;
/** byte values (cmp data, masks) come back as Buffers: an object field without a shape */
const BYTES = { kind: "object", optional: false } as const;

/** Every expression's fields, by its `type`. */
export const NFT_EXPR_FIELDS = {
  meta: { type: REQUIRED_STRING, key: REQUIRED_STRING, dreg: REQUIRED_NUMBER },
  payload: { type: REQUIRED_STRING, base: REQUIRED_STRING, offset: REQUIRED_NUMBER, len: REQUIRED_NUMBER, dreg: REQUIRED_NUMBER },
  cmp: { type: REQUIRED_STRING, op: REQUIRED_STRING, sreg: REQUIRED_NUMBER, data: BYTES },
  bitwise: { type: REQUIRED_STRING, sreg: REQUIRED_NUMBER, dreg: REQUIRED_NUMBER, len: REQUIRED_NUMBER, mask: BYTES, xor: BYTES },
  verdict: { type: REQUIRED_STRING, verdict: REQUIRED_STRING, chain: { kind: "string", optional: true } },
  immediate: { type: REQUIRED_STRING, dreg: REQUIRED_NUMBER, data: BYTES },
  masq: { type: REQUIRED_STRING, flags: OPTIONAL_NUMBER },
  nat: { type: REQUIRED_STRING, nat: REQUIRED_STRING, family: REQUIRED_STRING, addrReg: OPTIONAL_NUMBER, protoReg: OPTIONAL_NUMBER, flags: OPTIONAL_NUMBER },
  fib: { type: REQUIRED_STRING, dreg: REQUIRED_NUMBER, result: REQUIRED_STRING, flags: REQUIRED_NUMBER },
  ct: { type: REQUIRED_STRING, key: REQUIRED_STRING, dreg: REQUIRED_NUMBER },
  counter: { type: REQUIRED_STRING, bytes: OPTIONAL_NUMBER, packets: OPTIONAL_NUMBER },
  match: { type: REQUIRED_STRING, name: REQUIRED_STRING, rev: REQUIRED_NUMBER, info: BYTES },
  unknown: { type: REQUIRED_STRING, name: REQUIRED_STRING },
} as const satisfies ExprFields;
