// The nftables (NETLINK_NETFILTER) side of @cni/netlink: the shapes the `Nftables` handle takes and returns.
// Expressions are the kernel's own (nft --debug=netlink prints them), not nft's rule language: the caller
// builds `ip saddr 10.1.0.2` as a payload load plus a cmp. Registers are the kernel's NFT_REG_* numbers
// (NFT_REG_VERDICT = 0, NFT_REG_1 = 1, ...), as nft uses them.

/** The first 16-byte data register (the one nft loads a match's value into). */
export const NFT_REG_1 = 1;

export type NftFamily = "inet" | "ip" | "ip6" | "bridge" | "arp" | "netdev";

export type NftHook = "prerouting" | "input" | "forward" | "output" | "postrouting" | "ingress";
export type NftChainType = "filter" | "nat" | "route";
export type NftPolicy = "accept" | "drop";
export type NftVerdictCode = "accept" | "drop" | "return" | "continue" | "jump" | "goto";
export type NftCmpOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte";
export type NftMetaKey = "nfproto" | "l4proto" | "protocol" | "iif" | "oif" | "iifname" | "oifname" | "mark";
export type NftPayloadBase = "link" | "network" | "transport";

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
  | { type: "counter" }
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
  | { op: "deleteTable"; family: NftFamily; name: string }
  /**
   * create if missing, like `nft add chain`; `hook` makes a base chain (`type` defaults to filter, `priority`
   * to 0); `type`, `priority` or `policy` without `hook` is EINVAL
   */
  | {
      op: "addChain";
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
  /** appended at the end of the chain */
  | { op: "addRule"; family: NftFamily; table: string; chain: string; exprs: NftExpr[]; comment?: string }
  | { op: "deleteRule"; family: NftFamily; table: string; chain: string; handle: number };
