// The iptables backend: the Go plugin's filter rules exactly, so that either implementation's DEL removes
// the other's rules and CHECK finds them (README.md, "iptables"):
//
//   -A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD              (inserted first)
//   -A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN  (inserted first)
//   -A CNI-FORWARD -d <ip>/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT          (per address)
//   -A CNI-FORWARD -s <ip>/32 -j ACCEPT
//
// plus HEAD's isolation chains for an ingress policy. Go runs one iptables process per rule and check.
// Where iptables is iptables-nft (Debian's default) we read the filter tables and write the rules over
// netlink, in exactly the form iptables-nft writes them (the kit's iptables-nft.ts): both families in one
// transaction, no process. With iptables-legacy we list the filter table once per family (`iptables -S`)
// and change it with one atomic iptables-restore. Either way under a lock, so two calls of ours cannot
// both create a chain (declaring an existing chain in a restore empties it). Go's per-address rules carry
// no comment (ours must equal them), so they are found by address only.
import { closeFile, findExecutable, lockFile, readTextFileIfExists } from "@cni/host-files";
import { CniError, ErrorCode, formatIP, type CIDR } from "@cni/skel";
import type { AttachmentId } from "@cni/plugin-kit";
import {
  builtinChainOps,
  commentMatch,
  commitFresh,
  iptablesBinary,
  iptablesList,
  iptablesNftSpec,
  iptablesRestore,
  iptablesRunner,
  iptablesVariant,
  listIfPresent,
  nftFamilyOf,
  readFilterTable,
  ruleOp,
  userChainOp,
  withNftables,
  type IpFamily,
  type IptablesNftTable,
  type IptablesRuleSpec,
  type IptablesRunner,
} from "@cni/plugin-kit/netfilter";
import type { NftOp, Nftables } from "@cni/netlink";
import type { FirewallBackend } from "./backend";
import type { FirewallAttachment, FirewallConfig, IngressPolicy } from "./config";
import { gcNftablesRules, removeNftablesRules } from "./nftables-backend";

/** How errors name us. */
const WHO = "firewall";
const FAMILIES: readonly IpFamily[] = [4, 6];
const FORWARD = "FORWARD";
export const PRIVATE_CHAIN = "CNI-FORWARD";
const STAGE_1 = "CNI-ISOLATION-STAGE-1";
const STAGE_2 = "CNI-ISOLATION-STAGE-2";
const FORWARD_COMMENT = "CNI firewall plugin rules";
const ADMIN_COMMENT = "CNI firewall plugin admin overrides";
/** HEAD's comment of the isolation rules shared by both policies (1.1.1 wrote "(ingressPolicy: same-bridge)"). */
const ISOLATION_COMMENT = "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)";
/** Serialises our list-then-change; iptables' own xtables lock covers only one process. */
const LOCK_PATH = "/run/cni-firewall-iptables.lock";
const LOCK_MODE = 0o600;

/** One rule as `iptables -S` prints it: `-A <chain> <matches> [-m comment --comment "<c>"] -j <target>`. */
interface IptablesRule extends IptablesRuleSpec {
  chain: string;
  /** where ADD puts it when missing: inserted at 1, or appended */
  at: "first" | "last";
}

/** A listing as `iptables -S` lines: `-N <chain>`, `-A ...`. */
interface Listing {
  lines: ReadonlySet<string>;
}

export class IptablesBackend implements FirewallBackend {
  private readonly runner: IptablesRunner = iptablesRunner();

  constructor(private readonly conf: FirewallConfig) {}

  /**
   * What is missing, for each family with addresses (one without is left alone, F5): over netlink one
   * transaction for both families; with the binaries one restore per family, the second failing undoing
   * the first.
   */
  add(attachment: FirewallAttachment, bridge: string | undefined): void {
    const families = familiesOf(attachment.addresses);
    const wanted = (family: IpFamily): IptablesRule[] => this.rulesFor(ofFamily(attachment.addresses, family), bridge);
    withLock(() => {
      if (overNetlink(families)) {
        withNftables(`${WHO}: failed to write iptables rules`, (nft) =>
          commitFresh(nft, () =>
            families.flatMap((family) => {
              const table = readFilterTable(nft, family);
              return additionOps(family, table, additions(netlinkListing(table), this.chainsFor(bridge), wanted(family)));
            }),
          ),
        );
        return;
      }
      const undos: { family: IpFamily; lines: string[] }[] = [];
      try {
        for (const family of families) {
          const { input, undo } = restoreLines(additions(this.list(family), this.chainsFor(bridge), wanted(family)));
          if (input.length > 0) iptablesRestore(this.runner, family, "filter", input, WHO);
          undos.push({ family, lines: undo });
        }
      } catch (error) {
        for (const { family, lines } of undos.reverse()) {
          try {
            if (lines.length > 0) iptablesRestore(this.runner, family, "filter", lines, WHO);
          } catch {
            // the ADD's error is the one to report
          }
        }
        throw error;
      }
    });
  }

  /** The per-address rules (by address: Go's carry nothing else), and this attachment's nftables rules if any. */
  del(attachment: FirewallAttachment): void {
    otherBackend(() => removeNftablesRules(attachment));
    withLock(() => deleteAddressRules(this.runner, attachment.addresses));
  }

  check(attachment: FirewallAttachment): void {
    const families = familiesOf(attachment.addresses);
    const listings = overNetlink(families)
      ? withNftables(`${WHO}: failed to list iptables rules`, (nft) => families.map((family) => netlinkListing(readFilterTable(nft, family))))
      : families.map((family) => this.list(family));
    families.forEach((family, i) => {
      const present = (listings[i] as Listing).lines;
      const [forwardJump, adminJump] = this.jumps();
      if (!present.has(listed(forwardJump))) throw missingRule(`expected ${FORWARD} rule ${goArgs(forwardJump)} not found`);
      if (!present.has(listed(adminJump))) throw missingRule(`expected ${PRIVATE_CHAIN} rule ${goArgs(adminJump)} not found`);
      for (const rule of addressRules(ofFamily(attachment.addresses, family))) {
        if (!present.has(listed(rule))) throw missingRule(`expected rule ${goArgs(rule)} not found`);
      }
    });
  }

  /**
   * Go's per-address rules name no attachment, so GC cannot tell whose they are and leaves them (a DEL
   * removes them); it collects the network's nftables rules of the other backend.
   */
  gc(network: string, valid: readonly AttachmentId[]): void {
    otherBackend(() => gcNftablesRules(network, valid));
  }

  /** Without iptables on PATH no ADD can work (ip6tables is needed only for IPv6 addresses). */
  status(): void {
    if (!onPath("iptables")) throw new CniError(ErrorCode.PluginNotAvailable, `${WHO}: backend "iptables" needs iptables, not found on PATH`);
  }

  private list(family: IpFamily): Listing {
    const lines = iptablesList(this.runner, family, "filter", WHO);
    if (lines === undefined) throw new CniError(ErrorCode.Internal, `${WHO}: backend "iptables" needs ${iptablesBinary(family)}, not found`);
    return { lines: new Set(lines) };
  }

  private chainsFor(bridge: string | undefined): string[] {
    return bridge === undefined ? [PRIVATE_CHAIN, this.conf.adminChain] : [PRIVATE_CHAIN, this.conf.adminChain, STAGE_1, STAGE_2];
  }

  /** The FORWARD jump and the admin jump, each inserted first when missing (never moved). */
  private jumps(): [IptablesRule, IptablesRule] {
    return [
      { chain: FORWARD, matches: [], comment: FORWARD_COMMENT, target: PRIVATE_CHAIN, at: "first" },
      { chain: PRIVATE_CHAIN, matches: [], comment: ADMIN_COMMENT, target: this.conf.adminChain, at: "first" },
    ];
  }

  /** In Go's order: the jumps, the address rules, then the ingress policy's (its FORWARD jump ends up first). */
  private rulesFor(addresses: readonly CIDR[], bridge: string | undefined): IptablesRule[] {
    const rules = [...this.jumps(), ...addressRules(addresses)];
    if (bridge !== undefined) rules.push(...isolationRules(this.conf.ingressPolicy, bridge));
    return rules;
  }
}

/** `-d <ip>/32 … RELATED,ESTABLISHED -j ACCEPT`, then `-s <ip>/32 -j ACCEPT` (/128 for IPv6), per address. */
function addressRules(addresses: readonly CIDR[]): IptablesRule[] {
  const rules: IptablesRule[] = [];
  for (const address of addresses) {
    const host = `${formatIP(address.ip)}/${address.ip.family === 4 ? 32 : 128}`;
    rules.push({ chain: PRIVATE_CHAIN, matches: ["-d", host, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"], target: "ACCEPT", at: "last" });
    rules.push({ chain: PRIVATE_CHAIN, matches: ["-s", host], target: "ACCEPT", at: "last" });
  }
  return rules;
}

/**
 * HEAD's isolation (ingresspolicy.go): FORWARD jumps first to STAGE-1; STAGE-1 sends what leaves `bridge`
 * for another interface to STAGE-2 (and, `isolated`, drops what stays on it); STAGE-2 drops what goes out
 * to any isolated bridge; both end in RETURN. Never removed: the bridge may be shared.
 */
function isolationRules(policy: IngressPolicy, bridge: string): IptablesRule[] {
  const policyComment = `CNI firewall plugin rules (ingressPolicy: ${policy})`;
  const rules: IptablesRule[] = [
    { chain: FORWARD, matches: [], comment: ISOLATION_COMMENT, target: STAGE_1, at: "first" },
    { chain: STAGE_1, matches: ["-i", bridge, "!", "-o", bridge], comment: policyComment, target: STAGE_2, at: "first" },
  ];
  if (policy === "isolated") rules.push({ chain: STAGE_1, matches: ["-i", bridge, "-o", bridge], comment: policyComment, target: "DROP", at: "first" });
  rules.push(
    { chain: STAGE_1, matches: [], comment: ISOLATION_COMMENT, target: "RETURN", at: "last" },
    { chain: STAGE_2, matches: ["-o", bridge], comment: ISOLATION_COMMENT, target: "DROP", at: "first" },
    { chain: STAGE_2, matches: [], comment: ISOLATION_COMMENT, target: "RETURN", at: "last" },
  );
  return rules;
}

/** What a listing lacks of `chains` and `rules`, in the order to add it (each rule once). */
function additions(listing: Listing, chains: readonly string[], rules: readonly IptablesRule[]): { chains: string[]; rules: IptablesRule[] } {
  const present = new Set(listing.lines);
  const missing: IptablesRule[] = [];
  for (const rule of rules) {
    const line = listed(rule);
    if (present.has(line)) continue;
    present.add(line);
    missing.push(rule);
  }
  return { chains: chains.filter((chain) => !present.has("-N " + chain)), rules: missing };
}

/**
 * The restore input adding the missing chains and rules (chains declared only when missing: a declared
 * chain is emptied), and the input that takes exactly that back out again.
 */
function restoreLines(missing: { chains: string[]; rules: IptablesRule[] }): { input: string[]; undo: string[] } {
  const input = missing.chains.map((chain) => `:${chain} - [0:0]`);
  const undoRules: string[] = [];
  for (const rule of missing.rules) {
    const line = listed(rule);
    const spec = line.slice(`-A ${rule.chain} `.length);
    input.push(rule.at === "first" ? `-I ${rule.chain} 1 ${spec}` : line);
    undoRules.unshift(`-D ${rule.chain} ${spec}`);
  }
  return { input, undo: [...undoRules, ...missing.chains.map((chain) => "-X " + chain)] };
}

/**
 * The same additions as nftables ops, as iptables-nft makes them: the table and FORWARD when missing
 * (a fresh namespace has neither), the chains (`iptables -N`), the rules inserted first or appended.
 */
function additionOps(family: IpFamily, table: IptablesNftTable, missing: { chains: string[]; rules: IptablesRule[] }): NftOp[] {
  if (missing.chains.length === 0 && missing.rules.length === 0) return [];
  return [
    ...builtinChainOps(family, FORWARD, table),
    ...missing.chains.map((chain) => userChainOp(family, chain)),
    ...missing.rules.map((rule) => ruleOp(family, rule.chain, rule, rule.at)),
  ];
}

/** A filter table read over netlink as `iptables -S` would list it: `-N` per regular chain, `-A` per rule we can read. */
function netlinkListing(table: IptablesNftTable): Listing {
  const lines = new Set<string>();
  for (const chain of table.chains.values()) if (chain.hook === undefined) lines.add("-N " + chain.name);
  for (const rule of table.rules) if (rule.spec !== undefined) lines.add(listed({ chain: rule.chain, ...rule.spec }));
  return { lines };
}

/** DEL: the per-address rules present, per family; over netlink one transaction, else one restore per family. */
function deleteAddressRules(runner: IptablesRunner, addresses: readonly CIDR[]): void {
  const families = familiesOf(addresses);
  if (overNetlink(families)) {
    withNftables(`${WHO}: failed to delete iptables rules`, (nft) => commitFresh(nft, () => families.flatMap((family) => addressRuleDeletions(nft, family, ofFamily(addresses, family)))));
    return;
  }
  for (const family of families) {
    const lines = iptablesList(runner, family, "filter", WHO);
    if (lines === undefined) continue; // no binary: nothing of ours there
    const present = new Set(lines);
    const input: string[] = [];
    for (const rule of addressRules(ofFamily(addresses, family))) if (present.has(listed(rule))) input.push("-D" + listed(rule).slice(2));
    if (input.length > 0) iptablesRestore(runner, family, "filter", input, WHO);
  }
}

/** Deletions of the address rules present in CNI-FORWARD, by handle (each once, as `iptables -D` deletes one). */
function addressRuleDeletions(nft: Nftables, family: IpFamily, addresses: readonly CIDR[]): NftOp[] {
  const wanted = new Set(addressRules(addresses).map(listed));
  const ops: NftOp[] = [];
  for (const rule of listIfPresent(() => nft.listRules(nftFamilyOf(family), "filter", PRIVATE_CHAIN))) {
    const spec = iptablesNftSpec(family, rule.exprs);
    const line = spec === undefined ? undefined : listed({ chain: rule.chain, ...spec });
    if (line === undefined || !wanted.delete(line)) continue;
    ops.push({ op: "deleteRule", family: rule.family, table: "filter", chain: rule.chain, handle: rule.handle });
  }
  return ops;
}

/** DEL of the other backend: remove the per-address rules when iptables may hold them. */
export function deleteIptablesAddressRules(addresses: readonly CIDR[]): void {
  if (addresses.length > 0) withLock(() => deleteAddressRules(iptablesRunner(), addresses));
}

/**
 * Whether this call reads and writes the rules over netlink: every family it touches has iptables-nft on
 * PATH. A missing binary keeps the binaries' path, whose error names it (as Go's would fail without it).
 */
function overNetlink(families: readonly IpFamily[]): boolean {
  const path = process.env.PATH ?? "";
  return families.length > 0 && families.every((family) => iptablesVariant(family, path) === "nft");
}

function listed(rule: Omit<IptablesRule, "at">): string {
  let line = `-A ${rule.chain}`;
  if (rule.matches.length > 0) line += " " + rule.matches.join(" ");
  if (rule.comment !== undefined) line += " " + commentMatch(rule.comment);
  return `${line} -j ${rule.target}`;
}

/** The rule as Go's CHECK messages print its arguments (`%v` of a []string). */
function goArgs(rule: IptablesRule): string {
  const args = [...rule.matches];
  if (rule.comment !== undefined) args.push("-m", "comment", "--comment", rule.comment);
  args.push("-j", rule.target);
  return `[${args.join(" ")}]`;
}

function missingRule(message: string): CniError {
  return new CniError(ErrorCode.Internal, message);
}

function ofFamily(addresses: readonly CIDR[], family: IpFamily): CIDR[] {
  return addresses.filter((address) => address.ip.family === family);
}

/** The families `addresses` has, IPv4 first. */
function familiesOf(addresses: readonly CIDR[]): IpFamily[] {
  return FAMILIES.filter((family) => addresses.some((address) => address.ip.family === family));
}

/** Whether `name` is an executable on PATH, as the iptables runner's spawn would find it (no process). */
export function onPath(name: string): boolean {
  return findExecutable(name, process.env.PATH ?? "") !== undefined;
}

/** /proc/net/ip_tables_names is a few short lines; far more is not that file. */
const TABLE_NAMES_MAX_BYTES = 64 * 1024;

/** The legacy iptables tables in use, both families (the kernel lists them once a module has loaded). */
export function legacyIptablesTables(): string[] {
  const tables: string[] = [];
  for (const names of ["ip_tables_names", "ip6_tables_names"]) {
    try {
      const text = readTextFileIfExists(`/proc/net/${names}`, TABLE_NAMES_MAX_BYTES) ?? "";
      for (const table of text.split("\n")) if (table !== "") tables.push(table);
    } catch {
      // unreadable: no legacy iptables there
    }
  }
  return tables;
}

/**
 * Cleaning up after the nftables backend: a host where nftables cannot be used (an iptables-legacy
 * kernel without nf_tables) has no rules of it either, so its failure is not the iptables DEL's.
 */
function otherBackend(work: () => void): void {
  try {
    work();
  } catch {
    // nothing of the nftables backend can be there
  }
}

function withLock<T>(work: () => T): T {
  let fd: number;
  try {
    fd = lockFile(LOCK_PATH, "exclusive", LOCK_MODE);
  } catch (error) {
    throw new CniError(ErrorCode.IOFailure, `${WHO}: cannot lock ${LOCK_PATH}: ${(error as { code?: string }).code ?? String(error)}`);
  }
  try {
    return work();
  } finally {
    closeFile(fd);
  }
}
