// Results: reading every version, writing every version, and all 7×7 conversions (docs/protocol.md §4).
import { describe, expect, it } from "vitest";
import { CniError, ErrorCode, formatCIDR, formatIP, formatResult, parseCIDR, parseIP, parseResult, validateInterfaceIndexes, type Result } from "../src/index";
import { ALL } from "./helpers";

const DNS = { nameservers: ["10.1.0.1"], domain: "example.org", search: ["example.org"], options: ["ndots:2"] };

/** Everything a 1.1.0 result can hold. */
const RICH: Result = {
  cniVersion: "1.1.0",
  interfaces: [
    { name: "br0", mac: "aa:00:00:00:00:01" },
    { name: "eth0", mac: "aa:00:00:00:00:02", mtu: 1400, sandbox: "/var/run/netns/c1", socketPath: "/run/x.sock", pciID: "0000:00:01.0" },
  ],
  ips: [
    { interface: 1, address: "10.1.0.5/24", gateway: "10.1.0.1" },
    { interface: 1, address: "fd00::5/64", gateway: "fd00::1" },
    { interface: 1, address: "10.2.0.5/16" },
  ],
  routes: [
    { dst: "0.0.0.0/0", gw: "10.1.0.1" },
    { dst: "::/0", gw: "fd00::1", mtu: 1300, priority: 5, table: 0, scope: 0 },
    { dst: "192.168.0.0/16", advmss: 1200 },
  ],
  dns: DNS,
};

const IFACES_0X = [
  { name: "br0", mac: "aa:00:00:00:00:01" },
  { name: "eth0", mac: "aa:00:00:00:00:02", sandbox: "/var/run/netns/c1" },
];
const IPS_0X = [
  { version: "4", interface: 1, address: "10.1.0.5/24", gateway: "10.1.0.1" },
  { version: "6", interface: 1, address: "fd00::5/64", gateway: "fd00::1" },
  { version: "4", interface: 1, address: "10.2.0.5/16" },
];
const V02 = (v: string) => ({
  cniVersion: v,
  ip4: { ip: "10.1.0.5/24", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "192.168.0.0/16" }] },
  ip6: { ip: "fd00::5/64", gateway: "fd00::1", routes: [{ dst: "::/0", gw: "fd00::1" }] },
  dns: DNS,
});

/** RICH as printed at each version. */
const AT: Record<string, object> = {
  "1.1.0": RICH,
  "1.0.0": { ...RICH, cniVersion: "1.0.0", interfaces: [IFACES_0X[0], { ...IFACES_0X[1] }] },
  "0.4.0": { cniVersion: "0.4.0", interfaces: IFACES_0X, ips: IPS_0X, routes: RICH.routes, dns: DNS },
  "0.3.1": { cniVersion: "0.3.1", interfaces: IFACES_0X, ips: IPS_0X, routes: RICH.routes, dns: DNS },
  "0.3.0": { cniVersion: "0.3.0", interfaces: IFACES_0X, ips: IPS_0X, routes: RICH.routes, dns: DNS },
  "0.2.0": V02("0.2.0"),
  "0.1.0": V02("0.1.0"),
};

/** What survives a trip through 0.1/0.2: one IP per family, {dst,gw} routes (ip4's first), no interfaces. */
const FROM_02_IPS = [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }, { address: "fd00::5/64", gateway: "fd00::1" }];
const FROM_02_ROUTES = [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }, { dst: "192.168.0.0/16" }, { dst: "::/0", gw: "fd00::1" }];
const FROM_02: Record<string, object> = {
  "1.1.0": { cniVersion: "1.1.0", ips: FROM_02_IPS, routes: FROM_02_ROUTES, dns: DNS },
  "1.0.0": { cniVersion: "1.0.0", ips: FROM_02_IPS, routes: FROM_02_ROUTES, dns: DNS },
  "0.4.0": { cniVersion: "0.4.0", ips: FROM_02_IPS.map((ip, i) => ({ version: i ? "6" : "4", ...ip })), routes: FROM_02_ROUTES, dns: DNS },
  "0.3.1": { cniVersion: "0.3.1", ips: FROM_02_IPS.map((ip, i) => ({ version: i ? "6" : "4", ...ip })), routes: FROM_02_ROUTES, dns: DNS },
  "0.3.0": { cniVersion: "0.3.0", ips: FROM_02_IPS.map((ip, i) => ({ version: i ? "6" : "4", ...ip })), routes: FROM_02_ROUTES, dns: DNS },
  "0.2.0": V02("0.2.0"),
  "0.1.0": V02("0.1.0"),
};

function expectedConversion(from: string, to: string): object {
  if (from === "0.1.0" || from === "0.2.0") return FROM_02[to]!;
  // 0.3.x/0.4.0/1.0.0 carry no mtu/socketPath/pciID, so 1.1.0 gets what 1.0.0 had.
  if (to === "1.1.0" && from !== "1.1.0") return { ...AT["1.0.0"], cniVersion: "1.1.0" };
  return AT[to]!;
}

describe("writing each version", () => {
  it.each(ALL)("RICH at %s", (v) => {
    expect(JSON.parse(formatResult(RICH, v))).toEqual(AT[v]);
  });

  it("prints Go's bytes: 4-space indent, documented key order, no trailing newline", () => {
    const r: Result = {
      cniVersion: "x",
      dns: { domain: "d" },
      routes: [{ scope: 0, dst: "0.0.0.0/0", gw: "10.0.0.1" }],
      ips: [{ gateway: "10.0.0.1", address: "10.0.0.2/24", interface: 0 }],
      interfaces: [{ sandbox: "/n", mac: "m", name: "eth0" }],
    };
    expect(formatResult(r, "1.0.0")).toBe(`{
    "cniVersion": "1.0.0",
    "interfaces": [
        {
            "name": "eth0",
            "mac": "m",
            "sandbox": "/n"
        }
    ],
    "ips": [
        {
            "interface": 0,
            "address": "10.0.0.2/24",
            "gateway": "10.0.0.1"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.0.0.1",
            "scope": 0
        }
    ],
    "dns": {
        "domain": "d"
    }
}`);
    expect(formatResult({ cniVersion: "", ips: [{ address: "10.0.0.2/24" }] }, "0.2.0")).toBe(
      '{\n    "cniVersion": "0.2.0",\n    "ip4": {\n        "ip": "10.0.0.2/24"\n    },\n    "dns": {}\n}',
    );
  });

  it("empty dns: left out in 1.x, `{}` in 0.x", () => {
    const r: Result = { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }], dns: { nameservers: [], search: [] } };
    for (const v of ["1.0.0", "1.1.0"]) expect(JSON.parse(formatResult(r, v))).not.toHaveProperty("dns");
    for (const v of ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0"]) expect(JSON.parse(formatResult(r, v)).dns).toEqual({});
  });

  it("empty lists and zero values are left out as Go's omitempty does", () => {
    const r: Result = { cniVersion: "1.1.0", interfaces: [], ips: [], routes: [{ dst: "10.0.0.0/8", mtu: 0, advmss: 0, priority: 0 }] };
    expect(JSON.parse(formatResult(r, "1.1.0"))).toEqual({ cniVersion: "1.1.0", routes: [{ dst: "10.0.0.0/8" }] });
    const i: Result = { cniVersion: "1.1.0", interfaces: [{ name: "lo", mac: "", mtu: 0, sandbox: "" }] };
    expect(JSON.parse(formatResult(i, "1.1.0"))).toEqual({ cniVersion: "1.1.0", interfaces: [{ name: "lo" }] });
  });

  it.each(["0.1.0", "0.2.0"])("a result with no IP cannot be written at %s (code 1)", (v) => {
    const noIp: Result = { cniVersion: "1.1.0", interfaces: [{ name: "eth0" }], routes: [{ dst: "0.0.0.0/0" }] };
    let err: unknown;
    try {
      formatResult(noIp, v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({ code: 1, message: "cannot convert: no valid IP addresses" });
  });

  it("0.1/0.2 drop routes whose family has no address", () => {
    const r: Result = { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }], routes: [{ dst: "::/0" }, { dst: "10.9.0.0/16", gw: "10.0.0.1", mtu: 9 }] };
    expect(JSON.parse(formatResult(r, "0.2.0"))).toEqual({
      cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", routes: [{ dst: "10.9.0.0/16", gw: "10.0.0.1" }] }, dns: {},
    });
  });

  it("addresses are printed canonically (an IPv4-mapped address counts as IPv4)", () => {
    const r: Result = {
      cniVersion: "1.1.0",
      ips: [{ address: "FD00:0:0::0005/64", gateway: "fd00:0000::1" }, { address: "::ffff:10.0.0.1/120" }],
      routes: [{ dst: "2001:db8:0:0:1:0:0:0/64" }],
    };
    expect(JSON.parse(formatResult(r, "0.4.0"))).toEqual({
      cniVersion: "0.4.0",
      ips: [{ version: "6", address: "fd00::5/64", gateway: "fd00::1" }, { version: "4", address: "10.0.0.1/24" }],
      routes: [{ dst: "2001:db8:0:0:1::/64" }],
      dns: {},
    });
  });

  it("IPv4 text already canonical is printed as is; every other spelling as formatCIDR(parseCIDR()) does", () => {
    // the fast path (no re-parse) must agree with the full parse on every input, canonical or not
    const inputs = [
      "10.0.0.2/24", "0.0.0.0/0", "255.255.255.255/32", "192.168.100.9/9", "10.1.2.3/8",
      "010.0.0.1/24", "10.0.0.01/24", "10.0.0.1/024", "10.0.0.1/00", "10.0.0.1/33", "256.0.0.1/8",
      "10.0.0.1/", "10.0.0/8", "1.2.3.4.5/8", "10.0.0.1/24 ", " 10.0.0.1/24", "10.0.0.1/2a", "10.0.0.1",
      "1.2.3.4/9999999999", "::ffff:10.0.0.1/120", "fd00::5/64",
    ];
    for (const address of inputs) {
      const cidr = parseCIDR(address);
      const gateway = address.split("/")[0]!;
      const gatewayIP = parseIP(gateway);
      const r: Result = { cniVersion: "1.1.0", ips: [{ address, ...(gatewayIP ? { gateway } : {}) }] };
      if (cidr === undefined) {
        expect(() => formatResult(r, "1.1.0"), address).toThrow(/ips\[0\]\.address/);
        continue;
      }
      const ip = JSON.parse(formatResult(r, "1.1.0")).ips[0];
      expect(ip.address, address).toBe(formatCIDR(cidr));
      if (gatewayIP) expect(ip.gateway, gateway).toBe(formatIP(gatewayIP));
    }
    for (const gateway of ["010.0.0.1", "10.0.0.1.", "10.0.0.256", "10.0.0.1 "]) {
      const r: Result = { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", gateway }] };
      const parsed = parseIP(gateway);
      if (parsed === undefined) expect(() => formatResult(r, "1.1.0"), gateway).toThrow(/ips\[0\]\.gateway/);
      else expect(JSON.parse(formatResult(r, "1.1.0")).ips[0].gateway, gateway).toBe(formatIP(parsed));
    }
  });

  it("an unknown version and a malformed address are errors, not garbage", () => {
    expect(() => formatResult(RICH, "2.0.0")).toThrow(CniError);
    expect(() => formatResult({ cniVersion: "1.1.0", ips: [{ address: "10.0.0.1" }] }, "1.1.0")).toThrow(/ips\[0\]\.address/);
  });
});

describe("reading each version", () => {
  it.each(ALL)("%s is read into the current shape", (v) => {
    const parsed = parseResult(JSON.parse(JSON.stringify(AT[v])));
    expect(parsed.cniVersion).toBe("1.1.0");
    const expected = JSON.parse(formatResult(parsed, "1.1.0"));
    expect(expected).toEqual(expectedConversion(v, "1.1.0"));
  });

  it("0.x interfaces drop 1.1-only keys; 1.0.0 keeps what it is given", () => {
    const withExtras = { name: "eth0", mtu: 9000, socketPath: "/s", pciID: "p" };
    expect(parseResult({ cniVersion: "0.4.0", interfaces: [withExtras] }).interfaces).toEqual([{ name: "eth0" }]);
    expect(parseResult({ cniVersion: "1.0.0", interfaces: [withExtras] }).interfaces).toEqual([withExtras]);
  });

  it("a result without cniVersion is the fallback version, else 0.1.0", () => {
    expect(parseResult({ ips: [{ version: "4", address: "10.0.0.2/24" }] }, "0.4.0").ips).toEqual([{ address: "10.0.0.2/24" }]);
    expect(parseResult({ ip4: { ip: "10.0.0.2/24" } }).ips).toEqual([{ address: "10.0.0.2/24" }]);
    expect(parseResult({ cniVersion: "", ip4: { ip: "10.0.0.2/24" } }).ips).toEqual([{ address: "10.0.0.2/24" }]);
  });

  it("keys are read case-insensitively and text input is accepted", () => {
    const parsed = parseResult('{"CNIVersion":"1.0.0","IPs":[{"Address":"10.0.0.2/24","Gateway":"10.0.0.1","Interface":0}],"Routes":[{"Dst":"0.0.0.0/0","GW":"10.0.0.1"}]}');
    expect(parsed).toEqual({
      cniVersion: "1.1.0", ips: [{ interface: 0, address: "10.0.0.2/24", gateway: "10.0.0.1" }], routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }],
    });
  });

  it("an empty gateway is no gateway (Go reads \"\" as a nil IP)", () => {
    expect(parseResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", gateway: "" }] }).ips).toEqual([{ address: "10.0.0.2/24" }]);
  });

  it.each([
    [{ cniVersion: "7.0.0" }, 1, 'unsupported CNI result version "7.0.0"'],
    [{ cniVersion: 1 }, 6, 'invalid result: "cniVersion" must be a string'],
    [{ cniVersion: "1.0.0", ips: {} }, 6, 'invalid result: "ips" must be an array'],
    [{ cniVersion: "1.0.0", ips: [{ address: "10.0.0.300/24" }] }, 6, 'invalid result: "ips[0].address" must be an IP address with a prefix length'],
    [{ cniVersion: "1.0.0", ips: [{ address: "10.0.0.3/33" }] }, 6, 'invalid result: "ips[0].address" must be an IP address with a prefix length'],
    [{ cniVersion: "1.0.0", ips: [{}] }, 6, 'invalid result: "ips[0].address" must be an IP address with a prefix length'],
    [{ cniVersion: "1.0.0", ips: [{ address: "10.0.0.3/24", gateway: "x" }] }, 6, 'invalid result: "ips[0].gateway" must be an IP address'],
    [{ cniVersion: "1.0.0", ips: [{ address: "10.0.0.3/24", interface: "0" }] }, 6, 'invalid result: "ips[0].interface" must be an integer'],
    [{ cniVersion: "1.0.0", routes: [{ gw: "10.0.0.1" }] }, 6, 'invalid result: "routes[0].dst" must be an IP address with a prefix length'],
    [{ cniVersion: "1.0.0", routes: [{ dst: "0.0.0.0/0", table: 1.5 }] }, 6, 'invalid result: "routes[0].table" must be an integer'],
    [{ cniVersion: "1.0.0", interfaces: [{ name: 1 }] }, 6, 'invalid result: "interfaces[0].name" must be a string'],
    [{ cniVersion: "0.2.0", ip4: { ip: "fd00::1" } }, 6, 'invalid result: "ip4.ip" must be an IP address with a prefix length'],
    [{ cniVersion: "0.2.0", ip4: { ip: "10.0.0.1/8", routes: [1] } }, 6, 'invalid result: "ip4.routes[0]" must be an object'],
    [{ cniVersion: "1.0.0", dns: { nameservers: [1] } }, 6, 'invalid result: "dns.nameservers[0]" must be a string'],
    [[], 6, 'invalid result: "result" must be an object'],
    ["{", 6, "invalid result: "],
  ])("%j is code %i: %s", (json, code, msg) => {
    let err: unknown;
    try {
      parseResult(json);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(code);
    expect((err as CniError).message.startsWith(msg)).toBe(true);
  });
});

describe("every conversion: parse at one version, print at another", () => {
  const pairs = ALL.flatMap((from) => ALL.map((to) => [from, to] as const));
  it.each(pairs)("%s -> %s", (from, to) => {
    const source = JSON.parse(JSON.stringify(AT[from]));
    expect(JSON.parse(formatResult(parseResult(source), to))).toEqual(expectedConversion(from, to));
  });

  it.each(pairs)("a result without IPs: %s -> %s", (from, to) => {
    if (from === "0.1.0" || from === "0.2.0") return; // 0.1/0.2 cannot hold such a result in the first place
    const noIp = parseResult({ cniVersion: from, interfaces: [{ name: "eth0" }] });
    if (to === "0.1.0" || to === "0.2.0") {
      expect(() => formatResult(noIp, to)).toThrow("cannot convert: no valid IP addresses");
    } else {
      expect(JSON.parse(formatResult(noIp, to)).interfaces).toEqual([{ name: "eth0" }]);
    }
  });
});

describe("validateInterfaceIndexes", () => {
  function refusal(result: Result): CniError {
    try {
      validateInterfaceIndexes(result, "prevResult");
    } catch (thrown) {
      if (thrown instanceof CniError) return thrown;
      throw thrown;
    }
    throw new Error("accepted");
  }

  it("accepts indexes inside interfaces, and IPs without one", () => {
    expect(() => validateInterfaceIndexes(RICH, "prevResult")).not.toThrow();
    expect(() => validateInterfaceIndexes({ cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/24" }] }, "prevResult")).not.toThrow();
    expect(() => validateInterfaceIndexes({ cniVersion: "1.1.0" }, "prevResult")).not.toThrow();
  });

  it("refuses an index past the end, or negative, with code 7 naming the field", () => {
    const one = { name: "eth0", sandbox: "/var/run/netns/c1" };
    const past = refusal({ cniVersion: "1.1.0", interfaces: [one], ips: [{ interface: 7, address: "10.1.0.5/24" }] });
    expect(past.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(past.message).toBe("prevResult.ips[0].interface 7 is out of range (1 interfaces)");
    const negative = refusal({ cniVersion: "1.1.0", interfaces: [one], ips: [{ interface: 0, address: "10.1.0.5/24" }, { interface: -1, address: "fd00::5/64" }] });
    expect(negative.message).toBe("prevResult.ips[1].interface -1 is out of range (1 interfaces)");
    expect(refusal({ cniVersion: "1.1.0", ips: [{ interface: 0, address: "10.1.0.5/24" }] }).message).toBe(
      "prevResult.ips[0].interface 0 is out of range (0 interfaces)",
    );
  });
});
