import { describe, expect, it } from "vitest";
import { formatIP, parseIP } from "@cni/skel";
import {
  type RawRange,
  canonicalizeRange,
  canonicalizeRangeSet,
  rangeContains,
  rangesOverlap,
  isReservedAddress,
} from "../src/range";

const ip = (text: string) => parseIP(text)!;
function summary(raw: RawRange) {
  const r = canonicalizeRange(raw);
  return { start: formatIP(r.rangeStart), end: formatIP(r.rangeEnd), gateway: formatIP(r.gateway) };
}

describe("range defaults", () => {
  it("/24: .1 to .254, gateway .1", () => {
    expect(summary({ subnet: "192.0.2.0/24" })).toEqual({ start: "192.0.2.1", end: "192.0.2.254", gateway: "192.0.2.1" });
  });
  it("/25: .1 to .126", () => {
    expect(summary({ subnet: "192.0.2.0/25" })).toEqual({ start: "192.0.2.1", end: "192.0.2.126", gateway: "192.0.2.1" });
  });
  it("IPv6 /64: ::1 to the all-ones address", () => {
    expect(summary({ subnet: "2001:db8:1::/64" })).toEqual({
      start: "2001:db8:1::1",
      end: "2001:db8:1:0:ffff:ffff:ffff:ffff",
      gateway: "2001:db8:1::1",
    });
  });
  it("keeps every field given", () => {
    expect(
      summary({ subnet: "10.1.0.0/16", rangeStart: "10.1.2.10", rangeEnd: "10.1.2.20", gateway: "10.1.0.254" }),
    ).toEqual({ start: "10.1.2.10", end: "10.1.2.20", gateway: "10.1.0.254" });
  });
});

describe("range validation messages", () => {
  it.each<[RawRange, string]>([
    [{ subnet: "192.0.2.5/24" }, "Network has host bits set. For a subnet mask of length 24 the network address is 192.0.2.0"],
    [{ subnet: "2001:db8:1::1/64" }, "Network has host bits set. For a subnet mask of length 64 the network address is 2001:db8:1::"],
    [{ subnet: "192.0.2.0/31" }, "Network 192.0.2.0/31 too small to allocate from"],
    [{ subnet: "192.0.2.0/32" }, "Network 192.0.2.0/32 too small to allocate from"],
    [{ subnet: "2001:db8::/127" }, "Network 2001:db8::/127 too small to allocate from"],
    [{ subnet: "192.0.2.0/24", rangeStart: "192.0.3.1" }, "RangeStart 192.0.3.1 not in network 192.0.2.0/24"],
    [{ subnet: "192.0.2.0/24", rangeEnd: "192.0.3.1" }, "RangeEnd 192.0.3.1 not in network 192.0.2.0/24"],
    [{ subnet: "192.0.2.0/24", rangeStart: "192.0.2.50", rangeEnd: "192.0.2.40" }, "RangeStart 192.0.2.50 is after RangeEnd 192.0.2.40"],
    [{ subnet: "192.0.2.0/24", rangeStart: "fd00::1" }, "RangeStart fd00::1 not in network 192.0.2.0/24"],
    [{ subnet: "192.0.2.0/24", gateway: "fd00::1" }, "gateway fd00::1 is not an IPv4 address like subnet 192.0.2.0/24"],
    [{ subnet: "banana" }, 'invalid subnet "banana": not an address/prefix'],
    [{ subnet: "192.0.2.0/24", rangeStart: "banana" }, 'invalid rangeStart "banana": not an IP address'],
    [{}, "subnet is missing"],
  ])("%j -> %s", (raw, message) => {
    expect(() => canonicalizeRange(raw)).toThrow(message);
  });

  it("the gateway is not required to be inside the subnet (as in Go)", () => {
    expect(summary({ subnet: "10.1.2.0/24", gateway: "10.9.9.9" }).gateway).toBe("10.9.9.9");
  });
});

describe("range membership and overlap", () => {
  const r = canonicalizeRange({ subnet: "192.0.2.0/24", rangeStart: "192.0.2.10", rangeEnd: "192.0.2.20" });
  it("contains its bounds, nothing outside them", () => {
    expect(rangeContains(r, ip("192.0.2.10"))).toBe(true);
    expect(rangeContains(r, ip("192.0.2.20"))).toBe(true);
    expect(rangeContains(r, ip("192.0.2.9"))).toBe(false);
    expect(rangeContains(r, ip("192.0.2.21"))).toBe(false);
    expect(rangeContains(r, ip("::ffff:192.0.2.15"))).toBe(true);
    expect(rangeContains(r, ip("fd00::15"))).toBe(false);
  });
  it("v6 bounds", () => {
    const r6 = canonicalizeRange({ subnet: "2001:db8:1::/64" });
    expect(rangeContains(r6, ip("2001:db8:1::1"))).toBe(true);
    expect(rangeContains(r6, ip("2001:db8:1:0:ffff:ffff:ffff:ffff"))).toBe(true);
    expect(rangeContains(r6, ip("2001:db8:1::"))).toBe(false);
    expect(rangeContains(r6, ip("2001:db8:1:1::"))).toBe(false);
  });
  it.each<[RawRange, RawRange, boolean]>([
    [{ subnet: "10.0.0.0/24" }, { subnet: "10.0.1.0/24" }, false],
    [{ subnet: "10.0.0.0/24" }, { subnet: "fd00::/64" }, false],
    [{ subnet: "10.0.0.0/24" }, { subnet: "10.0.0.0/24" }, true],
    [{ subnet: "10.0.0.0/16" }, { subnet: "10.0.5.0/24" }, true],
    [{ subnet: "10.0.0.0/24", rangeEnd: "10.0.0.127" }, { subnet: "10.0.0.0/24", rangeStart: "10.0.0.128" }, false],
    [{ subnet: "10.0.0.0/24", rangeEnd: "10.0.0.127" }, { subnet: "10.0.0.0/24", rangeStart: "10.0.0.127" }, true],
  ])("%j and %j overlap: %s", (a, b, overlap) => {
    expect(rangesOverlap(canonicalizeRange(a), canonicalizeRange(b))).toBe(overlap);
  });
  it("never hands out the gateway, IPv4 network or broadcast address", () => {
    const wide = canonicalizeRange({ subnet: "10.0.0.0/24", rangeStart: "10.0.0.0", rangeEnd: "10.0.0.255" });
    expect(isReservedAddress(wide, ip("10.0.0.0"))).toBe(true);
    expect(isReservedAddress(wide, ip("10.0.0.255"))).toBe(true);
    expect(isReservedAddress(wide, ip("10.0.0.1"))).toBe(true);
    expect(isReservedAddress(wide, ip("10.0.0.2"))).toBe(false);
    const v6 = canonicalizeRange({ subnet: "fd00::/120", rangeStart: "fd00::" });
    expect(isReservedAddress(v6, ip("fd00::"))).toBe(false);
    expect(isReservedAddress(v6, ip("fd00::1"))).toBe(true);
  });
});

describe("range sets", () => {
  it("rejects empty sets, mixed families and overlaps inside a set", () => {
    expect(() => canonicalizeRangeSet([])).toThrow("empty range set");
    expect(() => canonicalizeRangeSet([{ subnet: "10.0.0.0/24" }, { subnet: "fd00::/64" }])).toThrow("mixed address families");
    expect(() =>
      canonicalizeRangeSet([{ subnet: "10.1.0.0/22" }, { subnet: "10.1.2.0/24" }]),
    ).toThrow("subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap");
  });
});
