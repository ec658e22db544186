// `macspoofchk`: frames entering the bridge from a container's host veth must carry the container's MAC
// as source. The reference's nftables layout (pkg/link/spoofcheck.go), written over netlink in one
// transaction each way instead of go-nft's `nft` processes:
//   table bridge nat, base chain PREROUTING (filter, prerouting, priority -300, policy accept);
//   PREROUTING: iifname <hostVeth> jump cni-br-iface-<cid>-<if>
//   cni-br-iface-<cid>-<if>: jump cni-br-iface-<cid>-<if>-mac
//   cni-br-iface-<cid>-<if>-mac: ether saddr <mac> return; drop
// every rule commented `macspoofchk-<cid>-<if>`.
import { NFT_REG_1, type Nftables, type NftExpr, type NftOp, type NftRule } from "@cni/netlink";
import { commitFresh, listIfPresent, withNftables, type AttachmentId } from "@cni/plugin-kit";

const FAMILY = "bridge";
const TABLE = "nat";
const BASE_CHAIN = "PREROUTING";
const BASE_PRIORITY = -300;
/** IFNAMSIZ: nft compares iifname as a 16-byte, NUL-padded string */
const IFNAME_BYTES = 16;
/** the Ethernet source address: bytes 6..11 of the link-layer header */
const ETHER_SADDR_OFFSET = 6;
const MAC_BYTES = 6;

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

/** Install the rules for `hostVeth` / `mac`, replacing this attachment's earlier ones. */
export function setupSpoofCheck(attachment: AttachmentId, hostVeth: string, mac: string): void {
  withNftables("failed to setup spoof-check", (nft) => {
    const iface = spoofCheckIfaceChain(attachment);
    const macChain = `${iface}-mac`;
    const comment = spoofCheckComment(attachment);
    const nat = { family: FAMILY, table: TABLE } as const;
    const ops: NftOp[] = [
      { op: "addTable", family: FAMILY, name: TABLE },
      { op: "addChain", ...nat, name: BASE_CHAIN, type: "filter", hook: "prerouting", priority: BASE_PRIORITY, policy: "accept" },
      { op: "addChain", ...nat, name: iface },
      { op: "addChain", ...nat, name: macChain },
      { op: "flushChain", ...nat, name: iface },
      { op: "flushChain", ...nat, name: macChain },
    ];
    for (const rule of baseRules(nft)) if (rule.comment === comment) ops.push({ op: "deleteRule", ...nat, chain: BASE_CHAIN, handle: rule.handle });
    ops.push(
      { op: "addRule", ...nat, chain: BASE_CHAIN, exprs: [meta("iifname"), cmp(ifnameBytes(hostVeth)), jump(iface)], comment },
      { op: "addRule", ...nat, chain: iface, exprs: [jump(macChain)], comment },
      { op: "addRule", ...nat, chain: macChain, exprs: [etherSource(), cmp(macBytes(mac)), { type: "verdict", verdict: "return" }], comment },
      { op: "addRule", ...nat, chain: macChain, exprs: [{ type: "verdict", verdict: "drop" }], comment },
    );
    nft.commit(ops);
  });
}

/** Remove this attachment's jump rule and chains; nothing there is success (DEL is idempotent). */
export function teardownSpoofCheck(attachment: AttachmentId): void {
  const target = { ifaceChain: spoofCheckIfaceChain(attachment), comment: spoofCheckComment(attachment) };
  withNftables("failed to teardown spoof-check", (nft) => commitFresh(nft, () => teardownOps(nft, [target])));
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

function meta(key: "iifname"): NftExpr {
  return { type: "meta", key, dreg: NFT_REG_1 };
}
function cmp(data: Uint8Array): NftExpr {
  return { type: "cmp", op: "eq", sreg: NFT_REG_1, data };
}
function jump(chain: string): NftExpr {
  return { type: "verdict", verdict: "jump", chain };
}
function etherSource(): NftExpr {
  return { type: "payload", base: "link", offset: ETHER_SADDR_OFFSET, len: MAC_BYTES, dreg: NFT_REG_1 };
}

function ifnameBytes(name: string): Uint8Array {
  const bytes = new Uint8Array(IFNAME_BYTES);
  bytes.set(new TextEncoder().encode(name));
  return bytes;
}

/** "aa:bb:cc:dd:ee:ff" as 6 bytes. */
export function macBytes(mac: string): Uint8Array {
  const bytes = new Uint8Array(MAC_BYTES);
  for (let i = 0; i < MAC_BYTES; i++) bytes[i] = parseInt(mac.slice(i * 3, i * 3 + 2), 16);
  return bytes;
}
