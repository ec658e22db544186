// What a network attachment can leave behind, read with iproute2/nft/iptables and a directory listing (not with
// the code under test): links in the host and container namespaces, host-local leases, masquerade rules and
// CNI iptables chains. Used by the crash, churn and hostile-state suites to count leftovers.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { links, type TestNetns } from "./netns";

export interface Leftovers {
  /** host links other than `lo` and the bridge */
  hostLinks: string[];
  /** container links other than `lo` (empty when the namespace is gone) */
  containerLinks: string[];
  /** lease files in `<dataDir>/<network>` */
  leases: string[];
  /** nftables rules in any table (masquerade, spoof check) */
  nftRules: string[];
  /** `-N CNI-...` chains in iptables/ip6tables nat */
  iptablesChains: string[];
}

/** Total number of leftover things. */
export function leftoverCount(found: Leftovers): number {
  return (
    found.hostLinks.length +
    found.containerLinks.length +
    found.leases.length +
    found.nftRules.length +
    found.iptablesChains.length
  );
}

export const NO_LEFTOVERS: Leftovers = { hostLinks: [], containerLinks: [], leases: [], nftRules: [], iptablesChains: [] };

/** A lease file's name: an IPv4 or IPv6 address (not `lock`, `last_reserved_ip.N`). */
export function isLeaseName(name: string): boolean {
  return /^[0-9.]+$/.test(name) || (name.includes(":") && /^[0-9a-f:]+$/.test(name));
}

export function leaseFiles(dataDir: string, network: string): string[] {
  const dir = join(dataDir, network);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(isLeaseName).sort();
}

function nsExec(ns: TestNetns, cmd: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns.name, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

interface NftJsonItem {
  rule?: { family: string; table: string; chain: string; comment?: string };
}

/** Every nftables rule in the namespace, as `family table chain comment`. */
export function nftRules(ns: TestNetns): string[] {
  const parsed = JSON.parse(nsExec(ns, "nft", ["-j", "list", "ruleset"])) as { nftables: NftJsonItem[] };
  const out: string[] = [];
  for (const item of parsed.nftables) {
    const rule = item.rule;
    // the masquerade table's fixed postrouting rules (multicast return, goto) belong to no attachment
    if (rule === undefined || rule.chain === "postrouting") continue;
    out.push(`${rule.family} ${rule.table} ${rule.chain} ${rule.comment ?? ""}`);
  }
  return out;
}

/** CNI chains (`CNI-...`) in the nat table of iptables and ip6tables. */
export function iptablesChains(ns: TestNetns): string[] {
  const out: string[] = [];
  for (const binary of ["iptables", "ip6tables"]) {
    let text = "";
    try {
      text = nsExec(ns, binary, ["-t", "nat", "-S"]);
    } catch {
      continue; // no iptables here: nothing can be left in it
    }
    for (const line of text.split("\n")) if (line.startsWith("-N CNI-")) out.push(`${binary} ${line}`);
  }
  return out;
}

function namespaceExists(ns: TestNetns): boolean {
  return existsSync(ns.path);
}

export function findLeftovers(
  host: TestNetns,
  container: TestNetns | null,
  dataDir: string,
  network: string,
  bridge?: string,
): Leftovers {
  const hostLinks = links(host)
    .map((l) => l.ifname)
    .filter((name) => name !== "lo" && name !== bridge)
    .sort();
  const containerLinks =
    container !== null && namespaceExists(container)
      ? links(container)
          .map((l) => l.ifname)
          .filter((name) => name !== "lo")
          .sort()
      : [];
  return {
    hostLinks,
    containerLinks,
    leases: leaseFiles(dataDir, network),
    nftRules: nftRules(host),
    iptablesChains: iptablesChains(host),
  };
}
