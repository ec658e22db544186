// skel's IP parser and formatter (src/ip.ts: char-code loops on every call's path) against ip-address, an
// independent implementation, on generated input. ip-address is only the oracle here, never loaded by a
// plugin. Where the two are meant to differ, the test says so: Go (and so skel) reads an IPv4-mapped IPv6
// address as IPv4, and rejects zones ("%eth0") that ip-address accepts; so the property on arbitrary text
// is one way: whatever skel accepts, ip-address accepts as the same address.
// FUZZ_RUNS / FUZZ_SEED as in fuzz-random.ts.
import { Address4, Address6 } from "ip-address";
import { describe, expect, it } from "vitest";
import { cidrContains, formatCIDR, formatIP, lastAddressOf, networkOf, parseCIDR, parseIP, type IPAddr } from "../src/index";
import { forAll, mutateString, type Random } from "./fuzz-random";

const MAPPED_PREFIX = 0xffffn << 32n;
const V4_MASK = 0xffffffffn;

/** A 32-bit value, edge values often. */
function randomV4(random: Random): bigint {
  switch (random.int(6)) {
    case 0:
      return random.pick([0n, V4_MASK, 0x7f000001n, 0x0a000000n, 0xc0a80001n]);
    case 1:
      return BigInt(random.int(256)) << BigInt(8 * random.int(4));
    default:
      return BigInt(random.next());
  }
}

/** A 128-bit value made of groups that are often zero (so `::` runs of every length and position occur), never IPv4-mapped. */
function randomV6(random: Random): bigint {
  let value = 0n;
  for (let group = 0; group < 8; group++) {
    const kind = random.int(5);
    const word = kind < 2 ? 0 : kind === 2 ? random.pick([1, 0xffff, 0xfe80, 0x2001, 0xdb8]) : random.int(0x10000);
    value = (value << 16n) | BigInt(word);
  }
  return value >> 32n === 0xffffn ? value ^ (1n << 100n) : value;
}

/** A 16-bit group as text: any case, with up to 4 digits of leading zeros. */
function groupText(random: Random, word: number): string {
  let text = word.toString(16);
  while (text.length < 4 && random.int(3) === 0) text = `0${text}`;
  return random.bool() ? text.toUpperCase() : text;
}

/** One of the many texts of an IPv6 value: any zero run (or none) as `::`, sometimes a dotted IPv4 tail. */
function v6Text(random: Random, value: bigint): string {
  const words: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) words.push(Number((value >> shift) & 0xffffn));
  const dottedTail = random.int(4) === 0;
  const groups = dottedTail ? words.slice(0, 6) : words;
  const parts = groups.map((word) => groupText(random, word));
  // a run of zero groups to write as "::", picked at random among all runs
  const runs: [number, number][] = [];
  for (let start = 0; start < groups.length; start++) {
    for (let end = start; end < groups.length && groups[end] === 0; end++) runs.push([start, end + 1]);
  }
  const tail = dottedTail ? [formatV4(value & V4_MASK)] : [];
  if (runs.length === 0 || random.int(4) === 0) return [...parts, ...tail].join(":");
  const [start, end] = random.pick(runs);
  const head = parts.slice(0, start).join(":");
  const rest = [...parts.slice(end), ...tail].join(":");
  return `${head}::${rest}`;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

/** The value ip-address gives `text` as IPv4 or IPv6, or undefined when it rejects it. */
function oracleValue(text: string): bigint | undefined {
  try {
    return text.includes(":") ? new Address6(text).bigInt() : new Address4(text).bigInt();
  } catch {
    return undefined;
  }
}

/** skel's address as ip-address would number it: a mapped one (skel: IPv4) back in ::ffff:0:0/96 when written as IPv6. */
function asWritten(ip: IPAddr, text: string): bigint {
  return ip.family === 4 && text.includes(":") ? MAPPED_PREFIX | ip.value : ip.value;
}

describe("skel's IP text against ip-address", () => {
  it("IPv4: formatIP prints what ip-address prints, and parseIP reads it back", () => {
    forAll("ipv4-format", randomV4, (value) => {
      const text = formatIP({ family: 4, value });
      expect(text).toBe(Address4.fromBigInt(value).correctForm());
      expect(parseIP(text)).toEqual({ family: 4, value });
    });
  });

  it("IPv6: formatIP prints ip-address's canonical form (RFC 5952), and parseIP reads it back", () => {
    forAll("ipv6-format", randomV6, (value) => {
      const text = formatIP({ family: 6, value });
      expect(text).toBe(Address6.fromBigInt(value).correctForm());
      expect(parseIP(text)).toEqual({ family: 6, value });
    });
  });

  it("IPv6: every way of writing an address (case, leading zeros, any zero run as ::, a dotted tail) reads as ip-address reads it", () => {
    forAll(
      "ipv6-texts",
      (random) => {
        const value = randomV6(random);
        return { value, text: v6Text(random, value) };
      },
      ({ value, text }) => {
        expect(oracleValue(text)).toBe(value);
        expect(parseIP(text)).toEqual({ family: 6, value });
      },
    );
  });

  it("IPv4-mapped IPv6 text is IPv4 to skel (as Go's To4), the same address to ip-address", () => {
    forAll(
      "ipv4-mapped",
      (random) => {
        const v4 = randomV4(random);
        return random.bool() ? `::ffff:${formatV4(v4)}` : v6Text(random, MAPPED_PREFIX | v4);
      },
      (text) => {
        const parsed = parseIP(text);
        expect(parsed?.family).toBe(4);
        expect(asWritten(parsed!, text)).toBe(oracleValue(text));
      },
    );
  });

  it("arbitrary text: whatever skel accepts, ip-address accepts as the same address", () => {
    const alphabet = "0123456789abcdefABCDEFx:./% ";
    forAll(
      "ip-mutations",
      (random) => {
        const family = random.int(3);
        const base = family === 0 ? formatV4(randomV4(random)) : family === 1 ? v6Text(random, randomV6(random)) : `::ffff:${formatV4(randomV4(random))}`;
        return mutateString(random, base, alphabet);
      },
      (text) => {
        const parsed = parseIP(text);
        if (parsed === undefined) return;
        expect(oracleValue(text)).toBe(asWritten(parsed, text));
      },
    );
  });
});

describe("skel's CIDRs against ip-address", () => {
  it("parseCIDR, networkOf, lastAddressOf, formatCIDR and cidrContains agree with ip-address's subnet", () => {
    forAll(
      "cidr",
      (random) => {
        const family = random.bool() ? 4 : 6;
        const bits = family === 4 ? 32 : 128;
        const value = family === 4 ? randomV4(random) : randomV6(random);
        const other = family === 4 ? randomV4(random) : randomV6(random);
        return { family, value, prefix: random.int(bits + 1), other } as const;
      },
      ({ family, value, prefix, other }) => {
        const text = `${formatIP({ family, value })}/${prefix}`;
        const oracle = family === 4 ? new Address4(text) : new Address6(text);
        const cidr = parseCIDR(text);
        expect(cidr).toEqual({ ip: { family, value }, prefix });
        expect(oracle.subnetMask).toBe(prefix);
        const network = networkOf(cidr!);
        expect(network.ip.value).toBe(oracle.startAddress().bigInt());
        expect(formatCIDR(network)).toBe(`${oracle.startAddress().correctForm()}/${prefix}`);
        expect(lastAddressOf(cidr!).value).toBe(oracle.endAddress().bigInt());
        const candidate = family === 4 ? Address4.fromBigInt(other) : Address6.fromBigInt(other);
        expect(cidrContains(cidr!, { family, value: other })).toBe(candidate.isInSubnet(oracle));
      },
    );
  });
});
