// The iptables side: the reference's nat rules per attachment (chain CNI-<hash>, comment
// `name: "<net>" id: "<cid>"`), written and removed through iptables-restore so that each family costs
// one listing plus one atomic restore instead of a process per rule. Rules are found by chain name and
// comment, never from the container's addresses.
import { CniError, ErrorCode, formatCIDR, formatIP, networkOf, type CIDR } from "@cni/skel";
import type { IpFamily } from "../netfilter/exprs";
import {
  commentMatch,
  deletionOf,
  iptablesBinary,
  iptablesEscaped,
  iptablesList,
  iptablesRestore,
  jumpsTo,
  type IptablesRunner,
} from "../netfilter/iptables";
import { goQuote } from "../netfilter/names";
import { iptablesChainName, iptablesComment } from "./names";

/** How errors name us. */
const WHO = "masquerade";
const MULTICAST: Record<IpFamily, string> = { 4: "224.0.0.0/4", 6: "ff00::/8" };

function listNat(runner: IptablesRunner, family: IpFamily): string[] | undefined {
  return iptablesList(runner, family, "nat", WHO);
}

function restoreNat(runner: IptablesRunner, family: IpFamily, lines: readonly string[]): void {
  iptablesRestore(runner, family, "nat", lines, WHO);
}

/**
 * Set up one family's rules (the Go bridge's: `-d <subnet> -j ACCEPT`, `! -d <multicast> -j MASQUERADE`
 * in the attachment's chain, `POSTROUTING -s <ip> -j <chain>`, all with the comment). One restore:
 * declaring the chain creates it or empties it, old jumps to it are replaced, so a repeated ADD leaves
 * exactly one copy.
 */
export function iptablesSetup(
  runner: IptablesRunner,
  family: IpFamily,
  network: string,
  containerId: string,
  ips: readonly CIDR[],
): void {
  const chain = iptablesChainName(network, containerId);
  const comment = commentMatch(iptablesComment(network, containerId));
  const lines = listNat(runner, family);
  if (lines === undefined) {
    throw new CniError(ErrorCode.Internal, `${WHO}: ipMasqBackend "iptables" needs ${iptablesBinary(family)}, not found`);
  }
  const input = [":" + chain + " - [0:0]"];
  for (const jump of jumpsTo(lines, "POSTROUTING", chain)) input.push(deletionOf(jump));
  const subnets = new Set<string>();
  for (const ip of ips) subnets.add(formatCIDR(networkOf(ip)));
  // Every subnet's ACCEPT before the MASQUERADE (the Go plugin appends per address, so a second subnet's
  // ACCEPT would come after the MASQUERADE and never match).
  for (const subnet of subnets) input.push(`-A ${chain} -d ${subnet} ${comment} -j ACCEPT`);
  input.push(`-A ${chain} ! -d ${MULTICAST[family]} ${comment} -j MASQUERADE`);
  const hostBits = family === 4 ? 32 : 128;
  const jumps = new Set<string>();
  for (const ip of ips) jumps.add(`-A POSTROUTING -s ${formatIP(ip.ip)}/${hostBits} ${comment} -j ${chain}`);
  for (const jump of jumps) input.push(jump);
  restoreNat(runner, family, input);
}

/** Remove the chains named in `chains` and every POSTROUTING jump to them, found in a nat listing. */
function removeChains(runner: IptablesRunner, family: IpFamily, lines: readonly string[], chains: readonly string[]): number {
  const input: string[] = [];
  for (const chain of chains) {
    for (const jump of jumpsTo(lines, "POSTROUTING", chain)) input.push(deletionOf(jump));
    if (lines.includes("-N " + chain)) input.push("-F " + chain, "-X " + chain);
  }
  if (input.length > 0) restoreNat(runner, family, input);
  return input.length;
}

/** Remove one attachment's chain and the jumps to it (whatever addresses they name). A missing binary: nothing to do. */
export function iptablesTeardown(runner: IptablesRunner, family: IpFamily, network: string, containerId: string): void {
  const lines = listNat(runner, family);
  if (lines === undefined) return;
  removeChains(runner, family, lines, [iptablesChainName(network, containerId)]);
}

/**
 * GC: remove the chains of `network` whose container id is not in `validContainerIds`. A chain is the
 * network's when a rule in it carries the comment `name: "<network>" id: "<cid>"` and its name is the
 * hash of that pair (the Go plugin has no GC for iptables; its rules carry what we need).
 */
export function iptablesGc(
  runner: IptablesRunner,
  family: IpFamily,
  network: string,
  validContainerIds: ReadonlySet<string>,
): void {
  const lines = listNat(runner, family);
  if (lines === undefined) return;
  // as `iptables -S` prints it: --comment "name: \"<net>\" id: \"<cid>\""
  const marker = '--comment "name: ' + iptablesEscaped(goQuote(network)) + ' id: \\"';
  const stale = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith("-A CNI-")) continue;
    const chain = line.slice(3, line.indexOf(" ", 3));
    const at = line.indexOf(marker);
    if (at < 0) continue;
    const idStart = at + marker.length;
    const idEnd = line.indexOf('\\""', idStart);
    if (idEnd < 0) continue;
    const containerId = line.slice(idStart, idEnd);
    if (validContainerIds.has(containerId) || stale.has(chain)) continue;
    if (iptablesChainName(network, containerId) === chain) stale.add(chain);
  }
  if (stale.size > 0) removeChains(runner, family, lines, [...stale]);
}
