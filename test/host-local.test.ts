// Black-box tests of host-local IPAM: results per spec version and config validation (range sets).
// Runs against bin/host-local; HOST_LOCAL_IMPL=go runs the same tests against the Go reference
// (/usr/lib/cni/host-local, 1.1.1) — tests of behaviour where ours is documented to differ are skipped then.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  cniError,
  CONFIG_ERROR_CODE,
  EXHAUSTED_CODE,
  expectOk,
  itOurs,
  leaseNames,
  looksLikeCrash,
  makeTempDir,
  NET,
  netConf,
  newestVersion,
  ours,
  readStoreFile,
  removeTempDirs,
  resolvConfFile,
  resultAddresses,
  run,
} from "./host-local-helpers";

afterEach(() => removeTempDirs());

describe("results per spec version", () => {
  const routes = [{ dst: "0.0.0.0/0" }, { dst: "192.0.2.0/24", gw: "10.1.2.254" }, { dst: "::/0" }];
  const dns = {
    nameservers: ["192.0.2.53", "fd00::53"],
    domain: "example.test",
    search: ["a.test", "b.test"],
    options: ["ndots:2", "edns0"],
  };
  function dualConf(version: string, dataDir: string) {
    return netConf({
      cniVersion: version,
      dataDir,
      ipam: {
        ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]],
        routes,
        resolvConf: resolvConfFile(dataDir),
      },
    });
  }

  const modern = ["0.3.1", "0.4.0", "1.0.0", "1.1.0"].filter((v) => ours || v !== "1.1.0");
  for (const version of modern) {
    it(`ADD at ${version}: exact shape, 4-space JSON without trailing newline`, () => {
      const dataDir = makeTempDir();
      const out = add(dualConf(version, dataDir));
      expectOk(out);
      const withVersion = version.startsWith("0.");
      const expected = {
        cniVersion: version,
        ips: [
          { ...(withVersion ? { version: "4" } : {}), address: "10.1.2.2/24", gateway: "10.1.2.1" },
          { ...(withVersion ? { version: "6" } : {}), address: "fd00:1::2/64", gateway: "fd00:1::1" },
        ],
        routes,
        dns,
      };
      expect(out.json).toEqual(expected);
      // exact bytes: key order, 4-space indent, no `interface`, no trailing newline
      expect(out.stdout).toBe(JSON.stringify(expected, null, 4));
      expect(out.stdout).not.toMatch(/"interface"/);
    });
  }

  it("ADD at 0.2.0: ip4/ip6 shape, routes split by family, dns", () => {
    const dataDir = makeTempDir();
    const out = add(dualConf("0.2.0", dataDir));
    // 0.2.0 allows one address per family: two range sets of different families are fine
    expectOk(out);
    const expected = {
      cniVersion: "0.2.0",
      ip4: {
        ip: "10.1.2.2/24",
        gateway: "10.1.2.1",
        routes: [{ dst: "0.0.0.0/0" }, { dst: "192.0.2.0/24", gw: "10.1.2.254" }],
      },
      ip6: { ip: "fd00:1::2/64", gateway: "fd00:1::1", routes: [{ dst: "::/0" }] },
      dns,
    };
    expect(out.json).toEqual(expected);
    expect(out.stdout).toBe(JSON.stringify(expected, null, 4));
  });

  itOurs("ADD at 1.x without routes or resolvConf: no empty routes/dns keys", () => {
    const dataDir = makeTempDir();
    for (const version of ["1.0.0", "1.1.0"]) {
      const out = add(netConf({ cniVersion: version, dataDir, name: `n${version[0]}${version[2]}`, ipam: { subnet: "10.1.2.0/24" } }));
      expectOk(out);
      // Go 1.1.1 prints "dns": {} here; current upstream (types/100 MarshalJSON) omits it.
      expect(out.stdout).toBe(
        JSON.stringify({ cniVersion: version, ips: [{ address: "10.1.2.2/24", gateway: "10.1.2.1" }] }, null, 4),
      );
    }
  });

  it("0.3.1 without resolvConf prints dns: {}", () => {
    const dataDir = makeTempDir();
    const out = add(netConf({ cniVersion: "0.3.1", dataDir, ipam: { subnet: "10.1.2.0/24" } }));
    expectOk(out);
    expect(out.stdout).toBe(
      JSON.stringify(
        { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.1.2.2/24", gateway: "10.1.2.1" }], dns: {} },
        null,
        4,
      ),
    );
  });

  it("a missing resolvConf file is an error and leaves no lease", () => {
    const dataDir = makeTempDir();
    const out = add(netConf({ dataDir, ipam: { subnet: "10.1.2.0/24", resolvConf: join(dataDir, "nope.conf") } }));
    const err = cniError(out);
    expect(err.msg + (err.details ?? "")).toMatch(/nope\.conf/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  // The Go plugin reads the whole file, so /dev/zero never ends there.
  itOurs("a resolvConf that never ends (/dev/zero) is an error naming it, read only so far; no lease", () => {
    const dataDir = makeTempDir();
    const out = run({ command: "ADD", config: netConf({ dataDir, ipam: { subnet: "10.1.2.0/24", resolvConf: "/dev/zero" } }) });
    const err = cniError(out);
    expect(err.code).toBe(7);
    expect(err.msg).toBe('"ipam.resolvConf" /dev/zero is larger than 65536 bytes: not a resolv.conf');
    expect(looksLikeCrash(out)).toBe(false);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });
});

describe("config: range sets", () => {
  it("legacy single range with rangeStart/rangeEnd/gateway", () => {
    const dataDir = makeTempDir();
    const conf = netConf({
      dataDir,
      ipam: { subnet: "10.1.2.0/24", rangeStart: "10.1.2.100", rangeEnd: "10.1.2.101", gateway: "10.1.2.254" },
    });
    expect(add(conf, "a").json.ips).toEqual([{ address: "10.1.2.100/24", gateway: "10.1.2.254" }]);
    expect(add(conf, "b").json.ips).toEqual([{ address: "10.1.2.101/24", gateway: "10.1.2.254" }]);
    const err = cniError(add(conf, "c"));
    expect(err.code).toBe(EXHAUSTED_CODE);
    expect(err.msg).toMatch(/no IP addresses available in range set/);
    expect(err.msg).toMatch(/10\.1\.2\.100-10\.1\.2\.101/);
  });

  it("runtimeConfig.ipRanges come first, then the legacy range, then ranges", () => {
    const dataDir = makeTempDir();
    const conf = netConf({
      dataDir,
      ipam: { subnet: "10.1.2.0/24", ranges: [[{ subnet: "fd00:7::/64" }]] },
      extra: { runtimeConfig: { ipRanges: [[{ subnet: "10.5.0.0/24", gateway: "10.5.0.9" }]] } },
    });
    const out = add(conf);
    expectOk(out);
    expect(out.json.ips).toEqual([
      // rangeStart defaults to .1, which is not the gateway here
      { address: "10.5.0.1/24", gateway: "10.5.0.9" },
      { address: "10.1.2.2/24", gateway: "10.1.2.1" },
      { address: "fd00:7::2/64", gateway: "fd00:7::1" },
    ]);
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.5.0.1");
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.1")).toBe("10.1.2.2");
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.2")).toBe("fd00:7::2");
  });

  it("a range set with two ranges moves on to the second when the first is full", () => {
    const dataDir = makeTempDir();
    const conf = netConf({
      dataDir,
      ipam: { ranges: [[{ subnet: "10.1.2.0/30" }, { subnet: "10.1.3.0/30" }]] },
    });
    // /30: gateway .1, only .2 is allocatable in each
    expect(resultAddresses(add(conf, "a"))).toEqual(["10.1.2.2"]);
    expect(add(conf, "b").json.ips).toEqual([{ address: "10.1.3.2/30", gateway: "10.1.3.1" }]);
    expect(cniError(add(conf, "c")).msg).toMatch(/no IP addresses available in range set: 10\.1\.2\.1-10\.1\.2\.2,10\.1\.3\.1-10\.1\.3\.2/);
  });

  it("IPv6 defaults: rangeEnd is the last address of the subnet", () => {
    const dataDir = makeTempDir();
    const conf = netConf({ dataDir, ipam: { subnet: "fd00:9::/126" } });
    // gateway ::1 skipped; ::2 and ::3 (the all-ones address) allocatable in IPv6
    expect(resultAddresses(add(conf, "a"))).toEqual(["fd00:9::2"]);
    expect(resultAddresses(add(conf, "b"))).toEqual(["fd00:9::3"]);
    expect(cniError(add(conf, "c")).msg).toMatch(/no IP addresses available/);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp, string?]> = [
    ["host bits set", { subnet: "10.1.2.1/24" }, /host bits set.*10\.1\.2\.0/i],
    ["subnet too small (/31)", { subnet: "10.1.2.0/31" }, /10\.1\.2\.0\/31 too small/i],
    ["subnet too small (/127)", { subnet: "fd00::/127" }, /fd00::\/127 too small/i],
    ["rangeStart outside subnet", { subnet: "10.1.2.0/24", rangeStart: "10.1.3.5" }, /rangeStart 10\.1\.3\.5 not in network 10\.1\.2\.0\/24/i],
    ["rangeEnd outside subnet", { subnet: "10.1.2.0/24", rangeEnd: "10.1.3.5" }, /rangeEnd 10\.1\.3\.5 not in network 10\.1\.2\.0\/24/i],
    // Go reports start > end as "RangeStart 10.1.2.50 not in network"; either way the message names rangeStart.
    ["rangeStart after rangeEnd", { subnet: "10.1.2.0/24", rangeStart: "10.1.2.50", rangeEnd: "10.1.2.10" }, /rangeStart 10\.1\.2\.50/i],
    ["mixed families in a set", { ranges: [[{ subnet: "10.1.2.0/24" }, { subnet: "fd00::/64" }]] }, /mixed address families/i],
    ["overlap within a set", { ranges: [[{ subnet: "10.1.0.0/22" }, { subnet: "10.1.2.0/24" }]] }, /overlap/i],
    ["overlap across sets", { ranges: [[{ subnet: "10.1.0.0/22" }], [{ subnet: "10.1.2.0/24" }]] }, /range set 0 overlaps with 1/i],
    ["no ranges at all", {}, /no IP ranges specified/i],
    ["empty ranges list", { ranges: [] }, /no IP ranges specified/i],
    ["empty range set", { ranges: [[]] }, /empty range set/i],
    ["bad subnet", { subnet: "10.1.2.0/99" }, /10\.1\.2\.0\/99/],
    ["bad rangeStart", { subnet: "10.1.2.0/24", rangeStart: "banana" }, /banana/],
  ];
  for (const [what, ipam, message] of invalid) {
    it(`invalid: ${what} → error naming it, nothing written`, () => {
      const dataDir = makeTempDir();
      const err = cniError(add(netConf({ dataDir, ipam })));
      expect(err.msg + " " + (err.details ?? "")).toMatch(message);
      if (!/bad /.test(what)) expect(err.code).toBe(CONFIG_ERROR_CODE);
      expect(readdirSync(dataDir)).toEqual([]);
    });
  }

  it("invalid: more than one address per family below 0.3.0", () => {
    const dataDir = makeTempDir();
    const conf = netConf({
      cniVersion: "0.2.0",
      dataDir,
      ipam: { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "10.2.2.0/24" }]] },
    });
    const err = cniError(add(conf));
    expect(err.msg).toMatch(/0\.2\.0 does not support more than 1 address per family/);
    expect(err.code).toBe(CONFIG_ERROR_CODE);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("invalid: missing ipam key", () => {
    const dataDir = makeTempDir();
    const err = cniError(add({ cniVersion: newestVersion(), name: NET, type: "bridge" }));
    expect(err.msg).toMatch(/missing 'ipam' key/);
    expect(err.code).toBe(CONFIG_ERROR_CODE);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("JSON keys are matched case-insensitively (as Go does)", () => {
    const dataDir = makeTempDir();
    const out = add({ cniVersion: newestVersion(), name: NET, IPAM: { Type: "host-local", SUBNET: "10.1.2.0/24", DataDir: dataDir } });
    expectOk(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.2"]);
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.2"]);
  });
});
