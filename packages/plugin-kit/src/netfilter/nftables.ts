// nftables the way the plugins change it (masquerade, bridge's spoof check; portmap and firewall next):
// a handle opened for one job and always closed, listings where a missing table or chain is simply empty,
// and transactions built from a fresh listing, retried when a concurrent call changed the ruleset in between.
//
// ADD adds only what is missing (README.md, "Add-only"): a transaction that deletes anything makes the
// socket's close wait for nf_tables' destroy work (an RCU grace period, ~12 ms), one that only adds does not.
import {
  Nftables,
  type NftChain,
  type NftExpr,
  type NftFamily,
  type NftOp,
  type NftRule,
} from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "../errors";

/**
 * Open nftables (in `netnsPath`, else the caller's namespace), run `work`, close. Any failure, opening
 * included, becomes a CniError `<what>: <reason>` (code 999); a CniError from `work` passes unchanged.
 * With `shared`, an open handle, `work` runs on it and it stays open (see withNftablesClosedLast).
 */
export function withNftables<T>(what: string, work: (nft: Nftables) => T, netnsPath?: string, shared?: Nftables): T {
  let nft: Nftables | undefined;
  try {
    nft = shared ?? openNftables(netnsPath);
    return work(nft);
  } catch (thrown) {
    throw netlinkToCniError(thrown, what);
  } finally {
    if (shared === undefined) nft?.close();
  }
}

/**
 * DEL's order: a handle (opened when `needed`; undefined if it cannot be) for `work`'s deleting batches,
 * which then does its other kernel work (deleting the veth), and the handle closed last. Closing a socket
 * whose batch deleted anything waits for nf_tables' destroy work (an RCU grace period, ~12 ms); RTM_DELLINK
 * waits for one of its own (~14 ms). Closed last, the two waits overlap instead of adding up.
 */
export async function withNftablesClosedLast<T>(needed: boolean, work: (nft: Nftables | undefined) => T | Promise<T>): Promise<T> {
  let nft: Nftables | undefined;
  try {
    if (needed) nft = openNftables();
  } catch {
    // No handle: each step opens its own and reports (or, as masquerade's iptables backend on a host
    // without nf_tables, tolerates) the failure as it would alone.
  }
  try {
    return await work(nft);
  } finally {
    nft?.close();
  }
}

/** A handle in `netnsPath`, else in the caller's namespace. */
export function openNftables(netnsPath?: string): Nftables {
  return netnsPath === undefined ? Nftables.current() : Nftables.at(netnsPath);
}

/** `list()`, or nothing when the table or chain it lists does not exist (yet, or any more): ENOENT. */
export function listIfPresent<T>(list: () => T[]): T[] {
  try {
    return list();
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENOENT")) return [];
    throw thrown;
  }
}

/** How often a transaction is built again from a fresh listing after a concurrent change. */
const COMMIT_ATTEMPTS = 3;

/**
 * Commit the ops `build` makes from a fresh listing (nothing to commit: done). A concurrent call between
 * the listing and the commit makes the transaction fail: ENOENT (it deleted a rule or chain we name),
 * EEXIST (it created a chain we create). Build and commit again; the last failure is thrown.
 */
export function commitFresh(nft: Nftables, build: () => NftOp[]): void {
  for (let attempt = 1; ; attempt++) {
    const ops = build();
    if (ops.length === 0) return;
    try {
      nft.commit(ops);
      return;
    } catch (thrown) {
      const concurrent = isNetlinkCode(thrown, "ENOENT") || isNetlinkCode(thrown, "EEXIST");
      if (attempt >= COMMIT_ATTEMPTS || !concurrent) throw thrown;
    }
  }
}

// ---- layouts: what a plugin's table must hold ----

/** One rule: its expressions and comment. */
export interface NftRuleSpec {
  exprs: NftExpr[];
  comment?: string;
}

/** A chain of a layout: what `addChain` takes (`hook` makes a base chain), and optionally its rules. */
export type NftChainSpec = Omit<Extract<NftOp, { op: "addChain" | "createChain" }>, "op" | "family" | "table"> & {
  /**
   * The chain holds exactly these rules (e.g. a base chain's jumps): refilled, flush first, only when
   * what is there differs. Undefined: the chain's rules are the attachments' (see `AttachmentRules`).
   */
  rules?: readonly NftRuleSpec[];
};

/** A table and the chains it must have. */
export interface NftLayout {
  family: NftFamily;
  table: string;
  /** set when this call creates the table */
  tableComment?: string;
  chains: readonly NftChainSpec[];
}

/** Which rules are one attachment's: by comment. */
export interface CommentMatch {
  /** their comments start with this; the addon lists only those */
  commentPrefix: string;
  /** whether a rule so listed is the attachment's, when the prefix alone does not say (e.g. an exact comment) */
  owns?(rule: NftRule): boolean;
}

/**
 * One attachment's rules, in the layout's chains without fixed `rules` (an attachment's own chains are
 * fixed chains of its layout): found by comment.
 */
export interface AttachmentRules extends CommentMatch {
  rules: readonly (NftRuleSpec & { chain: string })[];
}

/**
 * What the layout's chains are now: those that exist, as listed, with their rules (in chains without fixed
 * rules, possibly only the attachment's: see readChains).
 */
export interface NftTableContents {
  chains: ReadonlyMap<string, NftChain>;
  rules: ReadonlyMap<string, readonly NftRule[]>;
}

/**
 * List the layout's chains (one dump) and the rules of those that exist (one dump each): all rules of a
 * fixed chain, only those whose comment starts with `commentPrefix` elsewhere (filtered in the addon: no
 * object per other attachment). Per chain rather than the whole table: a shared table (bridge nat) holds
 * other plugins' and attachments' chains we need not decode.
 */
export function readChains(nft: Nftables, layout: NftLayout, commentPrefix?: string): NftTableContents {
  const chains = new Map<string, NftChain>();
  const wanted = new Set(layout.chains.map((chain) => chain.name));
  for (const chain of listIfPresent(() => nft.listChains(layout.family, layout.table))) if (wanted.has(chain.name)) chains.set(chain.name, chain);
  const rules = new Map<string, NftRule[]>();
  for (const spec of layout.chains) {
    if (!chains.has(spec.name)) continue;
    const filter = spec.rules === undefined && commentPrefix !== undefined ? { commentPrefix } : {};
    rules.set(spec.name, listIfPresent(() => nft.listRules(layout.family, layout.table, spec.name, filter)));
  }
  return { chains, rules };
}

/**
 * ADD's transaction, adding only what is missing: the table (when none of its chains exists) and each
 * missing chain (`createChain`: a concurrent creator makes the commit fail with EEXIST, and commitFresh
 * builds again), each fixed chain refilled only when it differs, and the attachment's rules: identical
 * ones kept, stale ones deleted, missing ones added. Nothing stale, nothing deleted. A base chain that
 * exists with another hook, type, priority or policy gets `addChain` with ours, as the reference's `nft
 * add chain` does: the kernel updates the policy and refuses the rest (a CNI error naming the chain).
 */
export function addOnlyOps(current: NftTableContents, layout: NftLayout, attachment?: AttachmentRules): NftOp[] {
  const { family, table } = layout;
  const ops: NftOp[] = [];
  if (current.chains.size === 0) ops.push({ op: "addTable", family, name: table, ...(layout.tableComment !== undefined ? { comment: layout.tableComment } : {}) });
  for (const chain of layout.chains) {
    const existing = current.chains.get(chain.name);
    if (existing === undefined) ops.push(chainOp("createChain", family, table, chain));
    else if (chain.hook !== undefined && !sameBaseChain(existing, chain)) ops.push(chainOp("addChain", family, table, chain));
  }
  for (const chain of layout.chains) {
    if (chain.rules === undefined) continue;
    const existing = current.rules.get(chain.name);
    if (existing !== undefined && sameRules(existing, chain.rules)) continue;
    // Flush even an empty chain: a concurrent call may fill it before our commit, and must not be doubled.
    if (existing !== undefined) ops.push({ op: "flushChain", family, table, name: chain.name });
    for (const rule of chain.rules) ops.push(addRuleOp(family, table, chain.name, rule));
  }
  if (attachment !== undefined) ops.push(...attachmentOps(current, layout, attachment));
  return ops;
}

function chainOp(op: "createChain" | "addChain", family: NftFamily, table: string, chain: NftChainSpec): NftOp {
  const { rules: _rules, ...fields } = chain;
  return { op, family, table, ...fields };
}

/** A listed base chain against the spec (type defaults to filter, priority to 0, policy to accept, as the kernel's). */
function sameBaseChain(listed: NftChain, spec: NftChainSpec): boolean {
  return (
    listed.hook === spec.hook &&
    listed.type === (spec.type ?? "filter") &&
    listed.priority === (spec.priority ?? 0) &&
    (listed.policy ?? "accept") === (spec.policy ?? "accept")
  );
}

/** The attachment's rules: keep each identical one once, delete the rest of its rules, add what is missing. */
function attachmentOps(current: NftTableContents, layout: NftLayout, attachment: AttachmentRules): NftOp[] {
  const { family, table } = layout;
  const owned: NftRule[] = [];
  for (const chain of layout.chains) {
    if (chain.rules !== undefined) continue; // a fixed chain's rules are the layout's, whatever their comment
    for (const rule of current.rules.get(chain.name) ?? []) if (ownedBy(attachment, rule)) owned.push(rule);
  }
  const kept = new Set<NftRule>();
  const missing: (NftRuleSpec & { chain: string })[] = [];
  for (const wanted of attachment.rules) {
    const same = owned.find((rule) => !kept.has(rule) && rule.chain === wanted.chain && sameRule(rule, wanted));
    if (same === undefined) missing.push(wanted);
    else kept.add(same);
  }
  const ops: NftOp[] = [];
  for (const rule of owned) if (!kept.has(rule)) ops.push({ op: "deleteRule", family, table, chain: rule.chain, handle: rule.handle });
  for (const rule of missing) ops.push(addRuleOp(family, table, rule.chain, rule));
  return ops;
}

function ownedBy(match: CommentMatch, rule: NftRule): boolean {
  const prefixed = rule.comment !== undefined && rule.comment.startsWith(match.commentPrefix);
  return prefixed && (match.owns === undefined || match.owns(rule));
}

/**
 * ADD for one attachment in one transaction that adds only what is missing (addOnlyOps), from a fresh
 * listing, rebuilt if a concurrent call got in between. Commits nothing when all is in place.
 */
export function ensureRules(nft: Nftables, layout: NftLayout, attachment?: AttachmentRules): void {
  commitFresh(nft, () => addOnlyOps(readChains(nft, layout, attachment?.commentPrefix), layout, attachment));
}

function addRuleOp(family: NftFamily, table: string, chain: string, rule: NftRuleSpec): NftOp {
  return { op: "addRule", family, table, chain, exprs: rule.exprs, ...(rule.comment !== undefined ? { comment: rule.comment } : {}) };
}

// ---- finding and deleting rules by comment ----

/** The rules whose comment starts with `prefix`. */
export function rulesWithCommentPrefix(rules: readonly NftRule[], prefix: string): NftRule[] {
  const found: NftRule[] = [];
  for (const rule of rules) if (rule.comment !== undefined && rule.comment.startsWith(prefix)) found.push(rule);
  return found;
}

/** Ops deleting `rules` by handle. */
export function deleteRuleOps(rules: readonly NftRule[]): NftOp[] {
  const ops: NftOp[] = [];
  for (const rule of rules) ops.push({ op: "deleteRule", family: rule.family, table: rule.table, chain: rule.chain, handle: rule.handle });
  return ops;
}

/**
 * DEL: delete every rule of the chain whose comment starts with `prefix`, listed and deleted inside the
 * addon in one transaction (no JS object per rule: it matters with thousands of attachments); once more
 * if a concurrent call deleted one of them first. A missing table or chain: nothing to do. Returns the count.
 */
export function deleteRulesByCommentPrefix(nft: Nftables, family: NftFamily, table: string, chain: string, prefix: string): number {
  try {
    return nft.deleteRulesByCommentPrefix(family, table, chain, prefix);
  } catch (thrown) {
    if (!isNetlinkCode(thrown, "ENOENT")) throw thrown;
    return nft.deleteRulesByCommentPrefix(family, table, chain, prefix);
  }
}

/**
 * DEL: delete, in one transaction, the rules of `chains` that `match` names (missing chains have none),
 * listed through the addon's comment filter; rebuilt if a concurrent call deleted one of them first.
 * For several chains, or an exact comment (portmap's rules carry the bare container id), where
 * deleteRulesByCommentPrefix (one chain, a prefix) does not fit. Returns the count.
 */
export function deleteRulesByComment(nft: Nftables, family: NftFamily, table: string, chains: readonly string[], match: CommentMatch): number {
  let count = 0;
  commitFresh(nft, () => {
    const found: NftRule[] = [];
    for (const chain of chains) {
      for (const rule of listIfPresent(() => nft.listRules(family, table, chain, { commentPrefix: match.commentPrefix }))) {
        if (ownedBy(match, rule)) found.push(rule);
      }
    }
    count = found.length;
    return deleteRuleOps(found);
  });
  return count;
}

// ---- comparing what the kernel lists with what a layout wants ----

/** Whether `listed` holds exactly `wanted`, in order. */
export function sameRules(listed: readonly NftRule[], wanted: readonly NftRuleSpec[]): boolean {
  if (listed.length !== wanted.length) return false;
  for (let i = 0; i < listed.length; i++) if (!sameRule(listed[i] as NftRule, wanted[i] as NftRuleSpec)) return false;
  return true;
}

/** Same comment and the same expressions (the addon decodes a listed rule to the expressions that made it). */
export function sameRule(listed: NftRule, wanted: NftRuleSpec): boolean {
  if (listed.comment !== wanted.comment || listed.exprs.length !== wanted.exprs.length) return false;
  for (let i = 0; i < listed.exprs.length; i++) if (!sameExpr(listed.exprs[i] as NftExpr, wanted.exprs[i] as NftExpr)) return false;
  return true;
}

/** Field by field; byte fields by content; an absent optional field equals undefined. */
export function sameExpr(a: NftExpr, b: NftExpr): boolean {
  const left: Readonly<Record<string, unknown>> = a;
  const right: Readonly<Record<string, unknown>> = b;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    const x = left[key];
    const y = right[key];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (!sameBytes(x, y)) return false;
    } else if (x !== y) {
      return false;
    }
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
