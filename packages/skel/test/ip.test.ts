// IP text as Go's net package reads and prints it. The expected texts below are what the Go reference
// plugins print (static IPAM 1.1.1, addresses and gateways echoed into its result); "00000::1", which
// that Go 1.19 build still reads, follows current Go's netip (at most 4 hex digits a group).
import { describe, expect, it } from "vitest";
import { type CIDR, type IPAddr, cidrContains, compareIP, formatCIDR, formatIP, ipFromBytes, ipToBytes, lastAddressOf, networkOf, nextIP, parseCIDR, parseIP, prevIP, sameIP } from "../src/index";

const v4 = (value: bigint): IPAddr => ({ family: 4, value });
const v6 = (value: bigint): IPAddr => ({ family: 6, value });
const ip = (text: string): IPAddr => {
  const parsed = parseIP(text);
  if (parsed === undefined) throw new Error(`test address ${text} does not parse`);
  return parsed;
};
const cidr = (text: string): CIDR => {
  const parsed = parseCIDR(text);
  if (parsed === undefined) throw new Error(`test CIDR ${text} does not parse`);
  return parsed;
};

describe("parseIP / formatIP", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1", 4],
    ["0.0.0.0", "0.0.0.0", 4],
    ["255.255.255.255", "255.255.255.255", 4],
    ["::", "::", 6],
    ["::1", "::1", 6],
    ["FD00::1", "fd00::1", 6],
    ["fd00:0:0:0:0:0:0:1", "fd00::1", 6],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6],
    ["2001:0db8:0000:0001:0000:0000:0000:0001", "2001:db8:0:1::1", 6],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0", 6],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1", 6],
    ["0:0:1:0:0:1:0:0", "::1:0:0:1:0:0", 6],
    ["2001:db8:1::ffff:ffff:ffff:ffff", "2001:db8:1:0:ffff:ffff:ffff:ffff", 6],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 6],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", 6],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", 6],
    ["0000::1", "::1", 6],
    ["::ffff:10.1.2.3", "10.1.2.3", 4],
    ["0:0:0:0:0:ffff:a01:203", "10.1.2.3", 4],
    ["::FFFF:a01:203", "10.1.2.3", 4],
    ["::10.1.2.3", "::a01:203", 6],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", 6],
    ["1::1.2.3.4", "1::102:304", 6],
    ["fe80::1:2", "fe80::1:2", 6],
  ] as const)("%s -> %s (IPv%i)", (text, canonical, family) => {
    const parsed = ip(text);
    expect(parsed.family).toBe(family);
    expect(formatIP(parsed)).toBe(canonical);
  });

  it.each([
    "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.1", "1.2.3.-1", "a.b.c.d", "1..2.3", "1.2.3.", ".1.2.3",
    "0x1.2.3.4", ":::", "1::2::3", "12345::", "00000::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1",
    "-1::", "fe80::1%eth0", "1.2.3.4%eth0", " 10.0.0.1", "1.2.3.4 ", "10.0.0.1/24", "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8", "1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "1.2.3.4::", ":1::",
    "1::2:", "1:", "::01.2.3.4", "::ffff:256.1.1.1", "::ffff:1.2.3",
  ])("%j is not an IP", (text) => expect(parseIP(text)).toBeUndefined());

  it("holds the address as an unsigned integer", () => {
    expect(ip("10.1.2.3")).toEqual(v4(0x0a010203n));
    expect(ip("255.255.255.255")).toEqual(v4(0xffffffffn));
    expect(ip("fd00::9")).toEqual(v6((0xfd00n << 112n) + 9n));
    expect(ip("::ffff:10.1.2.3")).toEqual(v4(0x0a010203n));
    expect(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toEqual(v6((1n << 128n) - 1n));
  });
});

describe("parseCIDR / formatCIDR", () => {
  it.each([
    ["10.1.2.3/24", "10.1.2.3/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["FD00::5/64", "fd00::5/64"],
    ["::/0", "::/0"],
    ["fd00::/128", "fd00::/128"],
    ["1:2::3/64", "1:2::3/64"],
    ["10.0.0.1/024", "10.0.0.1/24"],
    ["10.0.0.1/0000000032", "10.0.0.1/32"],
    ["::ffff:10.0.0.1/120", "10.0.0.1/24"],
    ["::ffff:10.0.0.1/128", "10.0.0.1/32"],
    ["::ffff:10.0.0.1/96", "10.0.0.1/0"],
    ["::ffff:10.0.0.1/64", "10.0.0.1/0"],
  ])("%s -> %s", (text, canonical) => expect(formatCIDR(cidr(text))).toBe(canonical));

  it.each([
    "10.0.0.1", "10.0.0.1/33", "fd00::/129", "::ffff:10.0.0.1/129", "10.0.0.1/", "10.0.0.1/x", "10.0.0.1/-1",
    "10.0.0.1/+24", "10.0.0.1/ 24", "/24", "10.0.0.1/24/1", "01.0.0.1/8", "fe80::1%eth0/64",
  ])("%j is not a CIDR", (text) => expect(parseCIDR(text)).toBeUndefined());

  it("keeps the host bits", () => {
    expect(cidr("10.1.2.3/24")).toEqual({ ip: v4(0x0a010203n), prefix: 24 });
    expect(cidr("::ffff:10.1.2.3/120")).toEqual({ ip: v4(0x0a010203n), prefix: 24 });
  });
});

describe("bytes", () => {
  it("are network order, 4 bytes for IPv4 and 16 for IPv6", () => {
    expect(Array.from(ipToBytes(ip("10.1.2.3")))).toEqual([10, 1, 2, 3]);
    expect(Array.from(ipToBytes(ip("fd00::102")))).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    expect(Array.from(ipToBytes(ip("::ffff:10.1.2.3")))).toEqual([10, 1, 2, 3]);
  });

  it("read back, an IPv4-mapped 16 bytes as IPv4; other lengths are no address", () => {
    expect(ipFromBytes(Uint8Array.of(10, 1, 2, 3))).toEqual(v4(0x0a010203n));
    expect(ipFromBytes(ipToBytes(ip("2001:db8::1")))).toEqual(ip("2001:db8::1"));
    expect(ipFromBytes(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3))).toEqual(v4(0x0a010203n));
    expect(ipFromBytes(Uint8Array.of(10, 1, 2))).toBeUndefined();
    expect(ipFromBytes(new Uint8Array(0))).toBeUndefined();
  });
});

describe("arithmetic", () => {
  it("next and previous address, wrapping within the family", () => {
    expect(formatIP(nextIP(ip("10.1.2.255")))).toBe("10.1.3.0");
    expect(formatIP(prevIP(ip("10.1.3.0")))).toBe("10.1.2.255");
    expect(formatIP(nextIP(ip("fd00::ffff")))).toBe("fd00::1:0");
    expect(formatIP(nextIP(ip("255.255.255.255")))).toBe("0.0.0.0");
    expect(formatIP(prevIP(ip("0.0.0.0")))).toBe("255.255.255.255");
    expect(formatIP(prevIP(ip("::")))).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(nextIP(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).toEqual(v6(0n));
  });

  it("network, last address, and the gateway a bridge derives (network + 1)", () => {
    expect(formatCIDR(networkOf(cidr("10.1.2.3/24")))).toBe("10.1.2.0/24");
    expect(formatIP(lastAddressOf(cidr("10.1.2.3/24")))).toBe("10.1.2.255");
    expect(formatIP(nextIP(networkOf(cidr("10.1.2.3/24")).ip))).toBe("10.1.2.1");
    expect(formatCIDR(networkOf(cidr("fd00:1:2:3:4::5/64")))).toBe("fd00:1:2:3::/64");
    expect(formatIP(lastAddressOf(cidr("fd00:1:2:3:4::5/64")))).toBe("fd00:1:2:3:ffff:ffff:ffff:ffff");
    expect(formatCIDR(networkOf(cidr("10.1.2.3/0")))).toBe("0.0.0.0/0");
    expect(formatIP(lastAddressOf(cidr("10.1.2.3/32")))).toBe("10.1.2.3");
  });

  it("contains: same family and network", () => {
    const net = cidr("10.1.2.0/23");
    expect(cidrContains(net, ip("10.1.3.255"))).toBe(true);
    expect(cidrContains(net, ip("10.1.2.0"))).toBe(true);
    expect(cidrContains(net, ip("10.1.4.0"))).toBe(false);
    expect(cidrContains(net, ip("10.1.1.255"))).toBe(false);
    expect(cidrContains(cidr("::/0"), ip("10.1.2.3"))).toBe(false);
    expect(cidrContains(cidr("0.0.0.0/0"), ip("::a01:203"))).toBe(false);
    expect(cidrContains(cidr("fd00::/8"), ip("fdff::1"))).toBe(true);
  });

  it("compare: IPv4 before IPv6, then by value; same", () => {
    const sorted = ["fd00::1", "10.0.0.2", "::", "10.0.0.1", "255.255.255.255"].map(ip).sort(compareIP).map(formatIP);
    expect(sorted).toEqual(["10.0.0.1", "10.0.0.2", "255.255.255.255", "::", "fd00::1"]);
    expect(compareIP(ip("10.0.0.1"), ip("::ffff:10.0.0.1"))).toBe(0);
    expect(sameIP(ip("10.0.0.1"), ip("::ffff:10.0.0.1"))).toBe(true);
    expect(sameIP(ip("0.0.0.1"), ip("::1"))).toBe(false);
  });
});
