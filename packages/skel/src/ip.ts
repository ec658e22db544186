// Just enough IP address handling to read and print results as Go's net.IP / net.IPNet do:
// strict parsing, canonical text (compressed lowercase IPv6, IPv4-mapped IPv6 printed dotted).

/** 4 bytes for IPv4, 16 for IPv6. */
export type IPBytes = Uint8Array;

export interface ParsedCidr {
  ip: IPBytes;
  prefixLength: number;
}

/** Parse dotted-quad IPv4 (no leading zeros, as Go) or IPv6 (with `::` and an optional trailing IPv4). */
export function parseIP(text: string): IPBytes | undefined {
  return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}

function parseIPv4(text: string): IPBytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(text: string): IPBytes | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - groups).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Colon-separated 16-bit groups; the last may be a dotted IPv4 when `allowV4Tail`. */
function parseGroups(text: string, allowV4Tail: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (allowV4Tail && i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIPv4(p);
      if (v4 === undefined) return undefined;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      words.push(parseInt(p, 16));
    }
  }
  return words;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (Go's To4), or the address itself if IPv4. */
function asIPv4(ip: IPBytes): IPBytes | undefined {
  if (ip.length === 4) return ip;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return undefined;
  return ip[10] === 0xff && ip[11] === 0xff ? ip.subarray(12) : undefined;
}

/** 4 when the address is IPv4 or IPv4-mapped (Go's `To4() != nil`), else 6. */
export function ipFamily(ip: IPBytes): 4 | 6 {
  return asIPv4(ip) === undefined ? 6 : 4;
}

/** Canonical text, as Go's net.IP.String(). */
export function formatIP(ip: IPBytes): string {
  const v4 = asIPv4(ip);
  if (v4 !== undefined) return Array.from(v4).join(".");
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((ip[2 * i] as number) << 8) | (ip[2 * i + 1] as number));
  // The longest run (first on a tie) of two or more zero groups becomes "::" (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** `ip/prefix` with a decimal prefix within the family's bits (the IP keeps its host bits). */
export function parseCIDR(text: string): ParsedCidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > ip.length * 8) return undefined;
  return { ip, prefixLength };
}

/** Canonical text, as Go's net.IPNet.String(); an IPv4-mapped address with a /96+ prefix prints as IPv4. */
export function formatCIDR(cidr: ParsedCidr): string {
  const { ip, prefixLength } = cidr;
  if (ip.length === 16 && ipFamily(ip) === 4) {
    if (prefixLength >= 96) return `${formatIP(ip)}/${prefixLength - 96}`;
    return `${formatIPv6Plain(ip)}/${prefixLength}`;
  }
  return `${formatIP(ip)}/${prefixLength}`;
}

/** IPv6 text for an IPv4-mapped address whose prefix cannot be expressed in IPv4 terms. */
function formatIPv6Plain(ip: IPBytes): string {
  const v4 = Array.from(ip.subarray(12)).join(".");
  return `::ffff:${v4}`;
}
