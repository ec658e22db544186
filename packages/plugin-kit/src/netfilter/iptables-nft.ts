// iptables rules written over netlink exactly as iptables-nft 1.8.9 (Debian 12's iptables) writes them into
// nftables' `ip filter` / `ip6 filter`, so that `iptables -S` prints them as it prints its own, and an
// `iptables -D` (Go's plugins) finds them: the same expressions in the same order, `-m comment` and
// `-m conntrack` as xtables matches (nft_compat), a counter from zero before the verdict, NFTA_RULE_COMPAT
// on every rule, `-I <chain> 1` as an insert at the start (README.md, "iptables-nft over netlink"). The
// encoder is checked byte for byte against what iptables-nft sends (packages/netlink/native/src/nft/
// golden_iptables.rs), and what the kernel then holds against what iptables wrote (test/iptables-nft.kernel.test.ts).
//
// Only the part of iptables' language the plugins write: `[!] -s|-d <addr>/32|/128`, `[!] -i|-o <name>`,
// `-m conntrack --ctstate <states>`, a comment, and ACCEPT, DROP, RETURN or a chain as the target. A
// listed rule outside it (docker's, an administrator's) reads back as undefined: not one of ours.
import { NFT_REG_1, type NftChain, type NftExpr, type NftFamily, type NftOp, type NftRule, type Nftables } from "@cni/netlink";
import { findExecutable, realPath } from "@cni/host-files";
import { familyBits, formatIP, ipFromBytes, ipToBytes, parseCIDR } from "@cni/skel";
import type { IpFamily } from "./exprs";
import { listIfPresent } from "./nftables";

/** An iptables rule in iptables-save's spelling, split where the plugins build it: matches, comment, target. */
export interface IptablesRuleSpec {
  /** e.g. `["-d", "10.88.0.2/32", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"]`, `["-i", "br0", "!", "-o", "br0"]` */
  matches: readonly string[];
  comment?: string;
  /** ACCEPT, DROP, RETURN or a chain name (a jump) */
  target: string;
}

/** Whether `iptables` / `ip6tables` on PATH is iptables-nft, iptables-legacy, or missing. */
export type IptablesVariant = "nft" | "legacy";

/** The table the firewall rules live in; its built-in chains hook in at priority 0 (NF_IP_PRI_FILTER). */
const FILTER_HOOKS = { INPUT: "input", FORWARD: "forward", OUTPUT: "output" } as const;
export type FilterBuiltinChain = keyof typeof FILTER_HOOKS;

/** XT_ALIGN(sizeof(struct xt_comment_info)): the comment as a NUL-padded string (XT_MAX_COMMENT_LEN). */
const COMMENT_INFO_BYTES = 256;
/** XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3)) (revision 3, what iptables 1.8.9 sends). */
const CONNTRACK_INFO_BYTES = 168;
const CONNTRACK_REVISION = 3;
/** offsets of match_flags, invert_flags and state_mask (u16, host order) in xt_conntrack_mtinfo3 */
const CONNTRACK_MATCH_FLAGS_AT = 146;
const CONNTRACK_INVERT_FLAGS_AT = 148;
const CONNTRACK_STATE_MASK_AT = 150;
/** XT_CONNTRACK_STATE: the only match flag `--ctstate` sets */
const XT_CONNTRACK_STATE = 1;
/** `--ctstate` names and bits (XT_CONNTRACK_STATE_*), in the order iptables prints them. */
const CONNTRACK_STATES: readonly (readonly [string, number])[] = [
  ["INVALID", 1],
  ["NEW", 8],
  ["RELATED", 4],
  ["ESTABLISHED", 2],
  ["UNTRACKED", 256],
  ["SNAT", 64],
  ["DNAT", 128],
];
/** IFNAMSIZ: an interface name with its NUL */
const IFNAME_BYTES = 16;
/** offsets of the source and destination address in the IPv4 / IPv6 header */
const ADDRESS_OFFSET: Record<IpFamily, { saddr: number; daddr: number }> = { 4: { saddr: 12, daddr: 16 }, 6: { saddr: 8, daddr: 24 } };
/** NFTA_RULE_COMPAT without `-p`: what iptables-nft sends with every rule */
const NO_PROTOCOL_COMPAT = { proto: 0, flags: 0 } as const;
const VERDICT_TARGETS = { ACCEPT: "accept", DROP: "drop", RETURN: "return" } as const;

export function nftFamilyOf(family: IpFamily): NftFamily {
  return family === 4 ? "ip" : "ip6";
}

// ---- which iptables the host has ----

/**
 * Which variant `iptables` (`ip6tables`) on `searchPath` is: the xtables multi-binary it resolves to
 * (Debian's alternatives, RHEL's, Alpine's all end in `xtables-nft-multi` or `xtables-legacy-multi`), or
 * a binary of its own (iptables before 1.8: legacy). Undefined when it is not on the path. No process.
 */
export function iptablesVariant(family: IpFamily, searchPath: string): IptablesVariant | undefined {
  const found = findExecutable(family === 4 ? "iptables" : "ip6tables", searchPath);
  if (found === undefined) return undefined;
  let resolved: string;
  try {
    resolved = realPath(found);
  } catch {
    return undefined;
  }
  const name = resolved.slice(resolved.lastIndexOf("/") + 1);
  return name.includes("-nft") ? "nft" : "legacy";
}

// ---- writing ----

/**
 * The ops that create what iptables-nft creates on first use of a built-in chain, when missing: the table
 * (`ip filter`, no flags, no comment) and the chain (hooked at priority 0, type filter, policy accept).
 */
export function builtinChainOps(family: IpFamily, chain: FilterBuiltinChain, present: IptablesNftTable): NftOp[] {
  const nftFamily = nftFamilyOf(family);
  const ops: NftOp[] = [];
  if (!present.exists) ops.push({ op: "addTable", family: nftFamily, name: "filter" });
  if (!present.chains.has(chain)) {
    ops.push({ op: "addChain", family: nftFamily, table: "filter", name: chain, hook: FILTER_HOOKS[chain], type: "filter", priority: 0, policy: "accept" });
  }
  return ops;
}

/** `iptables -N <chain>`: a regular chain, EEXIST when a concurrent call made it first. */
export function userChainOp(family: IpFamily, chain: string): NftOp {
  return { op: "createChain", family: nftFamilyOf(family), table: "filter", name: chain };
}

/** `iptables -A <chain> <rule>` (`at: "last"`) or `iptables -I <chain> 1 <rule>` (`at: "first"`), in table filter. */
export function ruleOp(family: IpFamily, chain: string, rule: IptablesRuleSpec, at: "first" | "last"): NftOp {
  return {
    op: at === "first" ? "insertRule" : "addRule",
    family: nftFamilyOf(family),
    table: "filter",
    chain,
    exprs: iptablesNftExprs(family, rule),
    compat: NO_PROTOCOL_COMPAT,
  };
}

/**
 * The rule's expressions in iptables-nft's order: interfaces, addresses, the matches as given, the comment,
 * a counter from zero, the verdict. Throws on anything outside the supported spelling (a caller's bug).
 */
export function iptablesNftExprs(family: IpFamily, rule: IptablesRuleSpec): NftExpr[] {
  const interfaces: NftExpr[] = [];
  const addresses: NftExpr[] = [];
  const matches: NftExpr[] = [];
  const args = rule.matches;
  let negate = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = args[i + 1];
    if (arg === "!") {
      negate = true;
      continue;
    }
    const op = negate ? "neq" : "eq";
    negate = false;
    if ((arg === "-i" || arg === "-o") && value !== undefined) {
      interfaces.push({ type: "meta", key: arg === "-i" ? "iifname" : "oifname", dreg: NFT_REG_1 }, { type: "cmp", op, sreg: NFT_REG_1, data: interfaceBytes(value) });
      i++;
    } else if ((arg === "-s" || arg === "-d") && value !== undefined) {
      const bytes = hostAddressBytes(family, value);
      const offset = ADDRESS_OFFSET[family][arg === "-s" ? "saddr" : "daddr"];
      addresses.push({ type: "payload", base: "network", offset, len: bytes.length, dreg: NFT_REG_1 }, { type: "cmp", op, sreg: NFT_REG_1, data: bytes });
      i++;
    } else if (arg === "-m" && value === "conntrack" && args[i + 2] === "--ctstate" && args[i + 3] !== undefined && op === "eq") {
      matches.push(conntrackStateMatch(args[i + 3] as string));
      i += 3;
    } else {
      throw new Error(`iptables-nft: cannot write ${JSON.stringify(args.slice(i).join(" "))} (only -s, -d, -i, -o, -m conntrack --ctstate)`);
    }
  }
  if (rule.comment !== undefined) matches.push(commentMatch(rule.comment));
  return [...interfaces, ...addresses, ...matches, { type: "counter", bytes: 0, packets: 0 }, targetExpr(rule.target)];
}

function interfaceBytes(name: string): Uint8Array {
  const encoded = new TextEncoder().encode(name);
  if (encoded.length === 0 || encoded.length >= IFNAME_BYTES || name.endsWith("+")) throw new Error(`iptables-nft: interface name ${JSON.stringify(name)} not supported`);
  const bytes = new Uint8Array(encoded.length + 1); // with its NUL: "cni0" must not match "cni01"
  bytes.set(encoded);
  return bytes;
}

function hostAddressBytes(family: IpFamily, text: string): Uint8Array {
  const cidr = parseCIDR(text);
  if (cidr === undefined || cidr.ip.family !== family || cidr.prefix !== familyBits(family)) {
    throw new Error(`iptables-nft: ${JSON.stringify(text)} is not an IPv${family} host address (/${familyBits(family)})`);
  }
  return ipToBytes(cidr.ip);
}

function conntrackStateMatch(states: string): NftExpr {
  let mask = 0;
  for (const state of states.split(",")) {
    const bit = CONNTRACK_STATES.find(([name]) => name === state)?.[1];
    if (bit === undefined) throw new Error(`iptables-nft: unknown --ctstate ${JSON.stringify(state)}`);
    mask |= bit;
  }
  const info = new Uint8Array(CONNTRACK_INFO_BYTES);
  const view = new DataView(info.buffer);
  view.setUint16(CONNTRACK_MATCH_FLAGS_AT, XT_CONNTRACK_STATE, HOST_LITTLE_ENDIAN);
  view.setUint16(CONNTRACK_STATE_MASK_AT, mask, HOST_LITTLE_ENDIAN);
  return { type: "match", name: "conntrack", rev: CONNTRACK_REVISION, info };
}

function commentMatch(comment: string): NftExpr {
  const encoded = new TextEncoder().encode(comment);
  if (encoded.length >= COMMENT_INFO_BYTES) throw new Error(`iptables-nft: comment longer than ${COMMENT_INFO_BYTES - 1} bytes`);
  const info = new Uint8Array(COMMENT_INFO_BYTES);
  info.set(encoded);
  return { type: "match", name: "comment", rev: 0, info };
}

function targetExpr(target: string): NftExpr {
  const verdict = VERDICT_TARGETS[target as keyof typeof VERDICT_TARGETS];
  return verdict !== undefined ? { type: "verdict", verdict } : { type: "verdict", verdict: "jump", chain: target };
}

/** The xt structs are in host byte order. */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

// ---- reading ----

/** A rule of the table as listed: its chain and handle, and its spec when it is in the supported spelling. */
export interface IptablesNftRule {
  chain: string;
  handle: number;
  spec?: IptablesRuleSpec;
}

/** What `iptables -t filter -S` would show, read over netlink: whether the table exists, its chains, its rules in order. */
export interface IptablesNftTable {
  exists: boolean;
  chains: ReadonlyMap<string, NftChain>;
  rules: readonly IptablesNftRule[];
}

/** The filter table of one family: its chains (one dump) and its rules (one dump), decoded. */
export function readFilterTable(nft: Nftables, family: IpFamily): IptablesNftTable {
  const nftFamily = nftFamilyOf(family);
  const chains = new Map<string, NftChain>();
  for (const chain of listIfPresent(() => nft.listChains(nftFamily, "filter"))) chains.set(chain.name, chain);
  if (chains.size === 0) {
    // a table without chains is still a table (iptables -N's first step creates just the table)
    const exists = nft.listTables(nftFamily).some((table) => table.name === "filter");
    return { exists, chains, rules: [] };
  }
  const rules = listIfPresent(() => nft.listRules(nftFamily, "filter")).map((rule) => decodeRule(family, rule));
  return { exists: true, chains, rules };
}

function decodeRule(family: IpFamily, rule: NftRule): IptablesNftRule {
  const spec = iptablesNftSpec(family, rule.exprs);
  return { chain: rule.chain, handle: rule.handle, ...(spec !== undefined ? { spec } : {}) };
}

/**
 * A listed rule's expressions back in iptables-save's spelling (`-s`, `-d`, `-i`, `-o` in its order, then
 * the matches, the comment last), or undefined when they are not exactly what iptablesNftExprs writes.
 */
export function iptablesNftSpec(family: IpFamily, exprs: readonly NftExpr[]): IptablesRuleSpec | undefined {
  const parts: Record<"-s" | "-d" | "-i" | "-o", string[] | undefined> = { "-s": undefined, "-d": undefined, "-i": undefined, "-o": undefined };
  const matches: string[] = [];
  let comment: string | undefined;
  let target: string | undefined;
  for (let i = 0; i < exprs.length; i++) {
    const expr = exprs[i] as NftExpr;
    const next = exprs[i + 1];
    if (target !== undefined) return undefined; // the verdict comes last
    if (expr.type === "meta" && (expr.key === "iifname" || expr.key === "oifname") && next?.type === "cmp" && (next.op === "eq" || next.op === "neq")) {
      const name = interfaceName(next.data);
      const option = expr.key === "iifname" ? "-i" : "-o";
      if (name === undefined || parts[option] !== undefined || comment !== undefined) return undefined;
      parts[option] = next.op === "neq" ? ["!", option, name] : [option, name];
      i++;
    } else if (expr.type === "payload" && expr.base === "network" && next?.type === "cmp" && (next.op === "eq" || next.op === "neq")) {
      const option = expr.offset === ADDRESS_OFFSET[family].saddr ? "-s" : expr.offset === ADDRESS_OFFSET[family].daddr ? "-d" : undefined;
      const ip = next.data.length === expr.len ? ipFromBytes(next.data) : undefined;
      if (option === undefined || ip === undefined || ip.family !== family || parts[option] !== undefined || comment !== undefined) return undefined;
      const host = `${formatIP(ip)}/${familyBits(family)}`;
      parts[option] = next.op === "neq" ? ["!", option, host] : [option, host];
      i++;
    } else if (expr.type === "match" && comment === undefined) {
      if (expr.name === "comment" && expr.rev === 0) comment = nulTerminated(expr.info);
      else if (expr.name === "conntrack" && expr.rev === CONNTRACK_REVISION) {
        const states = conntrackStates(expr.info);
        if (states === undefined) return undefined;
        matches.push("-m", "conntrack", "--ctstate", states);
      } else return undefined;
    } else if (expr.type === "counter") {
      continue;
    } else if (expr.type === "verdict") {
      if (expr.verdict === "jump" && expr.chain !== undefined) target = expr.chain;
      else if (expr.verdict === "accept" || expr.verdict === "drop" || expr.verdict === "return") target = expr.verdict.toUpperCase();
      else return undefined;
    } else {
      return undefined;
    }
  }
  if (target === undefined) return undefined;
  const front = [...(parts["-s"] ?? []), ...(parts["-d"] ?? []), ...(parts["-i"] ?? []), ...(parts["-o"] ?? [])];
  return { matches: [...front, ...matches], ...(comment !== undefined ? { comment } : {}), target };
}

/** "cni0\0" is `cni0`; a name without its NUL would be iptables' `cni+` wildcard, which we never write. */
function interfaceName(data: Uint8Array): string | undefined {
  if (data.length < 2 || data.length > IFNAME_BYTES || data[data.length - 1] !== 0) return undefined;
  const name = new TextDecoder().decode(data.subarray(0, data.length - 1));
  return name.includes("\0") ? undefined : name;
}

function nulTerminated(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** `--ctstate` of a conntrack match that matches on states only, as iptables prints it; else undefined. */
function conntrackStates(info: Uint8Array): string | undefined {
  if (info.length !== CONNTRACK_INFO_BYTES) return undefined;
  const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const mask = view.getUint16(CONNTRACK_STATE_MASK_AT, HOST_LITTLE_ENDIAN);
  const expected = new Uint8Array(CONNTRACK_INFO_BYTES);
  new DataView(expected.buffer).setUint16(CONNTRACK_MATCH_FLAGS_AT, XT_CONNTRACK_STATE, HOST_LITTLE_ENDIAN);
  new DataView(expected.buffer).setUint16(CONNTRACK_STATE_MASK_AT, mask, HOST_LITTLE_ENDIAN);
  // every other field zero: no addresses, ports, status or expiry, nothing inverted
  for (let i = 0; i < CONNTRACK_INFO_BYTES; i++) if (info[i] !== expected[i]) return undefined;
  if (view.getUint16(CONNTRACK_INVERT_FLAGS_AT, HOST_LITTLE_ENDIAN) !== 0) return undefined;
  const names = CONNTRACK_STATES.filter(([, bit]) => (mask & bit) !== 0).map(([name]) => name);
  let known = 0;
  for (const [, bit] of CONNTRACK_STATES) known |= bit;
  return names.length === 0 || (mask & ~known) !== 0 ? undefined : names.join(",");
}
