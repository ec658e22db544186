// IP addresses as (family, bigint) values: parsed with `ip-address`, printed exactly as Go's
// net.IP.String() prints them, because that text is the name of a lease file on disk.
//
// Evaluating ip-address costs a compiled plugin ~3 ms per process, more than all the IPAM work, and a
// process is started per call. So canonical dotted quads (every IPv4 config) are read by a strict fast
// path, and ip-address is loaded on first use for everything else: IPv6 and any unusual form.
import type * as IpAddressModule from "ip-address";

export type Family = 4 | 6;

export interface IPAddr {
  readonly family: Family;
  /** the address as an unsigned integer (32 or 128 bits) */
  readonly value: bigint;
}

/** An address with a prefix length, as written in CIDR text ("10.1.2.3/24"). */
export interface CIDR {
  readonly ip: IPAddr;
  readonly prefix: number;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/**
 * Parse an address without a prefix. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4, as Go's
 * canonicalizeIP does. Zones (`%eth0`), prefixes and surrounding spaces are rejected.
 */
export function parseIP(text: string): IPAddr | undefined {
  if (text.length === 0 || /[\s/%]/.test(text)) return undefined;
  const quad = parseCanonicalDottedQuad(text);
  if (quad !== undefined) return { family: 4, value: quad };
  try {
    const { Address4, Address6 } = ipAddress();
    if (!text.includes(":")) return { family: 4, value: new Address4(text).bigInt() };
    const value = new Address6(text).bigInt();
    if (value >> 32n === 0xffffn) return { family: 4, value: value - V4_MAPPED_PREFIX };
    return { family: 6, value };
  } catch {
    return undefined;
  }
}

const CANONICAL_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const CANONICAL_DOTTED_QUAD = new RegExp(`^${CANONICAL_OCTET}\\.${CANONICAL_OCTET}\\.${CANONICAL_OCTET}\\.${CANONICAL_OCTET}$`);

/** "10.1.2.3" with no leading zeros: the value; any other text: undefined (ip-address decides). */
function parseCanonicalDottedQuad(text: string): bigint | undefined {
  const octets = CANONICAL_DOTTED_QUAD.exec(text);
  if (octets === null) return undefined;
  return BigInt(((Number(octets[1]) << 24) | (Number(octets[2]) << 16) | (Number(octets[3]) << 8) | Number(octets[4])) >>> 0);
}

let ipAddressLoaded: typeof IpAddressModule | undefined;

/** ip-address, loaded on first use. Literal require for esbuild/bun; createRequire under vitest's ESM. */
function ipAddress(): typeof IpAddressModule {
  ipAddressLoaded ??= (
    typeof require === "function"
      ? require("ip-address")
      : process.getBuiltinModule("node:module").createRequire(import.meta.url)("ip-address")
  ) as typeof IpAddressModule;
  return ipAddressLoaded;
}

/** Parse "addr/prefix". */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  // "::ffff:10.1.2.0/120" is an IPv4 network in Go once canonicalised
  if (ip.family === 4 && text.slice(0, slash).includes(":")) prefix -= 96;
  if (prefix < 0 || prefix > bitsOf(ip.family)) return undefined;
  return { ip, prefix };
}

/** Parse "addr" or "addr/prefix" and drop the prefix (requested addresses accept both). */
export function parseIPMaybeCIDR(text: string): IPAddr | undefined {
  return text.includes("/") ? parseCIDR(text)?.ip : parseIP(text);
}

export function formatIP(ip: IPAddr): string {
  return ip.family === 4 ? formatV4(ip.value) : formatV6(ip.value);
}

export function formatCIDR(cidr: CIDR): string {
  return `${formatIP(cidr.ip)}/${cidr.prefix}`;
}

function formatV4(value: bigint): string {
  const n = Number(value);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 like Go: the longest run (first on a tie) of two or more zero groups becomes "::". */
function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export function sameIP(a: IPAddr, b: IPAddr): boolean {
  return a.family === b.family && a.value === b.value;
}

export function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefix)) - 1n;
}

/** The network address of `ip` under `prefix`. */
export function networkAddress(ip: IPAddr, prefix: number): IPAddr {
  return { family: ip.family, value: ip.value & ~hostMask(ip.family, prefix) };
}

/** The last address of the subnet (the IPv4 broadcast address). */
export function lastAddress(network: IPAddr, prefix: number): IPAddr {
  return { family: network.family, value: network.value | hostMask(network.family, prefix) };
}

export function offsetIP(ip: IPAddr, delta: bigint): IPAddr {
  return { family: ip.family, value: ip.value + delta };
}
