// Ranges and range sets: the pieces of host-local's config that addresses are handed out from.
// Defaults, checks and messages follow the Go allocator's range.go / range_set.go.
import {
  type CIDR,
  type Family,
  type IPAddr,
  cidrContains,
  familyBits,
  formatCIDR,
  formatIP,
  lastAddressOf,
  networkOf,
  nextIP,
  parseCIDR,
  parseIP,
  prevIP,
  sameIP,
} from "@cni/skel";

/** One range, canonicalised: every field set. */
export interface Range {
  /** the network address and prefix */
  readonly subnet: CIDR;
  /** first address handed out, inclusive */
  readonly rangeStart: IPAddr;
  /** last address handed out, inclusive */
  readonly rangeEnd: IPAddr;
  readonly gateway: IPAddr;
}

/** Addresses in one set are tried in order; a container gets one address per set. */
export type RangeSet = readonly Range[];

/** A range as written in the config (strings, all optional until checked). */
export interface RawRange {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** A config problem; the caller prefixes it with the range set's index. */
export class RangeConfigError extends Error {}

function parseAddressField(name: string, text: string | undefined): IPAddr | undefined {
  if (text === undefined || text === "") return undefined;
  const ip = parseIP(text);
  if (!ip) throw new RangeConfigError(`invalid ${name} "${text}": not an IP address`);
  return ip;
}

/** Check one range and fill in its defaults (gateway and rangeStart = network+1, rangeEnd = last usable). */
export function canonicalizeRange(raw: RawRange): Range {
  if (raw.subnet === undefined || raw.subnet === "") throw new RangeConfigError("subnet is missing");
  const given = parseCIDR(raw.subnet);
  if (!given) throw new RangeConfigError(`invalid subnet "${raw.subnet}": not an address/prefix`);
  if (given.prefix > familyBits(given.ip.family) - 2) {
    throw new RangeConfigError(`Network ${formatCIDR(given)} too small to allocate from`);
  }
  const subnet = networkOf(given);
  const network = subnet.ip;
  if (!sameIP(network, given.ip)) {
    throw new RangeConfigError(
      `Network has host bits set. For a subnet mask of length ${given.prefix} the network address is ${formatIP(network)}`,
    );
  }
  const subnetText = formatCIDR(subnet);
  const familyName = network.family === 4 ? "IPv4" : "IPv6";

  const gateway = parseAddressField("gateway", raw.gateway) ?? nextIP(network);
  if (gateway.family !== network.family) {
    throw new RangeConfigError(`gateway ${formatIP(gateway)} is not an ${familyName} address like subnet ${subnetText}`);
  }
  const start = parseAddressField("rangeStart", raw.rangeStart);
  if (start && !cidrContains(subnet, start)) {
    throw new RangeConfigError(`RangeStart ${formatIP(start)} not in network ${subnetText}`);
  }
  const end = parseAddressField("rangeEnd", raw.rangeEnd);
  if (end && !cidrContains(subnet, end)) {
    throw new RangeConfigError(`RangeEnd ${formatIP(end)} not in network ${subnetText}`);
  }
  const rangeStart = start ?? nextIP(network);
  // IPv4 leaves the broadcast address out; IPv6 has none, so its default end is the subnet's last address
  const last = lastAddressOf(subnet);
  const rangeEnd = end ?? (network.family === 4 ? prevIP(last) : last);
  if (rangeStart.value > rangeEnd.value) {
    throw new RangeConfigError(`RangeStart ${formatIP(rangeStart)} is after RangeEnd ${formatIP(rangeEnd)}`);
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

/** Inside the subnet and between rangeStart and rangeEnd (inclusive). */
export function rangeContains(range: Range, ip: IPAddr): boolean {
  return (
    cidrContains(range.subnet, ip) && ip.value >= range.rangeStart.value && ip.value <= range.rangeEnd.value
  );
}

/** Go compares the start-end spans, not the subnets. */
export function rangesOverlap(a: Range, b: Range): boolean {
  if (a.subnet.ip.family !== b.subnet.ip.family) return false;
  return a.rangeStart.value <= b.rangeEnd.value && b.rangeStart.value <= a.rangeEnd.value;
}

export function rangeToString(range: Range): string {
  return `${formatIP(range.rangeStart)}-${formatIP(range.rangeEnd)}`;
}

/**
 * Addresses never handed out from a range even when inside rangeStart..rangeEnd: the gateway, and
 * for IPv4 the network and broadcast addresses (the Go plugin hands those out when an explicit
 * rangeStart/rangeEnd includes them, plugins#1295; we do not).
 */
export function isReservedAddress(range: Range, ip: IPAddr): boolean {
  if (sameIP(ip, range.gateway)) return true;
  if (range.subnet.ip.family !== 4) return false;
  return sameIP(ip, range.subnet.ip) || sameIP(ip, lastAddressOf(range.subnet));
}

// ---- range sets ----

export function canonicalizeRangeSet(raw: readonly RawRange[]): RangeSet {
  if (raw.length === 0) throw new RangeConfigError("empty range set");
  const set: Range[] = [];
  for (const range of raw) set.push(canonicalizeRange(range));
  const family = set[0]!.subnet.ip.family;
  for (const range of set) if (range.subnet.ip.family !== family) throw new RangeConfigError("mixed address families");
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) {
        throw new RangeConfigError(
          `subnets ${rangeToString(set[i]!)} and ${rangeToString(set[j]!)} overlap`,
        );
      }
    }
  }
  return set;
}

export function familyOfSet(set: RangeSet): Family {
  return set[0]!.subnet.ip.family;
}

/** The range of the set holding `ip`, if any. */
export function rangeFor(set: RangeSet, ip: IPAddr): Range | undefined {
  for (const range of set) if (rangeContains(range, ip)) return range;
  return undefined;
}

export function setContains(set: RangeSet, ip: IPAddr): boolean {
  return rangeFor(set, ip) !== undefined;
}

export function setsOverlap(a: RangeSet, b: RangeSet): boolean {
  for (const ra of a) for (const rb of b) if (rangesOverlap(ra, rb)) return true;
  return false;
}

export function rangeSetToString(set: RangeSet): string {
  return set.map(rangeToString).join(",");
}
