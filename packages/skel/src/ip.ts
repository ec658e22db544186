// IP addresses as values: (family, unsigned integer). One type for every plugin and package, read and
// printed exactly as Go's net.ParseIP / net.ParseCIDR / net.IP.String() / net.IPNet.String() do, since
// the text ends up in results, in the Go plugins' lease files, and in messages compared with Go's.
// On every call's path: plain loops over char codes, no regex.

export type Family = 4 | 6;

export interface IPAddr {
  readonly family: Family;
  /** the address as an unsigned integer: 32 bits for IPv4, 128 for IPv6 */
  readonly value: bigint;
}

/** An address and a prefix length, as CIDR text says it ("10.1.2.3/24"): `ip` keeps its host bits. */
export interface CIDR {
  readonly ip: IPAddr;
  readonly prefix: number;
}

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_COLON = 58;
const CHAR_SLASH = 47;
const CHAR_LOWER_A = 97;
const CHAR_LOWER_F = 102;
const CHAR_UPPER_A = 65;
const CHAR_UPPER_F = 70;

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const IPV4_MAPPED_MASK = ~0xffffffffn & ((1n << 128n) - 1n);

/** 32 or 128. */
export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** All ones in the family's bits: the largest address. */
function allOnes(family: Family): bigint {
  return family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
}

/** The host part's mask for `prefix` (the low `bits - prefix` bits set). */
function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

// ---------------------------------------------------------------- parsing

/**
 * Parse an address as Go's net.ParseIP: dotted-quad IPv4 without leading zeros, or IPv6 with one
 * optional `::` and an optional dotted IPv4 tail. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
 * IPv4, as Go's To4 sees it. Zones (`%eth0`), prefixes, spaces: undefined.
 */
export function parseIP(text: string): IPAddr | undefined {
  return parseIPRange(text, 0, text.length);
}

/** Parse `text[start, end)`; see parseIP. */
function parseIPRange(text: string, start: number, end: number): IPAddr | undefined {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === CHAR_COLON) return parseIPv6(text, start, end);
  }
  const v4 = parseIPv4(text, start, end);
  return v4 < 0 ? undefined : { family: 4, value: BigInt(v4) };
}

/**
 * Dotted quad in `text[start, end)` as a 32-bit number, or -1. What it accepts (no leading zeros, as Go) is
 * exactly the text formatIP prints for the address.
 */
export function parseIPv4(text: string, start: number, end: number): number {
  let value = 0;
  let fields = 0;
  let i = start;
  while (fields < 4) {
    const fieldStart = i;
    let field = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CHAR_0 || c > CHAR_9) break;
      // Go rejects leading zeros ("010" could mean octal elsewhere)
      if (i > fieldStart && field === 0) return -1;
      field = field * 10 + (c - CHAR_0);
      if (field > 255) return -1;
      i++;
    }
    if (i === fieldStart) return -1;
    value = value * 256 + field;
    fields++;
    if (fields < 4) {
      if (i >= end || text.charCodeAt(i) !== CHAR_DOT) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function hexValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  if (c >= CHAR_LOWER_A && c <= CHAR_LOWER_F) return c - CHAR_LOWER_A + 10;
  if (c >= CHAR_UPPER_A && c <= CHAR_UPPER_F) return c - CHAR_UPPER_A + 10;
  return -1;
}

/** IPv6 in `text[start, end)` (known to hold a colon), as netip.ParseAddr reads it. */
function parseIPv6(text: string, start: number, end: number): IPAddr | undefined {
  const words: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let ellipsis = -1; // index in `words` where "::" stands
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === CHAR_COLON && text.charCodeAt(i + 1) === CHAR_COLON) {
    ellipsis = 0;
    i += 2;
    if (i === end) return { family: 6, value: 0n };
  }
  while (i < end) {
    const groupStart = i;
    let word = 0;
    let digits = 0;
    for (; i < end; i++) {
      const digit = hexValue(text.charCodeAt(i));
      if (digit < 0) break;
      word = word * 16 + digit;
      digits++;
    }
    if (i < end && text.charCodeAt(i) === CHAR_DOT) {
      // a dotted IPv4 tail: two groups' worth, exactly the last two unless "::" fills the gap
      if ((ellipsis < 0 && count !== 6) || count > 6) return undefined;
      const v4 = parseIPv4(text, groupStart, end);
      if (v4 < 0) return undefined;
      words[count++] = v4 >>> 16;
      words[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return undefined;
    words[count++] = word;
    if (i === end) break;
    if (text.charCodeAt(i) !== CHAR_COLON) return undefined;
    i++;
    if (i === end) return undefined; // a trailing single colon
    if (text.charCodeAt(i) === CHAR_COLON) {
      if (ellipsis >= 0) return undefined; // a second "::"
      ellipsis = count;
      i++;
    }
  }
  if (ellipsis >= 0) {
    if (count === 8) return undefined; // "::" must stand for at least one zero group
    const moved = count - ellipsis;
    for (let k = moved - 1; k >= 0; k--) {
      words[8 - moved + k] = words[ellipsis + k] as number;
    }
    for (let k = ellipsis; k < 8 - moved; k++) words[k] = 0;
  } else if (count !== 8) {
    return undefined;
  }
  let value = 0n;
  for (let k = 0; k < 8; k++) value = (value << 16n) | BigInt(words[k] as number);
  if ((value & IPV4_MAPPED_MASK) === IPV4_MAPPED_PREFIX) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/**
 * Parse `addr/prefix` as Go's net.ParseCIDR: any decimal digits for the prefix (leading zeros too),
 * at most the bits of the address as written. An IPv4-mapped address reads as IPv4 with the prefix
 * less 96, and a mapped address with a prefix under 96 gets prefix 0: that is the text Go prints for
 * both (`::ffff:10.0.0.1/120` is `10.0.0.1/24`, `::ffff:10.0.0.1/64` is `10.0.0.1/0`).
 */
export function parseCIDR(text: string): CIDR | undefined {
  const end = text.length;
  let slash = -1;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === CHAR_SLASH) {
      slash = i;
      break;
    }
  }
  if (slash < 0 || slash + 1 === end) return undefined;
  let prefix = 0;
  for (let i = slash + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) return undefined;
    prefix = prefix * 10 + (c - CHAR_0);
    if (prefix > 128) return undefined;
  }
  const ip = parseIPRange(text, 0, slash);
  if (ip === undefined) return undefined;
  let writtenAsIPv6 = false;
  for (let i = 0; i < slash; i++) {
    if (text.charCodeAt(i) === CHAR_COLON) {
      writtenAsIPv6 = true;
      break;
    }
  }
  if (!writtenAsIPv6) return prefix > 32 ? undefined : { ip, prefix };
  // Go checks the prefix against the 128 bits of the text, then prints a mapped address's mask in IPv4 terms.
  if (ip.family === 4) return { ip, prefix: prefix > 96 ? prefix - 96 : 0 };
  return { ip, prefix };
}

// ---------------------------------------------------------------- printing

/** Canonical text, as Go's net.IP.String(): dotted IPv4; lowercase IPv6 with the longest zero run as `::`. */
export function formatIP(ip: IPAddr): string {
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  const words: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  let rest = ip.value;
  for (let k = 7; k >= 0; k--) {
    words[k] = Number(rest & 0xffffn);
    rest >>= 16n;
  }
  // The longest run (first on a tie) of two or more zero groups becomes "::" (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (words[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && words[j] === 0) j++;
    if (j - k > bestLen) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  let out = "";
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += "::";
      k += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += (words[k] as number).toString(16);
  }
  return out;
}

/** `ip/prefix`, as Go's net.IPNet.String() prints an address with its mask. */
export function formatCIDR(cidr: CIDR): string {
  return `${formatIP(cidr.ip)}/${cidr.prefix}`;
}

// ---------------------------------------------------------------- bytes

/** 4 bytes for IPv4, 16 for IPv6, in network order. */
export function ipToBytes(ip: IPAddr): Uint8Array {
  const bytes = new Uint8Array(ip.family === 4 ? 4 : 16);
  let rest = ip.value;
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** The address in 4 or 16 network-order bytes (an IPv4-mapped one is IPv4, as Go's To4); else undefined. */
export function ipFromBytes(bytes: Uint8Array): IPAddr | undefined {
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i] as number);
  if (bytes.length === 4) return { family: 4, value };
  if ((value & IPV4_MAPPED_MASK) === IPV4_MAPPED_PREFIX) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

// ---------------------------------------------------------------- arithmetic

/** The next address; the largest wraps to the smallest (the zero address) of its family. */
export function nextIP(ip: IPAddr): IPAddr {
  return { family: ip.family, value: (ip.value + 1n) & allOnes(ip.family) };
}

/** The previous address; the zero address wraps to the largest of its family. */
export function prevIP(ip: IPAddr): IPAddr {
  return { family: ip.family, value: (ip.value - 1n) & allOnes(ip.family) };
}

/** The network: host bits cleared, same prefix. */
export function networkOf(cidr: CIDR): CIDR {
  const { ip, prefix } = cidr;
  return { ip: { family: ip.family, value: ip.value & ~hostMask(ip.family, prefix) }, prefix };
}

/** The last address of the network (for IPv4, the broadcast address). */
export function lastAddressOf(cidr: CIDR): IPAddr {
  const { ip, prefix } = cidr;
  return { family: ip.family, value: ip.value | hostMask(ip.family, prefix) };
}

/** Whether `ip` is of the CIDR's family and inside its network. */
export function cidrContains(cidr: CIDR, ip: IPAddr): boolean {
  if (ip.family !== cidr.ip.family) return false;
  const networkMask = ~hostMask(ip.family, cidr.prefix);
  return (ip.value & networkMask) === (cidr.ip.value & networkMask);
}

/** Order by family (IPv4 first), then by value: negative, 0 or positive. */
export function compareIP(a: IPAddr, b: IPAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function sameIP(a: IPAddr, b: IPAddr): boolean {
  return a.family === b.family && a.value === b.value;
}
