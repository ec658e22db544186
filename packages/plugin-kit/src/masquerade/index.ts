// Masquerade (ipMasq) for bridge and veth, behind one interface with two backends:
// - "nftables" (default): the reference's `inet cni_plugins_masquerade` table over netlink, one atomic
//   transaction per call, no process started;
// - "iptables": the Go bridge's nat rules through iptables-restore.
// Rules are found by (network, container id[, ifname]), never from the container's addresses, so
// teardown works when the netns or its addresses are gone. Teardown and GC clean both backends' rules;
// iptables is run only when there may be some (iptables-nft chains show in the nft ruleset we read anyway,
// legacy iptables lists its tables in /proc/net/ip_tables_names).
import { ipToBytes, type CIDR } from "@cni/skel";
import { Nftables, type NftFamily, type NftRule } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "../errors";
import { commitFresh, listIfPresent, withNftables } from "../nftables";
import type { AttachmentId } from "../attachment";
import type { IpMasqBackend } from "./config";
import {
  hostRunner,
  iptablesGc,
  iptablesSetup,
  iptablesTeardown,
  netnsRunner,
  type IptablesFamily,
  type IptablesRunner,
} from "./iptables";
import {
  NFT_MASQ_CHAIN,
  NFT_TABLE,
  iptablesChainName,
  nftAttachmentComment,
  nftAttachmentHash,
  nftNetworkHash,
} from "./names";
import { gcOps, rulesWithCommentPrefix, setupOps, type MasqAddress } from "./nft-rules";

export { parseIpMasqBackend, type IpMasqBackend } from "./config";

/** A live attachment, for GC (validAttachmentIds gives GC's list in this shape). */
export type MasqueradeAttachment = AttachmentId;

export interface Masquerade {
  /** Masquerade traffic from each address to anything outside its subnet; replaces this attachment's old rules. */
  setup(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void;
  /** Remove this attachment's rules, of either backend (the iptables ones are per container id, as Go's). */
  teardown(network: string, containerId: string, ifName: string): void;
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

const IPTABLES_FAMILIES: readonly IptablesFamily[] = [4, 6];

class MasqueradeRules implements Masquerade {
  constructor(
    private readonly backend: IpMasqBackend,
    private readonly netnsPath: string | undefined,
  ) {}

  setup(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void {
    if (this.backend === "iptables") this.setupIptables(network, containerId, ips);
    else this.setupNftables(network, containerId, ifName, ips);
  }

  /** One transaction: table and chains ensured, this attachment's stale rules replaced. */
  private setupNftables(network: string, containerId: string, ifName: string, ips: readonly CIDR[]): void {
    const addresses: MasqAddress[] = [];
    for (const ip of ips) addresses.push({ family: ip.ip.family, bytes: ipToBytes(ip.ip), prefix: ip.prefix });
    const prefix = nftAttachmentHash(network, ifName, containerId);
    const comment = nftAttachmentComment(network, ifName, containerId);
    withNftables(
      "failed to set up IP masquerade",
      (nft) => commitFresh(nft, () => setupOps(rulesWithCommentPrefix(listMasqRules(nft), prefix), addresses, comment)),
      this.netnsPath,
    );
  }

  /** One atomic restore per family; if the second family fails, the first is undone. */
  private setupIptables(network: string, containerId: string, ips: readonly CIDR[]): void {
    const runner = this.runner();
    const done: IptablesFamily[] = [];
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

  teardown(network: string, containerId: string, ifName: string): void {
    const prefix = nftAttachmentHash(network, ifName, containerId);
    const chain = iptablesChainName(network, containerId);
    this.cleanBothBackends(
      "tear down",
      (nft) => deleteAttachmentRules(nft, prefix),
      (name) => name === chain,
      (runner, family) => iptablesTeardown(runner, family, network, containerId),
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
      (nft) => commitFresh(nft, () => gcOps(rulesWithCommentPrefix(listMasqRules(nft), networkHash), validComments)),
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
    iptablesWork: (runner: IptablesRunner, family: IptablesFamily) => void,
  ): void {
    const runner = this.runner();
    let families: readonly IptablesFamily[] = [];
    let nft: Nftables | undefined;
    try {
      nft = this.netnsPath === undefined ? Nftables.current() : Nftables.at(this.netnsPath);
      nftWork(nft);
      const mayHave: IptablesFamily[] = [];
      for (const family of IPTABLES_FAMILIES) if (iptablesMayHave(nft, runner, family, chainMatches)) mayHave.push(family);
      families = mayHave;
    } catch (error) {
      if (this.backend === "nftables") throw netlinkToCniError(error, `failed to ${what} IP masquerade`);
      families = IPTABLES_FAMILIES;
    } finally {
      nft?.close();
    }
    for (const family of families) iptablesWork(runner, family);
  }

  private runner(): IptablesRunner {
    return this.netnsPath === undefined ? hostRunner() : netnsRunner(this.netnsPath);
  }
}

/** The rules of masq_checks; none when the table or chain does not exist yet. */
function listMasqRules(nft: Nftables): NftRule[] {
  return listIfPresent(() => nft.listRules("inet", NFT_TABLE, NFT_MASQ_CHAIN));
}

/**
 * DEL: the addon lists masq_checks and deletes the rules with this comment prefix in one transaction,
 * without building a JS object per rule (it matters with thousands of attachments); retried once if a
 * concurrent call deleted one of them first.
 */
function deleteAttachmentRules(nft: Nftables, prefix: string): void {
  try {
    nft.deleteRulesByCommentPrefix("inet", NFT_TABLE, NFT_MASQ_CHAIN, prefix);
  } catch (error) {
    if (!isNetlinkCode(error, "ENOENT")) throw error;
    nft.deleteRulesByCommentPrefix("inet", NFT_TABLE, NFT_MASQ_CHAIN, prefix);
  }
}

/** Whether iptables may hold rules here worth a process: an iptables-nft chain that matches, or a legacy nat table. */
function iptablesMayHave(
  nft: Nftables,
  runner: IptablesRunner,
  family: IptablesFamily,
  chainMatches: (name: string) => boolean,
): boolean {
  const nftFamily: NftFamily = family === 4 ? "ip" : "ip6";
  for (const chain of listIfPresent(() => nft.listChains(nftFamily, "nat"))) if (chainMatches(chain.name)) return true;
  const legacyTables = runner.readProcNet(family === 4 ? "ip_tables_names" : "ip6_tables_names");
  return legacyTables !== undefined && legacyTables.split("\n").includes("nat");
}
