// IP text as Go's net package reads and prints it.
import { describe, expect, it } from "vitest";
import { formatCIDR, formatIP, ipFamily, parseCIDR, parseIP } from "../src/ip";

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
    ["::ffff:10.1.2.3", "10.1.2.3", 4],
    ["::10.1.2.3", "::a01:203", 6],
    ["fe80::1:2", "fe80::1:2", 6],
  ])("%s -> %s (IPv%i)", (text, canonical, family) => {
    const ip = parseIP(text)!;
    expect(ip).toBeDefined();
    expect(formatIP(ip)).toBe(canonical);
    expect(ipFamily(ip)).toBe(family);
  });

  it.each(["", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.1", "1.2.3.-1", "a.b.c.d", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "fe80::1%eth0", " 10.0.0.1"])(
    "%j is not an IP",
    (text) => expect(parseIP(text)).toBeUndefined(),
  );
});

describe("parseCIDR / formatCIDR", () => {
  it.each([
    ["10.1.2.3/24", "10.1.2.3/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["FD00::5/64", "fd00::5/64"],
    ["::/0", "::/0"],
    ["::ffff:10.0.0.1/120", "10.0.0.1/24"],
    ["::ffff:10.0.0.1/64", "::ffff:10.0.0.1/64"],
  ])("%s -> %s", (text, canonical) => expect(formatCIDR(parseCIDR(text)!)).toBe(canonical));

  it.each(["10.0.0.1", "10.0.0.1/33", "fd00::/129", "10.0.0.1/", "10.0.0.1/x", "10.0.0.1/-1", "/24", "10.0.0.1/24/1"])("%j is not a CIDR", (text) =>
    expect(parseCIDR(text)).toBeUndefined(),
  );
});
