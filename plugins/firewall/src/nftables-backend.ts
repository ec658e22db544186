// The nftables backend (ours; the reference has none): table `inet cni_plugins_firewall` over netlink, no
// process. What it can and cannot do (README.md, "nftables"): an accept in one table does not override a
// drop in another (a packet must pass every base chain on the hook), so on a host whose iptables FORWARD
// policy is DROP only the iptables backend lets the containers' traffic through; a drop here (the ingress
// policy) does take effect whatever other tables accept.
//
//   chain forward { type filter hook forward priority filter; policy accept;
//     jump isolation_stage_1; jump admin; jump containers }                     (fixed: refilled only if it differs)
//   chain admin { }                                                        (created empty, never written)
//   chain containers {                                                     (per attachment, comment names it)
//     ip daddr <ip> ct state established,related accept comment "<attachment>"
//     ip saddr <ip> accept comment "<attachment>" }
//   chain isolation_stage_1 { iifname <br> oifname != <br> jump isolation_stage_2  [isolated: iifname <br> oifname <br> drop] }
//   chain isolation_stage_2 { oifname <br> drop }
//
// ADD adds only what is missing (the kit's ensureRules); DEL and GC find the accept rules by comment.
import type { NftExpr, NftRule, Nftables } from "@cni/netlink";
import { CniError, ErrorCode, formatIP, ipToBytes } from "@cni/skel";
import { nftAttachmentComment, nftAttachmentHash, nftNetworkHash, type AttachmentId } from "@cni/plugin-kit";
import {
  addressEquals,
  cmp,
  commitFresh,
  ctStateIn,
  deleteRuleOps,
  deleteRulesByCommentPrefix,
  ensureRules,
  interfaceNameEquals,
  jump,
  listIfPresent,
  nfprotoIs,
  readChains,
  sameRule,
  sameRules,
  verdict,
  withNftables,
  type NftChainSpec,
  type NftLayout,
  type NftRuleSpec,
} from "@cni/plugin-kit/netfilter";
import type { FirewallBackend } from "./backend";
import type { FirewallAttachment, FirewallConfig, IngressPolicy } from "./config";
import { PRIVATE_CHAIN, deleteIptablesAddressRules, legacyIptablesTables } from "./iptables-backend";

export const NFT_TABLE = "cni_plugins_firewall";
const TABLE_COMMENT = "Forwarding for containers, by the CNI firewall plugin";
const FORWARD_CHAIN = "forward";
const ADMIN_CHAIN = "admin";
const ACCEPT_CHAIN = "containers";
const STAGE_1 = "isolation_stage_1";
const STAGE_2 = "isolation_stage_2";
/** The isolation rules' comments: `ingressPolicy <policy> bridge <name>`. */
const ISOLATION_PREFIX = "ingressPolicy ";
/** NF_IP_PRI_FILTER: `priority filter`, the iptables FORWARD chain's */
const PRIORITY_FILTER = 0;

export class NftablesBackend implements FirewallBackend {
  constructor(private readonly conf: FirewallConfig) {}

  /**
   * Add-only: the table and chains when missing with the attachment's accept rules (one transaction), then
   * the bridge's isolation rules (a second: the kit lists one comment prefix per transaction); the
   * accept rules are taken out again if the second fails.
   */
  add(attachment: FirewallAttachment, bridge: string | undefined): void {
    if (attachment.addresses.length === 0) return; // nothing to accept, and no family to isolate (as iptables)
    const prefix = attachmentPrefix(attachment);
    const accepts = acceptRules(attachment, attachmentComment(attachment));
    withNftables("failed to set up firewall rules", (nft) => {
      ensureRules(nft, firewallLayout(), { commentPrefix: prefix, rules: accepts });
      if (bridge === undefined) return;
      const isolation = isolationRules(this.conf.ingressPolicy, bridge);
      const comments = new Set(isolation.map((rule) => rule.comment));
      try {
        // the bridge's rules, whichever attachment made them first
        ensureRules(nft, firewallLayout(), { commentPrefix: ISOLATION_PREFIX, owns: (rule) => comments.has(rule.comment ?? ""), rules: isolation });
      } catch (error) {
        deleteRulesByCommentPrefix(nft, "inet", NFT_TABLE, ACCEPT_CHAIN, prefix);
        throw error;
      }
    });
  }

  /** The attachment's accept rules by comment (no prevResult needed), and Go's iptables rules for its addresses if any. */
  del(attachment: FirewallAttachment): void {
    removeNftablesRules(attachment);
    if (attachment.addresses.length > 0 && iptablesMayHavePrivateChain()) deleteIptablesAddressRules(attachment.addresses);
  }

  check(attachment: FirewallAttachment): void {
    const comment = attachmentComment(attachment);
    withNftables("failed to check firewall rules", (nft) => {
      const layout = firewallLayout();
      const current = readChains(nft, layout, attachmentPrefix(attachment));
      const forward = layout.chains[0] as NftChainSpec;
      const forwardRules = current.rules.get(FORWARD_CHAIN);
      if (forwardRules === undefined || !sameRules(forwardRules, forward.rules ?? [])) {
        throw new CniError(ErrorCode.Internal, `expected chain inet ${NFT_TABLE} ${FORWARD_CHAIN} with its jumps not found`);
      }
      const owned = (current.rules.get(ACCEPT_CHAIN) ?? []).filter((rule) => rule.comment === comment);
      for (const wanted of acceptRules(attachment, comment)) {
        if (!owned.some((rule) => sameRule(rule, wanted))) {
          throw new CniError(ErrorCode.Internal, `expected rule in inet ${NFT_TABLE} ${ACCEPT_CHAIN} not found: ${wanted.text}`);
        }
      }
    });
  }

  /** nftables over netlink: usable when its table can be listed. */
  status(): void {
    try {
      withNftables("nftables is not available", (nft) => listIfPresent(() => nft.listTables("inet")));
    } catch (error) {
      throw new CniError(ErrorCode.PluginNotAvailable, (error as Error).message);
    }
  }

  /** The network's accept rules of attachments not in `valid` (isolation rules stay, as on DEL). */
  gc(network: string, valid: readonly AttachmentId[]): void {
    gcNftablesRules(network, valid);
  }
}

/** The table's chains; only `forward`'s rules are fixed. */
function firewallLayout(): NftLayout {
  return {
    family: "inet",
    table: NFT_TABLE,
    tableComment: TABLE_COMMENT,
    chains: [
      {
        name: FORWARD_CHAIN,
        type: "filter",
        hook: "forward",
        priority: PRIORITY_FILTER,
        policy: "accept",
        // isolation first: its drops must come before the accepts, as in iptables
        rules: [{ exprs: [jump(STAGE_1)] }, { exprs: [jump(ADMIN_CHAIN)] }, { exprs: [jump(ACCEPT_CHAIN)] }],
      },
      { name: ADMIN_CHAIN, comment: "Administrator overrides, run before the accept rules; never written by the plugin" },
      { name: ACCEPT_CHAIN, comment: "Accept forwarded traffic of container addresses" },
      { name: STAGE_1, comment: "ingressPolicy: traffic leaving an isolated bridge for another interface" },
      { name: STAGE_2, comment: "ingressPolicy: drop what enters an isolated bridge from elsewhere" },
    ],
  };
}

/** A rule to add, with its text for messages. */
type RuleToAdd = NftRuleSpec & { chain: string; comment: string; text: string };

/** Per address: `ip daddr <ip> ct state established,related accept`, `ip saddr <ip> accept` (ip6 for IPv6). */
function acceptRules(attachment: FirewallAttachment, comment: string): RuleToAdd[] {
  const rules: RuleToAdd[] = [];
  for (const address of attachment.addresses) {
    const family = address.ip.family;
    const bytes = ipToBytes(address.ip);
    const ip = family === 4 ? "ip" : "ip6";
    const text = (which: string): string => `${ip} ${which} ${formatIP(address.ip)}`;
    rules.push({
      chain: ACCEPT_CHAIN,
      exprs: [...nfprotoIs(family), ...addressEquals(family, "daddr", bytes), ...ctStateIn(["established", "related"]), verdict("accept")],
      comment,
      text: `${text("daddr")} ct state established,related accept`,
    });
    rules.push({ chain: ACCEPT_CHAIN, exprs: [...nfprotoIs(family), ...addressEquals(family, "saddr", bytes), verdict("accept")], comment, text: `${text("saddr")} accept` });
  }
  return rules;
}

/** The bridge's isolation rules, named by a comment of their own (shared by the bridge's attachments). */
function isolationRules(policy: IngressPolicy, bridge: string): RuleToAdd[] {
  const comment = (what: string): string => `${ISOLATION_PREFIX}${what} bridge ${bridge}`;
  const rules: RuleToAdd[] = [
    {
      chain: STAGE_1,
      exprs: [...interfaceNameEquals("iifname", bridge), ...interfaceNameDiffers("oifname", bridge), jump(STAGE_2)],
      comment: comment("same-bridge"),
      text: `iifname ${bridge} oifname != ${bridge} jump ${STAGE_2}`,
    },
  ];
  if (policy === "isolated") {
    rules.push({
      chain: STAGE_1,
      exprs: [...interfaceNameEquals("iifname", bridge), ...interfaceNameEquals("oifname", bridge), verdict("drop")],
      comment: comment("isolated"),
      text: `iifname ${bridge} oifname ${bridge} drop`,
    });
  }
  rules.push({ chain: STAGE_2, exprs: [...interfaceNameEquals("oifname", bridge), verdict("drop")], comment: comment("same-bridge"), text: `oifname ${bridge} drop` });
  return rules;
}

/** `oifname != "<name>"`: interfaceNameEquals' load with the comparison negated. */
function interfaceNameDiffers(key: "iifname" | "oifname", name: string): NftExpr[] {
  const [load, equals] = interfaceNameEquals(key, name) as [NftExpr, NftExpr];
  if (equals.type !== "cmp") throw new Error("interfaceNameEquals changed shape");
  return [load, cmp("neq", equals.data)];
}

function attachmentPrefix(attachment: FirewallAttachment): string {
  return nftAttachmentHash(attachment.network, attachment.ifName, attachment.containerId);
}

function attachmentComment(attachment: FirewallAttachment): string {
  return nftAttachmentComment(attachment.network, attachment.ifName, attachment.containerId);
}

/** DEL (either backend): this attachment's accept rules, found by comment; a missing table is nothing to do. */
export function removeNftablesRules(attachment: FirewallAttachment): void {
  withNftables("failed to remove firewall rules", (nft) => {
    if (!hasTable(nft)) return;
    deleteRulesByCommentPrefix(nft, "inet", NFT_TABLE, ACCEPT_CHAIN, attachmentPrefix(attachment));
  });
}

/** GC (either backend): the network's accept rules whose comment is no valid attachment's. */
export function gcNftablesRules(network: string, valid: readonly AttachmentId[]): void {
  const validComments = new Set(valid.map((a) => nftAttachmentComment(network, a.ifName, a.containerId)));
  const networkHash = nftNetworkHash(network);
  withNftables("failed to garbage-collect firewall rules", (nft) =>
    commitFresh(nft, () => {
      const rules = listIfPresent(() => nft.listRules("inet", NFT_TABLE, ACCEPT_CHAIN, { commentPrefix: networkHash }));
      return deleteRuleOps(rules.filter((rule: NftRule) => !validComments.has(rule.comment ?? "")));
    }),
  );
}

function hasTable(nft: Nftables): boolean {
  return listIfPresent(() => nft.listTables("inet")).some((table) => table.name === NFT_TABLE);
}

/** Whether iptables may hold Go's CNI-FORWARD: iptables-nft's chain in our ruleset view, or legacy filter tables. */
function iptablesMayHavePrivateChain(): boolean {
  const viaNft = withNftables("failed to list nftables chains", (nft) =>
    (["ip", "ip6"] as const).some((family) => listIfPresent(() => nft.listChains(family, "filter")).some((chain) => chain.name === PRIVATE_CHAIN)),
  );
  return viaNft || legacyIptablesTables().includes("filter");
}
