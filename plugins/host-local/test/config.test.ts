import { describe, expect, it } from "vitest";
import { CniError, type JsonObject, formatIP, parseNetConf } from "@cni/skel";
import { loadIpamConfig } from "../src/config";
import { rangeSetToString } from "../src/range";

function load(raw: JsonObject, cniArgs = "") {
  return loadIpamConfig(parseNetConf({ cniVersion: "1.0.0", name: "mynet", type: "host-local", ...raw }), cniArgs);
}
function expectError(raw: JsonObject, message: string, code = 7, cniArgs = "") {
  try {
    load(raw, cniArgs);
  } catch (err) {
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(code);
    expect((err as CniError).message).toBe(message);
    return;
  }
  throw new Error(`expected "${message}"`);
}
const sets = (raw: JsonObject) => load(raw).rangeSets.map(rangeSetToString);

describe("host-local config", () => {
  it("old style: one range from top-level keys, defaults filled in", () => {
    const conf = load({ ipam: { type: "host-local", subnet: "10.1.2.0/24", gateway: "10.1.2.254" } });
    expect(conf.rangeSets.map(rangeSetToString)).toEqual(["10.1.2.1-10.1.2.254"]);
    expect(formatIP(conf.rangeSets[0]![0]!.gateway)).toBe("10.1.2.254");
    expect(conf.dataDir).toBe("/var/lib/cni/networks");
    expect(conf.routes).toEqual([]);
    expect(conf.name).toBe("mynet");
  });

  it("order: runtimeConfig.ipRanges, then the legacy range, then ranges", () => {
    expect(
      sets({
        ipam: {
          type: "host-local",
          subnet: "10.1.0.0/24",
          ranges: [[{ subnet: "10.2.0.0/24" }, { subnet: "10.3.0.0/24" }], [{ subnet: "fd00::/120" }]],
        },
        runtimeConfig: { ipRanges: [[{ subnet: "10.9.0.0/24" }]] },
      }),
    ).toEqual(["10.9.0.1-10.9.0.254", "10.1.0.1-10.1.0.254", "10.2.0.1-10.2.0.254,10.3.0.1-10.3.0.254", "fd00::1-fd00::ff"]);
  });

  it("keys are case-insensitive", () => {
    const conf = load({
      IPAM: { Type: "host-local", SUBNET: "10.1.2.0/24", DataDir: "/tmp/x", Routes: [{ DST: "0.0.0.0/0" }] },
      RuntimeConfig: { IPRanges: [[{ Subnet: "10.5.0.0/24", RangeStart: "10.5.0.9" }]] },
    });
    expect(conf.rangeSets.map(rangeSetToString)).toEqual(["10.5.0.9-10.5.0.254", "10.1.2.1-10.1.2.254"]);
    expect(conf.dataDir).toBe("/tmp/x");
    expect(conf.routes).toEqual([{ dst: "0.0.0.0/0" }]);
  });

  it("routes are passed through, checked, every field kept", () => {
    const conf = load({
      ipam: {
        subnet: "10.1.2.0/24",
        routes: [{ dst: "0.0.0.0/0" }, { dst: "192.168.0.0/16", gw: "10.1.2.9", mtu: 1400, priority: 5, table: 100, scope: 0, advmss: 1300 }, { dst: "::/0" }],
      },
    });
    expect(conf.routes).toEqual([
      { dst: "0.0.0.0/0" },
      { dst: "192.168.0.0/16", gw: "10.1.2.9", mtu: 1400, advmss: 1300, priority: 5, table: 100, scope: 0 },
      { dst: "::/0" },
    ]);
    // skel's route decoder: the message names the key, the details hold the value
    expectError({ ipam: { subnet: "10.1.2.0/24", routes: [{ dst: "nope" }] } }, '"ipam.routes[0].dst" must be an IP address with a prefix length');
    expectError({ ipam: { subnet: "10.1.2.0/24", routes: [{ gw: "10.1.2.1" }] } }, '"ipam.routes[0].dst" must be an IP address with a prefix length');
    expectError({ ipam: { subnet: "10.1.2.0/24", routes: [{ dst: "0.0.0.0/0", gw: "10.1.2" }] } }, '"ipam.routes[0].gw" must be an IP address');
    expectError({ ipam: { subnet: "10.1.2.0/24", routes: ["0.0.0.0/0"] } }, '"ipam.routes[0]" must be an object');
    expect(() => load({ ipam: { subnet: "10.1.2.0/24", routes: [{ dst: "nope" }] } })).toThrow(
      expect.objectContaining({ details: 'got string "nope"' }),
    );
  });

  it("requested IPs: CNI_ARGS IP first, then args.cni.ips, then runtimeConfig.ips; prefixes dropped", () => {
    const conf = load(
      {
        ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "2001:db8::/64" }]] },
        args: { cni: { ips: ["10.1.2.11/24", "2001:db8::11"] } },
        runtimeConfig: { ips: ["10.1.2.12"] },
      },
      "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.1.2.10/24",
    );
    expect(conf.requestedIPs.map(formatIP)).toEqual(["10.1.2.10", "10.1.2.11", "2001:db8::11", "10.1.2.12"]);
  });

  it("bad requested IPs and CNI_ARGS are errors", () => {
    const ipam = { subnet: "10.1.2.0/24" };
    expectError({ ipam }, 'CNI_ARGS: IP "banana" is not an IP address', 4, "IP=banana");
    expectError({ ipam, args: { cni: { ips: ["10.1.2"] } } }, '"args.cni.ips": "10.1.2" is not an IP address');
    expectError({ ipam, runtimeConfig: { ips: ["x"] } }, '"runtimeConfig.ips": "x" is not an IP address');
    expect(() => load({ ipam }, "FOO=bar")).toThrow(/unknown args/);
  });

  it.each<[string, JsonObject, string]>([
    ["missing ipam", {}, "IPAM config missing 'ipam' key"],
    ["no ranges", { ipam: { type: "host-local" } }, "no IP ranges specified"],
    ["host bits", { ipam: { subnet: "10.1.2.3/24" } }, "invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.1.2.0"],
    ["too small", { ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "10.1.3.0/31" }]] } }, "invalid range set 1: Network 10.1.3.0/31 too small to allocate from"],
    ["start outside", { ipam: { subnet: "10.1.2.0/24", rangeStart: "10.1.3.5" } }, "invalid range set 0: RangeStart 10.1.3.5 not in network 10.1.2.0/24"],
    ["end outside", { ipam: { subnet: "10.1.2.0/24", rangeEnd: "10.1.3.5" } }, "invalid range set 0: RangeEnd 10.1.3.5 not in network 10.1.2.0/24"],
    ["start after end", { ipam: { subnet: "10.1.2.0/24", rangeStart: "10.1.2.9", rangeEnd: "10.1.2.5" } }, "invalid range set 0: RangeStart 10.1.2.9 is after RangeEnd 10.1.2.5"],
    ["mixed families", { ipam: { ranges: [[{ subnet: "10.1.2.0/24" }, { subnet: "fd00::/64" }]] } }, "invalid range set 0: mixed address families"],
    ["overlap inside a set", { ipam: { ranges: [[{ subnet: "10.1.0.0/22" }, { subnet: "10.1.2.0/24" }]] } }, "invalid range set 0: subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap"],
    ["overlap across sets", { ipam: { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00::/64" }], [{ subnet: "10.1.0.0/25" }]] } }, "range set 0 overlaps with 2"],
    ["empty set", { ipam: { ranges: [[]] } }, "invalid range set 0: empty range set"],
    ["set not an array", { ipam: { ranges: [{ subnet: "10.1.0.0/24" }] } }, '"ipam.ranges[0]" must be an array of ranges'],
  ])("%s", (_name, raw, message) => expectError(raw, message));

  it("below 0.3.0: one range set per family", () => {
    const two4 = { ipam: { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "10.2.0.0/24" }]] } };
    expectError({ ...two4, cniVersion: "0.2.0" }, "CNI version 0.2.0 does not support more than 1 address per family");
    expect(load({ ...two4, cniVersion: "0.3.0" }).rangeSets).toHaveLength(2);
    const dual = { cniVersion: "0.2.0", ipam: { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00::/64" }]] } };
    expect(load(dual).rangeSets).toHaveLength(2);
  });

  it("a wrong JSON type names the key", () => {
    expect(() => load({ ipam: { subnet: 5 } })).toThrow(/ipam\.subnet/);
    expect(() => load({ ipam: { subnet: "10.1.2.0/24", ranges: "x" } })).toThrow(/ranges/);
  });
});
