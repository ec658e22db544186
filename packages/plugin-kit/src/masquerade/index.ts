// Masquerade (ipMasq) for bridge and veth, behind one interface with two backends, built from the kit's
// netfilter module (../netfilter):
// - "nftables" (default): the reference's `inet cni_plugins_masquerade` table over netlink, one atomic
//   transaction per call, no process started;
// - "iptables": the Go bridge's nat rules through iptables-restore.
// Rules are found by (network, container id[, ifname]), never from the container's addresses, so
// teardown works when the netns or its addresses are gone. Teardown and GC clean both backends' rules;
// iptables is run only when there may be some (iptables-nft chains show in the nft ruleset we read anyway,
// legacy iptables lists its tables in /proc/net/ip_tables_names).
import { ipToBytes, type CIDR } from "@cni/skel";
import type { Nftables, NftFamily, NftRule } from "@cni/netlink";
import { netlinkToCniError } from "../errors";
import {
  commitFresh,
  deleteRulesByCommentPrefix,
  ensureRules,
  listIfPresent,
  openNftables,
  withNftables,
} from "../netfilter/nftables";
import { iptablesRunner, type IptablesRunner } from "../netfilter/iptables";
import type { AddressWithPrefix, IpFamily } from "../netfilter/exprs";
import type { AttachmentId } from "../attachment";
import type { IpMasqBackend } from "./config";
import { iptablesGc, iptablesSetup, iptablesTeardown } from "./iptables";
import {
  NFT_MASQ_CHAIN,
  NFT_TABLE,
  iptablesChainName,
  nftAttachmentComment,
  nftAttachmentHash,
  nftNetworkHash,
} from "./names";
import { attachmentRules, gcOps, masqueradeLayout } from "./nft-rules";

export { parseIpMasqBackend, type IpMasqBackend } from "./config";

/** A live attachment, for GC (validAttachmentIds gives GC's list in this shape). */
export type MasqueradeAttachment = AttachmentId;

export interface Masquerade {
  /** Masquerade traffic from each address to anything outside its subnet; replaces this attachment's old rules. */
  setup(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void;
  /**
   * Remove this attachment's rules, of either backend (the iptables ones are per container id, as Go's).
   * With `nft`, an open handle on the same namespace, the nftables work goes through it and it stays open:
   * DEL closes it after deleting the veth, so the wait its close makes for deleted rules (an RCU grace
   * period) overlaps RTM_DELLINK's own.
   */
  teardown(network: string, containerId: string, ifName: string, nft?: Nftables): void;
  /** Remove the network's rules of attachments not in `validAttachments`, of either backend. */
  gc(network: string, validAttachments: readonly MasqueradeAttachment[]): void;
}

export interface MasqueradeOptions {
  /** Work in this network namespace instead of the caller's (tests, benchmarks). */
  netnsPath?: string;
}

export function createMasquerade(backend: IpMasqBackend, options: MasqueradeOptions = {}): Masquerade {
  return new MasqueradeRules(backend, options.netnsPath);
}

const IPTABLES_FAMILIES: readonly IpFamily[] = [4, 6];

class MasqueradeRules implements Masquerade {
  constructor(
    private readonly backend: IpMasqBackend,
    private readonly netnsPath: string | undefined,
  ) {}

  setup(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void {
    if (this.backend === "iptables") this.setupIptables(network, containerId, ips);
    else this.setupNftables(network, containerId, ifName, ips);
  }

  /**
   * One add-only transaction: the table and chains when missing, postrouting refilled only when it differs,
   * this attachment's rules added (its stale ones, if any, deleted). A repeated ADD commits nothing.
   */
  private setupNftables(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void {
    const addresses: AddressWithPrefix[] = [];
    for (const ip of ips) addresses.push({ family: ip.ip.family, bytes: ipToBytes(ip.ip), prefix: ip.prefix });
    const prefix = nftAttachmentHash(network, ifName, containerId);
    const comment = nftAttachmentComment(network, ifName, containerId);
    withNftables(
      "failed to set up IP masquerade",
      (nft) => ensureRules(nft, masqueradeLayout(), attachmentRules(prefix, comment, addresses)),
      this.netnsPath,
    );
  }

  /** One atomic restore per family; if the second family fails, the first is undone. */
  private setupIptables(network: string, containerId: string, ips: readonly CIDR[]): void {
    const runner = iptablesRunner(this.netnsPath);
    const done: IpFamily[] = [];
    try {
      for (const family of IPTABLES_FAMILIES) {
        const ofFamily: CIDR[] = [];
        for (const ip of ips) if (ip.ip.family === family) ofFamily.push(ip);
        if (ofFamily.length === 0) continue;
        iptablesSetup(runner, family, network, containerId, ofFamily);
        done.push(family);
      }
    } catch (error) {
      for (const family of done) {
        try {
          iptablesTeardown(runner, family, network, containerId);
        } catch {
          // the set-up error is the one to report
        }
      }
      throw error;
    }
  }

  teardown(network: string, containerId: string, ifName: string, nft?: Nftables): void {
    const prefix = nftAttachmentHash(network, ifName, containerId);
    const chain = iptablesChainName(network, containerId);
    this.cleanBothBackends(
      "tear down",
      (handle) => deleteRulesByCommentPrefix(handle, "inet", NFT_TABLE, NFT_MASQ_CHAIN, prefix),
      (name) => name === chain,
      (runner, family) => iptablesTeardown(runner, family, network, containerId),
      nft,
    );
  }

  gc(network: string, validAttachments: readonly MasqueradeAttachment[]): void {
    const networkHash = nftNetworkHash(network);
    const validComments = new Set<string>();
    const validContainerIds = new Set<string>();
    for (const attachment of validAttachments) {
      validComments.add(nftAttachmentComment(network, attachment.ifName, attachment.containerId));
      validContainerIds.add(attachment.containerId);
    }
    this.cleanBothBackends(
      "garbage-collect",
      (nft) => commitFresh(nft, () => gcOps(listMasqRules(nft, networkHash), validComments)),
      (name) => name.startsWith("CNI-"),
      (runner, family) => iptablesGc(runner, family, network, validContainerIds),
    );
  }

  /**
   * Teardown and GC: the nftables rules first (no process), then iptables for each family where an
   * iptables chain may match. With the iptables backend, nftables is only the other backend's leftovers:
   * if it cannot be read (a kernel without nf_tables), iptables runs for both families regardless.
   */
  private cleanBothBackends(
    what: string,
    nftWork: (nft: Nftables) => void,
    chainMatches: (name: string) => boolean,
    iptablesWork: (runner: IptablesRunner, family: IpFamily) => void,
    shared?: Nftables,
  ): void {
    const runner = iptablesRunner(this.netnsPath);
    let families: readonly IpFamily[] = [];
    let nft: Nftables | undefined;
    try {
      nft = shared ?? openNftables(this.netnsPath);
      nftWork(nft);
      const mayHave: IpFamily[] = [];
      for (const family of IPTABLES_FAMILIES) if (iptablesMayHave(nft, runner, family, chainMatches)) mayHave.push(family);
      families = mayHave;
    } catch (error) {
      if (this.backend === "nftables") throw netlinkToCniError(error, `failed to ${what} IP masquerade`);
      families = IPTABLES_FAMILIES;
    } finally {
      if (shared === undefined) nft?.close();
    }
    for (const family of families) iptablesWork(runner, family);
  }
}

/** The rules of masq_checks whose comment starts with `prefix` (filtered in the addon); none when the table or chain does not exist. */
function listMasqRules(nft: Nftables, prefix: string): NftRule[] {
  return listIfPresent(() => nft.listRules("inet", NFT_TABLE, NFT_MASQ_CHAIN, { commentPrefix: prefix }));
}

/** Whether iptables may hold rules here worth a process: an iptables-nft chain that matches, or a legacy nat table. */
function iptablesMayHave(
  nft: Nftables,
  runner: IptablesRunner,
  family: IpFamily,
  chainMatches: (name: string) => boolean,
): boolean {
  const nftFamily: NftFamily = family === 4 ? "ip" : "ip6";
  for (const chain of listIfPresent(() => nft.listChains(nftFamily, "nat"))) if (chainMatches(chain.name)) return true;
  const legacyTables = runner.readProcNet(family === 4 ? "ip_tables_names" : "ip6_tables_names");
  return legacyTables !== undefined && legacyTables.split("\n").includes("nat");
}
