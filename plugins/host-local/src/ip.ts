// IP addresses as (family, bigint) values for range arithmetic. Text goes through @cni/skel's parser and
// printer, which read and print exactly as Go's net.ParseIP / net.IP.String() do: the printed text is the
// name of a lease file on disk, shared with the Go plugin.
import { formatIP as formatIPBytes, ipFamily, parseIP as parseIPBytes } from "@cni/skel";

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

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/**
 * Parse an address without a prefix. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4, as Go's
 * canonicalizeIP does. Zones (`%eth0`), prefixes and surrounding spaces are rejected.
 */
export function parseIP(text: string): IPAddr | undefined {
  if (text.length === 0 || /[\s/%]/.test(text)) return undefined;
  const bytes = parseIPBytes(text);
  if (bytes === undefined) return undefined;
  const family = ipFamily(bytes);
  let value = 0n;
  for (const byte of family === 4 ? bytes.subarray(bytes.length - 4) : bytes) value = (value << 8n) | BigInt(byte);
  return { family, value };
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
  const bytes = new Uint8Array(bitsOf(ip.family) / 8);
  let rest = ip.value;
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return formatIPBytes(bytes);
}

export function formatCIDR(cidr: CIDR): string {
  return `${formatIP(cidr.ip)}/${cidr.prefix}`;
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
