// Sysctls the plugins set, inside the namespace of a handle. Keys use the slash form so interface names
// with dots (eth0.100) work. A value already in place is not written again (a write costs a syscall and
// may be refused in a read-only /proc/sys even when it would change nothing).
import { parseCIDR, type Family, type IPConfig } from "@cni/skel";
import { NetlinkError, type Netlink } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "./errors";

export const IPV4_FORWARD = "net/ipv4/ip_forward";
export const IPV6_FORWARD = "net/ipv6/conf/all/forwarding";

export function ipv6ConfKey(ifName: string, setting: string): string {
  return `net/ipv6/conf/${ifName}/${setting}`;
}
export function ipv4ConfKey(ifName: string, setting: string): string {
  return `net/ipv4/conf/${ifName}/${setting}`;
}

/** The address families present in a result's IPs (for enableForwarding), IPv4 first. */
export function familiesOf(ips: readonly IPConfig[]): Family[] {
  let v4 = false;
  let v6 = false;
  for (const ip of ips) {
    const family = parseCIDR(ip.address)?.ip.family;
    if (family === 4) v4 = true;
    if (family === 6) v6 = true;
  }
  const families: Family[] = [];
  if (v4) families.push(4);
  if (v6) families.push(6);
  return families;
}

/** Set `key` to `value` unless it already is; true when it wrote. Kernel errors are thrown as NetlinkError. */
export function ensureSysctl(netns: Netlink, key: string, value: string): boolean {
  if (netns.sysctlGet(key) === value) return false;
  netns.sysctlSet(key, value);
  return true;
}

/** `ip_forward` / `ipv6/conf/all/forwarding` = 1 for each family given (the Go plugins' EnableForward). */
export function enableForwarding(netns: Netlink, families: Iterable<Family>): void {
  const entries: Array<readonly [string, string]> = [];
  for (const family of families) entries.push([family === 4 ? IPV4_FORWARD : IPV6_FORWARD, "1"]);
  ensureSysctls(netns, entries, () => false, (key) => `failed to enable IPv${key === IPV4_FORWARD ? 4 : 6} forwarding`);
}

/** Per-interface settings a plugin makes on the container's end, written together (see setInterfaceSysctls). */
export interface InterfaceSysctls {
  /**
   * Duplicate address detection: enabled = accept_dad 1 + enhanced_dad 1 (as bridge's `enabledad`);
   * disabled = accept_dad 0, so addresses are usable at once instead of after ~1.6 s. Unset: left alone.
   */
  duplicateAddressDetection?: boolean;
  /** arp_notify = 1: the kernel announces the interface's IPv4 addresses (gratuitous ARP) when it comes up. */
  arpNotify?: boolean;
}

/**
 * Write `ifName`'s settings on one trip into the namespace (each trip into another namespace is a thread).
 * A missing key means the feature is absent there (IPv6 disabled in the namespace: no ipv6/conf/<if>/),
 * which is not an error, as with the Go plugins; other failures are.
 */
export function setInterfaceSysctls(netns: Netlink, ifName: string, settings: InterfaceSysctls): void {
  const entries: Array<readonly [string, string]> = [];
  if (settings.duplicateAddressDetection === true) {
    entries.push([ipv6ConfKey(ifName, "enhanced_dad"), "1"], [ipv6ConfKey(ifName, "accept_dad"), "1"]);
  } else if (settings.duplicateAddressDetection === false) {
    entries.push([ipv6ConfKey(ifName, "accept_dad"), "0"]);
  }
  if (settings.arpNotify === true) entries.push([ipv4ConfKey(ifName, "arp_notify"), "1"]);
  ensureSysctls(netns, entries, () => true, (key, value) => `failed to set sysctl ${key}=${value}`);
}

export function setDuplicateAddressDetection(netns: Netlink, ifName: string, enabled: boolean): void {
  setInterfaceSysctls(netns, ifName, { duplicateAddressDetection: enabled });
}

export function enableArpNotify(netns: Netlink, ifName: string): void {
  setInterfaceSysctls(netns, ifName, { arpNotify: true });
}

/** accept_ra = 0: the plugin owns this interface's routes, router advertisements must not add any. */
export function disableAcceptRa(netns: Netlink, ifName: string): void {
  ensureSysctls(netns, [[ipv6ConfKey(ifName, "accept_ra"), "0"]], () => true, (key, value) => `failed to set sysctl ${key}=${value}`);
}

/**
 * Set several sysctls of one namespace on one trip (values already in place are not written again). A key
 * the kernel does not have (ENOENT) is dropped and the rest written when `mayBeMissing(key)`; any other
 * failure is a CniError `describe(key, value): reason`, with the keys written before it put back.
 */
export function ensureSysctls(
  netns: Netlink,
  entries: ReadonlyArray<readonly [string, string]>,
  mayBeMissing: (key: string) => boolean,
  describe: (key: string, value: string) => string,
): void {
  let remaining = entries;
  while (remaining.length > 0) {
    try {
      netns.sysctlExchange(remaining);
      return;
    } catch (thrown) {
      const failed = remaining.find(([key]) => thrown instanceof NetlinkError && thrown.subject === key);
      if (failed !== undefined && isNetlinkCode(thrown, "ENOENT") && mayBeMissing(failed[0])) {
        remaining = remaining.filter((entry) => entry !== failed);
        continue;
      }
      const [key, value] = failed ?? remaining[0] ?? ["", ""];
      throw netlinkToCniError(thrown, describe(key, value));
    }
  }
}
