// `macspoofchk`: frames entering the bridge from a container's host veth must carry the container's MAC
// as source. The reference's nftables layout (pkg/link/spoofcheck.go), written over netlink in one
// transaction each way instead of go-nft's `nft` processes:
//   table bridge nat, base chain PREROUTING (filter, prerouting, priority -300, policy accept);
//   PREROUTING: iifname <hostVeth> jump cni-br-iface-<cid>-<if>
//   cni-br-iface-<cid>-<if>: jump cni-br-iface-<cid>-<if>-mac
//   cni-br-iface-<cid>-<if>-mac: ether saddr <mac> return; drop
// every rule commented `macspoofchk-<cid>-<if>`.
import type { Nftables, NftOp, NftRule } from "@cni/netlink";
import type { AttachmentId } from "@cni/plugin-kit";
import {
  commitFresh,
  ensureRules,
  etherSourceEquals,
  interfaceNameEquals,
  jump,
  listIfPresent,
  macBytes,
  verdict,
  withNftables,
  type NftLayout,
} from "@cni/plugin-kit/netfilter";

const FAMILY = "bridge";
const TABLE = "nat";
const BASE_CHAIN = "PREROUTING";
const BASE_PRIORITY = -300;

/** The reference's refID: `<containerID>-<ifname>`. */
function refId(attachment: AttachmentId): string {
  return `${attachment.containerId}-${attachment.ifName}`;
}
export function spoofCheckComment(attachment: AttachmentId): string {
  return `macspoofchk-${refId(attachment)}`;
}
export function spoofCheckIfaceChain(attachment: AttachmentId): string {
  return `cni-br-iface-${refId(attachment)}`;
}

/**
 * Install the rules for `hostVeth` / `mac`, adding only what is missing (an earlier attachment's rules that
 * differ are replaced; nothing is deleted otherwise, so the socket's close does not wait, see the kit's
 * netfilter README).
 */
export function setupSpoofCheck(attachment: AttachmentId, hostVeth: string, mac: string): void {
  const comment = spoofCheckComment(attachment);
  const iface = spoofCheckIfaceChain(attachment);
  const macChain = `${iface}-mac`;
  const layout: NftLayout = {
    family: FAMILY,
    table: TABLE,
    chains: [
      { name: BASE_CHAIN, type: "filter", hook: "prerouting", priority: BASE_PRIORITY, policy: "accept" },
      { name: iface, rules: [{ exprs: [jump(macChain)], comment }] },
      {
        name: macChain,
        rules: [
          { exprs: [...etherSourceEquals(macBytes(mac)), verdict("return")], comment },
          { exprs: [verdict("drop")], comment },
        ],
      },
    ],
  };
  const jumpRule = { chain: BASE_CHAIN, exprs: [...interfaceNameEquals("iifname", hostVeth), jump(iface)], comment };
  withNftables("failed to setup spoof-check", (nft) =>
    ensureRules(nft, layout, { commentPrefix: comment, owns: (rule) => rule.comment === comment, rules: [jumpRule] }),
  );
}

/**
 * Remove this attachment's jump rule and chains; nothing there is success (DEL is idempotent). With `nft`
 * (an open handle) the batch goes through it and it stays open: DEL closes it after the veth is deleted.
 */
export function teardownSpoofCheck(attachment: AttachmentId, nft?: Nftables): void {
  const target = { ifaceChain: spoofCheckIfaceChain(attachment), comment: spoofCheckComment(attachment) };
  withNftables("failed to teardown spoof-check", (handle) => commitFresh(handle, () => teardownOps(handle, [target])), undefined, nft);
}

/**
 * GC: remove the rules of attachments that are not in `valid` and whose host veth is either gone or
 * `isOurPort` (the comment does not name the network, so another network's live rules must stay).
 */
export function gcSpoofChecks(valid: readonly AttachmentId[], isOurPort: (hostVeth: string | undefined) => boolean): void {
  withNftables("failed to garbage-collect spoof-check", (nft) => {
    const keep = new Set<string>();
    for (const attachment of valid) keep.add(spoofCheckIfaceChain(attachment));
    commitFresh(nft, () => {
      const stale: TeardownTarget[] = [];
      const chains = listChains(nft);
      for (const rule of baseRules(nft)) {
        const target = jumpTarget(rule);
        if (target === undefined || !target.startsWith("cni-br-iface-") || keep.has(target)) continue;
        if (!chains.has(target) || !isOurPort(iifnameOf(rule))) continue;
        stale.push({ ifaceChain: target });
      }
      return stale.length === 0 ? [] : teardownOps(nft, stale);
    });
  });
}

/** One attachment's rules: its iface chain (and `-mac` chain), and the jump rule's comment when known. */
interface TeardownTarget {
  ifaceChain: string;
  comment?: string;
}

/** The ops removing each target's jump rules (by comment or by jump target) and its two chains (those that exist). */
function teardownOps(nft: Nftables, targets: readonly TeardownTarget[]): NftOp[] {
  const chains = listChains(nft);
  if (chains.size === 0) return [];
  const nat = { family: FAMILY, table: TABLE } as const;
  const ops: NftOp[] = [];
  const rules = baseRules(nft);
  for (const { ifaceChain: iface, comment } of targets) {
    for (const rule of rules) {
      if ((comment !== undefined && rule.comment === comment) || jumpTarget(rule) === iface) {
        ops.push({ op: "deleteRule", ...nat, chain: BASE_CHAIN, handle: rule.handle });
      }
    }
    for (const name of [iface, `${iface}-mac`]) if (chains.has(name)) ops.push({ op: "flushChain", ...nat, name });
    for (const name of [iface, `${iface}-mac`]) if (chains.has(name)) ops.push({ op: "deleteChain", ...nat, name });
  }
  return ops;
}

function baseRules(nft: Nftables): NftRule[] {
  return listIfPresent(() => nft.listRules(FAMILY, TABLE, BASE_CHAIN));
}

function listChains(nft: Nftables): Set<string> {
  const names = new Set<string>();
  for (const chain of listIfPresent(() => nft.listChains(FAMILY, TABLE))) names.add(chain.name);
  return names;
}

function jumpTarget(rule: NftRule): string | undefined {
  for (const expr of rule.exprs) if (expr.type === "verdict" && expr.verdict === "jump") return expr.chain;
  return undefined;
}

/** The interface name a PREROUTING rule matches (its cmp after `meta iifname`). */
function iifnameOf(rule: NftRule): string | undefined {
  for (const expr of rule.exprs) {
    if (expr.type !== "cmp") continue;
    let end = expr.data.indexOf(0);
    if (end < 0) end = expr.data.length;
    return new TextDecoder().decode(expr.data.subarray(0, end));
  }
  return undefined;
}
