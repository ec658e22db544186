import { describe, expect, it } from "vitest";
import { formatIP, parseCIDR, parseIP, parseIPMaybeCIDR } from "../src/ip";

describe("addresses", () => {
  it.each([
    ["10.1.2.3", "10.1.2.3"],
    ["FD00::A", "fd00::a"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["1:0:0:0:1:0:0:0", "1::1:0:0:0"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8:1::ffff:ffff:ffff:ffff", "2001:db8:1:0:ffff:ffff:ffff:ffff"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
  ])("%s prints as Go prints it: %s", (text, canonical) => {
    const ip = parseIP(text);
    expect(ip).toBeDefined();
    expect(formatIP(ip!)).toBe(canonical);
  });

  it.each(["", "10.1.2", "010.1.2.3", "10.1.2.3/24", " 10.1.2.3", "fe80::1%eth0", "1::2::3", "garbage"])(
    "rejects %j as an address",
    (text) => expect(parseIP(text)).toBeUndefined(),
  );

  it("parses CIDR text and requested addresses with or without a prefix", () => {
    expect(parseCIDR("10.1.2.0/24")).toEqual({ ip: { family: 4, value: 0x0a010200n }, prefix: 24 });
    expect(parseCIDR("10.1.2.0/33")).toBeUndefined();
    expect(parseCIDR("10.1.2.0")).toBeUndefined();
    expect(parseIPMaybeCIDR("10.1.2.9/24")).toEqual({ family: 4, value: 0x0a010209n });
    expect(parseIPMaybeCIDR("fd00::9")).toEqual({ family: 6, value: (0xfd00n << 112n) + 9n });
  });
});

describe("dotted quads, as Go reads them", () => {
  it.each(["0.0.0.0", "10.1.2.3", "255.255.255.255", "192.168.0.10", "1.2.3.4"])("parses %s", (text) => {
    const ip = parseIP(text);
    expect(ip?.family).toBe(4);
    expect(formatIP(ip!)).toBe(text);
  });
  it.each(["256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "1.2.3.-4", "010.1.2.3"])("rejects %s", (text) => {
    expect(parseIP(text)).toBeUndefined();
  });
});
