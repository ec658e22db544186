// The nftables backend (default): the reference's `ip`/`ip6 cni_hostport` tables over netlink, no process
// started. The shapes are the reference nftables backend's (reference-chained-plugins.md §1.8), so either
// implementation lists, checks and deletes the other's rules:
//
//   prerouting  (nat, prerouting, -100)  fib daddr type local jump hostports_all
//   output      (nat, output, -100)      fib daddr type local jump hostports_all
//   hostports_all                        jump hostip_hostports; jump hostports
//   hostports        [conditions] [ip daddr <hostIP>] tcp dport <hostPort> dnat to <ctr>:<port>  comment "<cid>"
//   hostip_hostports (legacy, empty)
//   masquerading (nat, postrouting, 100) ip saddr <ctr subnet> ip daddr <ctr> ct status dnat masquerade  comment "<cid>"
//                                        ip saddr 127.0.0.1 ip daddr <ctr> masquerade                   comment "<cid>"
//
// Where ours differs, on purpose (README.md): ADD adds only what is missing (the reference flushes and
// refills prerouting and output every time); conditions go into the container's own DNAT rules, not the
// shared jump (where the last ADD's conditions applied to every container); hairpin covers the container's
// subnet, for DNATed connections only, so a neighbour on the bridge reaches the published port too; a rule
// is the attachment's when its comment is the container id AND it names one of its addresses, so the same
// container on two networks keeps both; one more chain per network, `network_<hash>`, never jumped to,
// records which container ids (and addresses) the network added, for GC.
import { formatIP, ipToBytes, type Family, type IPAddr } from "@cni/skel";
import type { NftExpr, NftFamily, NftOp, NftRule, Nftables } from "@cni/netlink";
import {
  addOnlyOps,
  addressEquals,
  addressInNetwork,
  cmp,
  commitFresh,
  ctStatusHas,
  deleteRuleOps,
  dnatTo,
  fibDestinationIsLocal,
  jump,
  listIfPresent,
  masquerade,
  meta,
  portEquals,
  readChains,
  sameRule,
  sameRules,
  sha512Hex,
  withNftables,
  type AttachmentRules,
  type NftLayout,
  type NftRuleSpec,
} from "@cni/plugin-kit/netfilter";
import { CniError, ErrorCode } from "@cni/skel";
import type { PortmapAttachment, PortmapBackend } from "./backend";
import { destinationOf, mappingsFor, parseNftConditions, type ContainerAddress, type NftCondition } from "./config";

export const NFT_TABLE = "cni_hostport";
export const HOSTPORTS = "hostports";
export const HOSTIP_HOSTPORTS = "hostip_hostports";
export const HOSTPORTS_ALL = "hostports_all";
export const MASQUERADING = "masquerading";
const TABLE_COMMENT = "CNI portmap plugin";
/** knftables' DNATPriority and SNATPriority */
const DNAT_PRIORITY = -100;
const SNAT_PRIORITY = 100;
const LOCALHOST = Uint8Array.of(127, 0, 0, 1);
const IFNAME_BYTES = 16;
/** The chains DEL and GC look in for a container's rules (the reference's DEL: the first three). */
const ATTACHMENT_CHAINS = [HOSTPORTS, HOSTIP_HOSTPORTS, MASQUERADING] as const;
const FAMILIES: readonly Family[] = [4, 6];

export function nftFamily(family: Family): NftFamily {
  return family === 4 ? "ip" : "ip6";
}

/** The chain recording a network's attachments: `network_` + 16 hex digits of sha512(network name). */
export function networkChain(network: string): string {
  return "network_" + sha512Hex(network).slice(0, 16);
}

/** The table of one family, as ADD wants it. */
export function portmapLayout(family: Family, network: string): NftLayout {
  const entry: NftRuleSpec[] = [{ exprs: [...fibDestinationIsLocal(), jump(HOSTPORTS_ALL)] }];
  return {
    family: nftFamily(family),
    table: NFT_TABLE,
    tableComment: TABLE_COMMENT,
    chains: [
      { name: HOSTPORTS },
      { name: HOSTIP_HOSTPORTS },
      { name: HOSTPORTS_ALL, rules: [{ exprs: [jump(HOSTIP_HOSTPORTS)] }, { exprs: [jump(HOSTPORTS)] }] },
      { name: "prerouting", type: "nat", hook: "prerouting", priority: DNAT_PRIORITY, rules: entry },
      { name: "output", type: "nat", hook: "output", priority: DNAT_PRIORITY, rules: entry },
      { name: MASQUERADING, type: "nat", hook: "postrouting", priority: SNAT_PRIORITY },
      { name: networkChain(network), comment: `portmap GC: attachments of network ${network}, never jumped to` },
    ],
  };
}

/** One container address's rules: DNAT per mapping, masquerade with snat, and its record for GC. */
export function attachmentRules(attachment: PortmapAttachment, container: ContainerAddress): (NftRuleSpec & { chain: string })[] {
  const { conf, containerId: comment } = attachment;
  const family = container.address.family;
  const address = ipToBytes(container.address);
  const conditions = conditionExprs(parseNftConditions(conf.conditions[family], family));
  const rules: (NftRuleSpec & { chain: string })[] = [];
  for (const mapping of mappingsFor(conf.mappings, family)) {
    const destination = destinationOf(mapping);
    const exprs = [...conditions];
    if (destination !== undefined) exprs.push(...addressEquals(family, "daddr", ipToBytes(destination)));
    exprs.push(...portEquals(mapping.protocol, "dport", mapping.hostPort), ...dnatTo(family, address, mapping.containerPort));
    rules.push({ chain: HOSTPORTS, exprs, comment });
  }
  if (conf.snat) {
    if (conf.masqAll) {
      rules.push({ chain: MASQUERADING, exprs: [...addressEquals(family, "daddr", address), ...ctStatusHas("dnat"), masquerade()], comment });
    } else {
      const subnet = { family, bytes: address, prefix: container.prefix };
      rules.push({
        chain: MASQUERADING,
        exprs: [...addressInNetwork("saddr", "eq", subnet), ...addressEquals(family, "daddr", address), ...ctStatusHas("dnat"), masquerade()],
        comment,
      });
      if (family === 4) {
        rules.push({ chain: MASQUERADING, exprs: [...addressEquals(4, "saddr", LOCALHOST), ...addressEquals(4, "daddr", address), masquerade()], comment });
      }
    }
  }
  rules.push({ chain: networkChain(attachment.network), exprs: addressEquals(family, "daddr", address), comment });
  return rules;
}

function conditionExprs(conditions: readonly NftCondition[]): NftExpr[] {
  const exprs: NftExpr[] = [];
  for (const condition of conditions) {
    if (condition.kind === "address") {
      const bytes = ipToBytes(condition.address);
      exprs.push(...addressInNetwork(condition.which, condition.op, { family: condition.address.family, bytes, prefix: condition.prefix }));
    } else {
      const name = new Uint8Array(IFNAME_BYTES);
      name.set(new TextEncoder().encode(condition.name));
      exprs.push(meta(condition.key), cmp(condition.op, name));
    }
  }
  return exprs;
}

/** Whether a listed rule compares with or loads `address` (a DNAT target, a masquerade's daddr, a record). */
export function mentions(rule: NftRule, address: Uint8Array): boolean {
  for (const expr of rule.exprs) {
    if ((expr.type === "cmp" || expr.type === "immediate") && sameBytes(expr.data, address)) return true;
  }
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The rules of the container id in one family's attachment chains, narrowed to `addresses` when given. */
function containerRules(nft: Nftables, family: Family, chains: readonly string[], containerId: string, addresses: readonly Uint8Array[] | undefined): NftRule[] {
  const found: NftRule[] = [];
  for (const chain of chains) {
    for (const rule of listIfPresent(() => nft.listRules(nftFamily(family), NFT_TABLE, chain, { commentPrefix: containerId }))) {
      if (rule.comment !== containerId) continue;
      if (addresses === undefined || addresses.some((address) => mentions(rule, address))) found.push(rule);
    }
  }
  return found;
}

function addressBytesOf(addresses: readonly ContainerAddress[], family: Family): Uint8Array[] {
  const bytes: Uint8Array[] = [];
  for (const { address } of addresses) if (address.family === family) bytes.push(ipToBytes(address));
  return bytes;
}

export function createNftablesBackend(netnsPath?: string): PortmapBackend {
  return {
    /**
     * One transaction for both families: the tables and chains when missing, the fixed chains refilled only
     * when they differ, this attachment's rules added (its stale ones deleted). Nothing else is deleted, and
     * a repeated ADD commits nothing.
     */
    add(attachment) {
      withNftables(
        "unable to set up nftables rules for port mappings",
        (nft) =>
          commitFresh(nft, () => {
            const ops: NftOp[] = [];
            for (const container of attachment.addresses) {
              const layout = portmapLayout(container.address.family, attachment.network);
              const address = ipToBytes(container.address);
              const owned: AttachmentRules = {
                commentPrefix: attachment.containerId,
                owns: (rule) => rule.comment === attachment.containerId && mentions(rule, address),
                rules: attachmentRules(attachment, container),
              };
              ops.push(...addOnlyOps(readChains(nft, layout, attachment.containerId), layout, owned));
            }
            return ops;
          }),
        netnsPath,
      );
    },

    check(attachment) {
      withNftables(
        "could not check nftables port mappings",
        (nft) => {
          for (const container of attachment.addresses) checkFamily(nft, attachment, container);
        },
        netnsPath,
      );
    },

    del(network, containerId, addresses) {
      withNftables(
        "error deleting nftables rules",
        (nft) =>
          commitFresh(nft, () => {
            const ops: NftOp[] = [];
            for (const family of FAMILIES) {
              const only = addresses === undefined ? undefined : addressBytesOf(addresses, family);
              ops.push(...deleteRuleOps(containerRules(nft, family, [...ATTACHMENT_CHAINS, networkChain(network)], containerId, only)));
            }
            return ops;
          }),
        netnsPath,
      );
    },

    /** The network's records of containers no longer valid, and those containers' rules for the recorded address. */
    gc(network, validContainerIds) {
      withNftables(
        "failed to garbage-collect nftables port mappings",
        (nft) =>
          commitFresh(nft, () => {
            const ops: NftOp[] = [];
            for (const family of FAMILIES) {
              const stale = listIfPresent(() => nft.listRules(nftFamily(family), NFT_TABLE, networkChain(network))).filter(
                (record) => record.comment === undefined || !validContainerIds.has(record.comment),
              );
              ops.push(...deleteRuleOps(stale));
              for (const record of stale) {
                if (record.comment === undefined) continue;
                const address = recordedAddress(record);
                if (address !== undefined) ops.push(...deleteRuleOps(containerRules(nft, family, ATTACHMENT_CHAINS, record.comment, [address])));
              }
            }
            return ops;
          }),
        netnsPath,
      );
    },
  };
}

/** The address a network record compares with. */
function recordedAddress(record: NftRule): Uint8Array | undefined {
  for (const expr of record.exprs) if (expr.type === "cmp") return expr.data;
  return undefined;
}

/** CHECK of one address: the entry chains hold their jump, and each of the attachment's rules is there. */
function checkFamily(nft: Nftables, attachment: PortmapAttachment, container: ContainerAddress): void {
  const family = container.address.family;
  const layout = portmapLayout(family, attachment.network);
  const current = readChains(nft, layout, attachment.containerId);
  for (const chain of layout.chains) {
    if (chain.rules === undefined) continue;
    if (!sameRules(current.rules.get(chain.name) ?? [], chain.rules)) {
      throw new CniError(ErrorCode.Internal, `missing hostport rules in "${chain.name}" chain of ${nftFamily(family)} ${NFT_TABLE}`);
    }
  }
  for (const wanted of attachmentRules(attachment, container)) {
    const listed = current.rules.get(wanted.chain) ?? [];
    if (!listed.some((rule) => sameRule(rule, wanted))) {
      throw new CniError(
        ErrorCode.Internal,
        `missing hostport rules in "${wanted.chain}" chain of ${nftFamily(family)} ${NFT_TABLE} for container ${JSON.stringify(attachment.containerId)} at ${formatIP(container.address as IPAddr)}`,
      );
    }
  }
}
