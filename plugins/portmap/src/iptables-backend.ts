// The iptables backend (`"backend": "iptables"`): Go 1.1.1's nat chains, rules and comments exactly
// (reference-chained-plugins.md §1.3), so Go's DEL removes ours and ours removes Go's. Each family costs one
// `iptables -t nat -S` and one atomic `iptables-restore --noflush` instead of a process per rule.
//
//   PREROUTING / OUTPUT   -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT          (appended once)
//   POSTROUTING           -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ  (inserted at 1, once)
//   CNI-HOSTPORT-DNAT     -p tcp -m comment --comment "dnat name: \"<net>\" id: \"<cid>\"" -m multiport --dports 8080,... -j CNI-DN-<hash>
//   CNI-DN-<hash>         -s <ctr subnet> [-d <hostIP>] -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
//                         -s 127.0.0.1/32 [-d <hostIP>] -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK   (IPv4)
//                         [-d <hostIP>] -p tcp -m tcp --dport 8080 -j DNAT --to-destination <ctr>:80
//   CNI-HOSTPORT-SETMARK  -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
//   CNI-HOSTPORT-MASQ     -m mark --mark 0x2000/0x2000 -j MASQUERADE
//
// Where ours differs (README.md): a re-ADD replaces the container's chain and entry rules in one restore
// (1.1.1 only adds, keeping old ports); CHECK looks at each address in its own family (1.1.1 looks for the
// IPv4 rules in ip6tables too and fails).
import { CniError, ErrorCode, formatCIDR, formatIP, networkOf, type Family } from "@cni/skel";
import {
  commentMatch,
  deletionOf,
  goChainNameWithPrefix,
  goComment,
  goQuote,
  iptablesBinary,
  iptablesEscaped,
  iptablesList,
  iptablesQuoted,
  iptablesRestore,
  iptablesRunner,
  jumpsTo,
  listIfPresent,
  openNftables,
  type IptablesRunner,
} from "@cni/plugin-kit/netfilter";
import type { Nftables } from "@cni/netlink";
import type { PortmapAttachment, PortmapBackend } from "./backend";
import { destinationOf, mappingsFor, type ContainerAddress } from "./config";

export const DNAT_CHAIN = "CNI-HOSTPORT-DNAT";
export const SETMARK_CHAIN = "CNI-HOSTPORT-SETMARK";
export const MASQ_CHAIN = "CNI-HOSTPORT-MASQ";
/** 1.1.1's DEL also removes the SNAT chains of older releases */
const LEGACY_SNAT_CHAIN = "CNI-HOSTPORT-SNAT";
const ENTRY_RULE = `-m addrtype --dst-type LOCAL -j ${DNAT_CHAIN}`;
const MASQ_JUMP = `-m comment --comment "CNI portfwd requiring masquerade" -j ${MASQ_CHAIN}`;
/** multiport takes at most 15 ports per rule */
const MULTIPORT_MAX = 15;
/** iptables keeps comments of at most this many characters */
const COMMENT_MAX = 255;
const FAMILIES: readonly Family[] = [4, 6];
const WHO = "portmap";

/** The container's DNAT chain: `CNI-DN-` + 21 hex digits of sha512(network + container id). */
export function dnatChainName(network: string, containerId: string): string {
  return goChainNameWithPrefix(network, containerId, "DN-");
}

/** The legacy SNAT chain of the same pair, which DEL removes as well. */
function snatChainName(network: string, containerId: string): string {
  return goChainNameWithPrefix(network, containerId, "SN-");
}

/** `dnat name: "<net>" id: "<cid>"`, cut as 1.1.1 does (253 characters + "...", which iptables keeps to 255). */
export function entryComment(network: string, containerId: string): string {
  const comment = "dnat " + goComment(network, containerId);
  return comment.length <= COMMENT_MAX ? comment : (comment.slice(0, COMMENT_MAX - 2) + "...").slice(0, COMMENT_MAX);
}

/** The mark: 1 << bit, as iptables prints it (0x2000/0x2000). */
function markOf(bit: number): string {
  const mark = "0x" + (2 ** bit).toString(16);
  return `${mark}/${mark}`;
}

function hostBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** `-A CNI-DN-…` lines for one container address, in 1.1.1's order (per mapping: hairpin mark, localhost mark, DNAT). */
export function dnatChainRules(chain: string, attachment: PortmapAttachment, container: ContainerAddress): string[] {
  const { conf } = attachment;
  const family = container.address.family;
  const setMark = conf.externalSetMarkChain ?? SETMARK_CHAIN;
  const subnet = formatCIDR(networkOf({ ip: container.address, prefix: container.prefix }));
  const target = family === 4 ? `${formatIP(container.address)}` : `[${formatIP(container.address)}]`;
  const lines: string[] = [];
  for (const mapping of mappingsFor(conf.mappings, family)) {
    const destination = destinationOf(mapping);
    const toHost = destination === undefined ? "" : `-d ${formatIP(destination)}/${hostBits(family)} `;
    const match = `-p ${mapping.protocol} -m ${mapping.protocol} --dport ${mapping.hostPort}`;
    if (conf.snat) {
      lines.push(`-A ${chain} -s ${subnet} ${toHost}${match} -j ${setMark}`);
      if (family === 4) lines.push(`-A ${chain} -s 127.0.0.1/32 ${toHost}${match} -j ${setMark}`);
    }
    lines.push(`-A ${chain} ${toHost}${match} -j DNAT --to-destination ${target}:${mapping.containerPort}`);
  }
  return lines;
}

/**
 * The entry rules in CNI-HOSTPORT-DNAT: per protocol (sorted), runs of at most 15 host ports in the order
 * given, every mapping's port whatever its hostIP's family (as 1.1.1).
 */
export function entryRules(chain: string, attachment: PortmapAttachment, family: Family): string[] {
  const byProtocol = new Map<string, number[]>();
  for (const mapping of attachment.conf.mappings) {
    const ports = byProtocol.get(mapping.protocol) ?? [];
    ports.push(mapping.hostPort);
    byProtocol.set(mapping.protocol, ports);
  }
  const conditions = attachment.conf.conditions[family];
  const comment = commentMatch(entryComment(attachment.network, attachment.containerId));
  const lines: string[] = [];
  for (const protocol of [...byProtocol.keys()].sort()) {
    const ports = byProtocol.get(protocol) as number[];
    for (let start = 0; start < ports.length; start += MULTIPORT_MAX) {
      const list = ports.slice(start, start + MULTIPORT_MAX).join(",");
      const extra = conditions.length > 0 ? " " + conditions.map(restoreToken).join(" ") : "";
      lines.push(`-A ${DNAT_CHAIN} -p ${protocol} ${comment} -m multiport --dports ${list}${extra} -j ${chain}`);
    }
  }
  return lines;
}

/** A condition token as one iptables-restore argument. */
function restoreToken(token: string): string {
  return /[\s"'\\]/.test(token) || token === "" ? iptablesQuoted(token) : token;
}

/** The shared chains and jumps that must exist, as `iptables -S` prints them; only the missing ones are written. */
function sharedLines(attachment: PortmapAttachment, listed: ReadonlySet<string>): string[] {
  const { conf } = attachment;
  const lines: string[] = [];
  const chain = (name: string) => {
    if (!listed.has("-N " + name)) lines.push(`:${name} - [0:0]`);
  };
  const rule = (line: string, write = line) => {
    if (!listed.has(line)) lines.push(write);
  };
  if (conf.snat && conf.externalSetMarkChain === undefined) {
    const mark = markOf(conf.markMasqBit);
    chain(SETMARK_CHAIN);
    chain(MASQ_CHAIN);
    rule(`-A ${SETMARK_CHAIN} -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${mark}`);
    rule(`-A ${MASQ_CHAIN} -m mark --mark ${mark} -j MASQUERADE`);
    rule(`-A POSTROUTING ${MASQ_JUMP}`, `-I POSTROUTING 1 ${MASQ_JUMP}`);
  }
  chain(DNAT_CHAIN);
  rule(`-A PREROUTING ${ENTRY_RULE}`);
  rule(`-A OUTPUT ${ENTRY_RULE}`);
  return lines;
}

function listNat(runner: IptablesRunner, family: Family): string[] | undefined {
  return iptablesList(runner, family, "nat", WHO);
}

function requireNat(runner: IptablesRunner, family: Family): string[] {
  const lines = listNat(runner, family);
  if (lines === undefined) throw new CniError(ErrorCode.Internal, `failed to open iptables: ${iptablesBinary(family)} not found`);
  return lines;
}

/**
 * One family's ADD in one restore: shared chains and jumps when missing, the container's chain declared
 * (created, or emptied when it exists) and filled, its old entry rules replaced by the new ones.
 */
function addFamily(runner: IptablesRunner, attachment: PortmapAttachment, container: ContainerAddress): void {
  const family = container.address.family;
  const listed = requireNat(runner, family);
  const chain = dnatChainName(attachment.network, attachment.containerId);
  const input = sharedLines(attachment, new Set(listed));
  for (const jump of jumpsTo(listed, DNAT_CHAIN, chain)) input.push(deletionOf(jump));
  input.push(`:${chain} - [0:0]`);
  input.push(...dnatChainRules(chain, attachment, container));
  input.push(...entryRules(chain, attachment, family));
  iptablesRestore(runner, family, "nat", input, WHO);
}

/** Remove the container's DNAT chain (and legacy SNAT chain) and every jump to them.  */
function removeFamily(runner: IptablesRunner, family: Family, network: string, containerId: string): void {
  const listed = listNat(runner, family);
  if (listed === undefined) return;
  removeChains(runner, family, listed, [
    { from: DNAT_CHAIN, chain: dnatChainName(network, containerId) },
    { from: LEGACY_SNAT_CHAIN, chain: snatChainName(network, containerId) },
  ]);
}

function removeChains(runner: IptablesRunner, family: Family, listed: readonly string[], chains: readonly { from: string; chain: string }[]): void {
  const input: string[] = [];
  for (const { from, chain } of chains) {
    for (const jump of jumpsTo(listed, from, chain)) input.push(deletionOf(jump));
    if (listed.includes("-N " + chain)) input.push("-F " + chain, "-X " + chain);
  }
  if (input.length > 0) iptablesRestore(runner, family, "nat", input, WHO);
}

/**
 * Whether this container's DNAT chain may exist in iptables, told without starting a process: iptables-nft
 * keeps its chains in the nftables `ip`/`ip6 nat` tables we can list; legacy iptables shows a loaded nat
 * table in /proc/net/ip{,6}_tables_names (then only iptables can tell).
 */
export function iptablesMayHaveChain(network: string, containerId: string, netnsPath?: string): boolean {
  const chain = dnatChainName(network, containerId);
  const runner = iptablesRunner(netnsPath);
  let nft: Nftables | undefined;
  try {
    nft = openNftables(netnsPath);
    for (const family of ["ip", "ip6"] as const) {
      for (const listed of listIfPresent(() => nft?.listChains(family, "nat") ?? [])) if (listed.name === chain) return true;
    }
  } catch {
    return true; // no nf_tables to look in: ask iptables
  } finally {
    nft?.close();
  }
  for (const file of ["ip_tables_names", "ip6_tables_names"]) {
    if (runner.readProcNet(file)?.split("\n").includes("nat") === true) return true;
  }
  return false;
}

export function createIptablesBackend(netnsPath?: string): PortmapBackend {
  const runner = iptablesRunner(netnsPath);
  return {
    /** One restore per family; if the second family fails, the first one's chain goes again. */
    add(attachment) {
      const done: Family[] = [];
      try {
        for (const container of attachment.addresses) {
          addFamily(runner, attachment, container);
          done.push(container.address.family);
        }
      } catch (error) {
        for (const family of done) {
          try {
            removeFamily(runner, family, attachment.network, attachment.containerId);
          } catch {
            // the ADD's error is the one to report
          }
        }
        throw error;
      }
    },

    check(attachment) {
      const chain = dnatChainName(attachment.network, attachment.containerId);
      for (const container of attachment.addresses) {
        const family = container.address.family;
        const listed = new Set(requireNat(runner, family));
        const where = `ipv${family} dnat`;
        if (!listed.has("-N " + chain)) throw new CniError(ErrorCode.Internal, `could not check ${where}: chain ${chain} not found in ${iptablesBinary(family)} table nat`);
        for (const line of dnatChainRules(chain, attachment, container)) {
          if (!listed.has(line)) throw new CniError(ErrorCode.Internal, `could not check ${where}: rule "${line}" not found in table nat`);
        }
        if (jumpsTo([...listed], DNAT_CHAIN, chain).length === 0) {
          throw new CniError(ErrorCode.Internal, `could not check ${where}: no rule in ${DNAT_CHAIN} jumps to ${chain}`);
        }
      }
    },

    del(network, containerId) {
      for (const family of FAMILIES) removeFamily(runner, family, network, containerId);
    },

    /** Entry rules carry `dnat name: "<net>" id: "<cid>"`: the network's stale chains are those of ids not valid. */
    gc(network, validContainerIds) {
      const marker = '--comment "dnat name: ' + iptablesEscaped(goQuote(network)) + ' id: \\"';
      for (const family of FAMILIES) {
        const listed = listNat(runner, family);
        if (listed === undefined) continue;
        const stale = new Map<string, { from: string; chain: string }>();
        for (const line of listed) {
          if (!line.startsWith(`-A ${DNAT_CHAIN} `)) continue;
          const at = line.indexOf(marker);
          const end = at < 0 ? -1 : line.indexOf('\\""', at + marker.length);
          if (end < 0) continue;
          const containerId = line.slice(at + marker.length, end);
          const chain = dnatChainName(network, containerId);
          if (!validContainerIds.has(containerId) && line.endsWith(" -j " + chain)) stale.set(chain, { from: DNAT_CHAIN, chain });
        }
        if (stale.size > 0) removeChains(runner, family, listed, [...stale.values()]);
      }
    },
  };
}

