// Black-box tests of host-local IPAM: results per spec version, config validation, requested
// addresses, round robin, DEL/CHECK/STATUS/GC, the exact on-disk store, damaged stores, bad input.
// Runs against bin/host-local; HOST_LOCAL_IMPL=go runs the same tests against the Go reference
// (/usr/lib/cni/host-local, 1.1.1) — tests of behaviour where ours is documented to differ are skipped then.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  IMPL,
  cniError,
  fileMode,
  hostLocal,
  hostLocalBinary,
  hostLocalWithReadOnlyDir,
  isGoCompatibleEntry,
  leaseNames,
  leaseTable,
  listNetDir,
  looksLikeCrash,
  makeTempDir,
  netConf,
  newestVersion,
  readStoreFile,
  removeTempDirs,
  resultAddresses,
  writeLease,
  type HostLocalCall,
} from "./host-local-helpers";

const NET = "hlbnet";
const ours = IMPL === "ours";
const itOurs = it.skipIf(!ours);
/** Config validation errors: code 7 for ours; Go wraps them as 999. */
const CONFIG_ERROR_CODE = ours ? 7 : 999;
/** Allocation failures: plugin-specific codes for ours (exhausted 100, duplicate 101, requested 102); Go: 999. */
const EXHAUSTED_CODE = ours ? 100 : 999;
const DUPLICATE_CODE = ours ? 101 : 999;

const run = (call: HostLocalCall) => hostLocal(hostLocalBinary(), call);
function add(config: unknown, containerId = "hlb-c1", ifName = "eth0", args?: string) {
  return run({ command: "ADD", config, containerId, ifName, args });
}
function del(config: unknown, containerId = "hlb-c1", ifName = "eth0") {
  return run({ command: "DEL", config, containerId, ifName });
}
function expectOk(out: ReturnType<typeof run>): void {
  expect(out.code, `stdout=${out.stdout} stderr=${out.stderr}`).toBe(0);
}

afterEach(() => removeTempDirs());

function resolvConfFile(dir: string): string {
  const path = join(dir, "resolv.conf");
  writeFileSync(
    path,
    "# comment\n; other comment\nnameserver 192.0.2.53\nnameserver fd00::53\ndomain example.test\nsearch a.test b.test\noptions ndots:2 edns0\n",
  );
  return path;
}

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

describe("requested addresses", () => {
  const base = (dataDir: string, extra?: Record<string, unknown>) =>
    netConf({ dataDir, ipam: { subnet: "10.1.2.0/24", gateway: "10.1.2.7" }, extra });

  it("CNI_ARGS IP=", () => {
    const dataDir = makeTempDir();
    const out = add(base(dataDir), "a", "eth0", "IP=10.1.2.77");
    expectOk(out);
    expect(out.json.ips).toEqual([{ address: "10.1.2.77/24", gateway: "10.1.2.7" }]);
    expect(readStoreFile(dataDir, NET, "10.1.2.77")).toBe("a\r\neth0");
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.77");
  });

  it("args.cni.ips", () => {
    const dataDir = makeTempDir();
    const out = add(base(dataDir, { args: { cni: { ips: ["10.1.2.88"] } } }), "a");
    expectOk(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.88"]);
  });

  it("runtimeConfig.ips, with a prefix length that is dropped", () => {
    const dataDir = makeTempDir();
    const out = add(base(dataDir, { runtimeConfig: { ips: ["10.1.2.99/24"] } }), "a");
    expectOk(out);
    expect(out.json.ips).toEqual([{ address: "10.1.2.99/24", gateway: "10.1.2.7" }]);
  });

  it("requested addresses across a v4 and a v6 range set", () => {
    const dataDir = makeTempDir();
    const conf = netConf({
      dataDir,
      ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]] },
      extra: { args: { cni: { ips: ["fd00:1::abcd", "10.1.2.50"] } } },
    });
    const out = add(conf, "a");
    expectOk(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.50", "fd00:1::abcd"]);
  });

  it("the gateway cannot be requested", () => {
    const dataDir = makeTempDir();
    const err = cniError(add(base(dataDir), "a", "eth0", "IP=10.1.2.7"));
    expect(err.msg).toMatch(/10\.1\.2\.7 is subnet's gateway/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("an address already taken cannot be requested", () => {
    const dataDir = makeTempDir();
    expectOk(add(base(dataDir), "a", "eth0", "IP=10.1.2.77"));
    const err = cniError(add(base(dataDir), "b", "eth0", "IP=10.1.2.77"));
    expect(err.msg).toMatch(/10\.1\.2\.77 is not available/);
    expect(readStoreFile(dataDir, NET, "10.1.2.77")).toBe("a\r\neth0");
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.77"]);
  });

  it("an address outside every range set is an error", () => {
    const dataDir = makeTempDir();
    const err = cniError(add(base(dataDir), "a", "eth0", "IP=10.9.9.9"));
    expect(err.msg).toMatch(/10\.9\.9\.9/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("leftover requested addresses → error, everything rolled back", () => {
    const dataDir = makeTempDir();
    const err = cniError(add(base(dataDir, { args: { cni: { ips: ["10.1.2.20", "10.1.2.21"] } } }), "a"));
    expect(err.msg).toMatch(/failed to allocate all requested IPs: 10\.1\.2\.2[01]/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("a failing second range set releases the first", () => {
    const dataDir = makeTempDir();
    const conf = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "10.3.0.0/30" }]] } });
    expectOk(add(conf, "a"));
    const err = cniError(add(conf, "b"));
    expect(err.msg).toMatch(/failed to allocate for range 1/);
    expect([...leaseTable(dataDir, NET).values()]).toEqual(["a\r\neth0", "a\r\neth0"]);
  });
});

describe("round robin and excluded addresses", () => {
  it("continues after last_reserved_ip even after deletes", () => {
    const dataDir = makeTempDir();
    const conf = netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } });
    expect(resultAddresses(add(conf, "a"))).toEqual(["10.1.2.2"]);
    expect(resultAddresses(add(conf, "b"))).toEqual(["10.1.2.3"]);
    expect(resultAddresses(add(conf, "c"))).toEqual(["10.1.2.4"]);
    expectOk(del(conf, "b"));
    expectOk(del(conf, "c"));
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.4");
    expect(resultAddresses(add(conf, "d"))).toEqual(["10.1.2.5"]);
    expect(resultAddresses(add(conf, "e"))).toEqual(["10.1.2.6"]);
  });

  it("wraps around to rangeStart and fills the holes, never the gateway", () => {
    const dataDir = makeTempDir();
    // /29 with gateway in the middle: allocatable .1 .2 .4 .5 .6
    const conf = netConf({ dataDir, ipam: { subnet: "10.1.2.0/29", gateway: "10.1.2.3" } });
    const got: string[] = [];
    for (const id of ["a", "b", "c", "d", "e"]) got.push(...resultAddresses(add(conf, id)));
    expect(got).toEqual(["10.1.2.1", "10.1.2.2", "10.1.2.4", "10.1.2.5", "10.1.2.6"]);
    expect(cniError(add(conf, "f")).msg).toMatch(/no IP addresses available in range set: 10\.1\.2\.1-10\.1\.2\.6/);
    expectOk(del(conf, "b"));
    expect(resultAddresses(add(conf, "g"))).toEqual(["10.1.2.2"]);
  });

  it("wraps from rangeEnd back to rangeStart, skipping the gateway", () => {
    const dataDir = makeTempDir();
    writeLease(dataDir, NET, "last_reserved_ip.0", "10.1.2.254");
    const conf = netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } });
    expect(resultAddresses(add(conf, "a"))).toEqual(["10.1.2.2"]);
  });

  it("IPv6 round robin: requested addresses are canonicalised; allocation continues after them", () => {
    const dataDir = makeTempDir();
    const conf = netConf({ dataDir, ipam: { subnet: "fd00:1::/64" } });
    const out = add(conf, "a", "eth0", "IP=FD00:1:0:0::00AB");
    expectOk(out);
    expect(out.json.ips).toEqual([{ address: "fd00:1::ab/64", gateway: "fd00:1::1" }]);
    expect(leaseNames(dataDir, NET)).toEqual(["fd00:1::ab"]);
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("fd00:1::ab");
    expect(resultAddresses(add(conf, "b"))).toEqual(["fd00:1::ac"]);
  });

  itOurs("never hands out the IPv4 network or broadcast address, even when rangeStart/rangeEnd name them", () => {
    // Go 1.1.1 (and upstream HEAD, plugins#1295) hands out 10.1.2.0 and 10.1.2.7 here.
    const dataDir = makeTempDir();
    const conf = netConf({
      dataDir,
      ipam: { subnet: "10.1.2.0/29", rangeStart: "10.1.2.0", rangeEnd: "10.1.2.7" },
    });
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      const out = add(conf, `c${i}`);
      if (out.code !== 0) {
        expect(cniError(out).msg).toMatch(/no IP addresses available/);
        break;
      }
      got.push(...resultAddresses(out));
    }
    expect(got.sort()).toEqual(["10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"]);
    expect(leaseNames(dataDir, NET)).not.toContain("10.1.2.0");
    expect(leaseNames(dataDir, NET)).not.toContain("10.1.2.7");
  });

  itOurs("the IPv4 network and broadcast addresses cannot be requested either", () => {
    const dataDir = makeTempDir();
    const conf = netConf({ dataDir, ipam: { subnet: "10.1.2.0/29", rangeStart: "10.1.2.0", rangeEnd: "10.1.2.7" } });
    for (const ip of ["10.1.2.0", "10.1.2.7"]) cniError(add(conf, "a", "eth0", `IP=${ip}`));
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });
});

describe("ADD / DEL / CHECK by attachment", () => {
  const conf = (dataDir: string, cniVersion?: string) => netConf({ dataDir, cniVersion, ipam: { subnet: "10.1.2.0/24" } });

  it("a second ADD for the same (id, ifname) is refused; another ifname or id gets the next address", () => {
    const dataDir = makeTempDir();
    expectOk(add(conf(dataDir), "a", "eth0"));
    const err = cniError(add(conf(dataDir), "a", "eth0"));
    expect(err.code).toBe(DUPLICATE_CODE);
    expect(err.msg).toMatch(/10\.1\.2\.2 has been allocated to a, duplicate allocation is not allowed/);
    expect(resultAddresses(add(conf(dataDir), "a", "eth1"))).toEqual(["10.1.2.3"]);
    expect(resultAddresses(add(conf(dataDir), "b", "eth0"))).toEqual(["10.1.2.4"]);
  });

  it("DEL by (id, ifname) leaves the same id's other ifname", () => {
    const dataDir = makeTempDir();
    expectOk(add(conf(dataDir), "a", "eth0"));
    expectOk(add(conf(dataDir), "a", "eth1"));
    expectOk(del(conf(dataDir), "a", "eth0"));
    expect([...leaseTable(dataDir, NET)]).toEqual([["10.1.2.3", "a\r\neth1"]]);
  });

  it("DEL of a dual-stack attachment removes both leases", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]] } });
    expectOk(add(c, "a"));
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.2", "fd00:1::2"]);
    expectOk(del(c, "a"));
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("DEL removes a legacy lease file holding only the container id", () => {
    const dataDir = makeTempDir();
    writeLease(dataDir, NET, "10.1.2.9", "old");
    writeLease(dataDir, NET, "10.1.2.10", "other");
    expectOk(del(conf(dataDir), "old", "eth0"));
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.10"]);
  });

  it("DEL of an unknown id succeeds; DEL twice succeeds; DEL with no store at all succeeds", () => {
    const dataDir = makeTempDir();
    expectOk(del(conf(join(dataDir, "never-created")), "ghost"));
    expectOk(add(conf(dataDir), "a"));
    expectOk(del(conf(dataDir), "ghost"));
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.2"]);
    expectOk(del(conf(dataDir), "a"));
    expectOk(del(conf(dataDir), "a"));
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("a container id with dots, dashes and underscores is stored verbatim and DEL finds it", () => {
    const dataDir = makeTempDir();
    expectOk(add(conf(dataDir), "a.b_c-1"));
    expect(readStoreFile(dataDir, NET, "10.1.2.2")).toBe("a.b_c-1\r\neth0");
    expectOk(del(conf(dataDir), "a.b_c-1"));
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("CHECK finds the lease of an attachment and fails without one (cniVersion 0.4.0+)", () => {
    const dataDir = makeTempDir();
    for (const v of ["0.4.0", "1.0.0"]) {
      const c = conf(dataDir, v);
      const missing = cniError(run({ command: "CHECK", config: c, containerId: "a" }));
      expect(missing.msg).toMatch(/Failed to find address added by container a/);
      expectOk(add(c, "a"));
      expectOk(run({ command: "CHECK", config: c, containerId: "a" }));
      expectOk(del(c, "a"));
    }
  });

  it("CHECK finds a legacy id-only lease", () => {
    const dataDir = makeTempDir();
    writeLease(dataDir, NET, "10.1.2.9", "old");
    expectOk(run({ command: "CHECK", config: conf(dataDir, "0.4.0"), containerId: "old" }));
  });

  it("CHECK below 0.4.0 is refused", () => {
    const dataDir = makeTempDir();
    const err = cniError(run({ command: "CHECK", config: conf(dataDir, "0.3.1"), containerId: "a" }));
    expect(err.code).toBe(1);
    expect(err.msg).toMatch(/config version does not allow CHECK/);
  });
});

describe("on-disk store: exact bytes and modes", () => {
  it("lease files, last_reserved_ip.N and lock", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]] } });
    expectOk(add(c, "cid1", "net1"));
    expect(listNetDir(dataDir, NET)).toEqual(["10.1.2.2", "fd00:1::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
    expect(readStoreFile(dataDir, NET, "10.1.2.2")).toBe("cid1\r\nnet1");
    expect(readStoreFile(dataDir, NET, "fd00:1::2")).toBe("cid1\r\nnet1");
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.2");
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.1")).toBe("fd00:1::2");
    expect(readStoreFile(dataDir, NET, "lock")).toBe("");
    // Go 1.1.1 writes 0644 leases; upstream >= 1.4.0 and ours write 0600.
    const leaseMode = ours ? 0o600 : 0o644;
    expect(fileMode(dataDir, NET, "10.1.2.2")).toBe(leaseMode);
    expect(fileMode(dataDir, NET, "fd00:1::2")).toBe(leaseMode);
    expect(fileMode(dataDir, NET, "last_reserved_ip.0")).toBe(leaseMode);
    // go-filemutex creates the lock with 0750
    expect(fileMode(dataDir, NET, "lock")).toBe(0o750);
  });

  it("only Go-compatible entries in the network dir", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } });
    for (const id of ["a", "b", "c"]) expectOk(add(c, id));
    expectOk(del(c, "b"));
    for (const name of listNetDir(dataDir, NET)) expect(isGoCompatibleEntry(name), name).toBe(true);
  });
});

describe("STATUS (1.1.0)", () => {
  const status = (config: unknown) => run({ command: "STATUS", config });

  itOurs("exit 0 with a usable store, even before the store exists", () => {
    const dataDir = makeTempDir();
    const out = status(netConf({ dataDir: join(dataDir, "not-yet"), ipam: { subnet: "10.1.2.0/24" } }));
    expectOk(out);
    expect(out.stdout).toBe("");
  });

  itOurs("code 50 when every range set is full", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.2.0/30" }], [{ subnet: "fd00:1::/126" }]] } });
    expectOk(status(c));
    // v4 set: only .2 is allocatable; v6 set: ::2 and ::3
    expectOk(add(c, "a"));
    writeLease(dataDir, NET, "fd00:1::3", "other", "eth0");
    const err = cniError(status(c));
    expect(err.code).toBe(50);
    expect(err.msg + (err.details ?? "")).toMatch(/10\.1\.2\.1-10\.1\.2\.2|no IP addresses available|exhausted|full/i);
    // freeing one address makes ADD possible again
    expectOk(del(c, "a"));
    expectOk(status(c));
  });

  itOurs("code 50 when one range set is full (ADD needs an address from every set)", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.2.0/30" }], [{ subnet: "fd00:1::/64" }]] } });
    expectOk(add(c, "a")); // takes the only v4 address; the v6 set has plenty left
    expect(cniError(add(c, "b")).msg).toMatch(/no IP addresses available/);
    const err = cniError(status(c));
    expect(err.code).toBe(50);
    expect(err.msg + " " + (err.details ?? "")).toMatch(/10\.1\.2\.1-10\.1\.2\.2/);
  });

  itOurs("code 50 when the data dir cannot be written (read-only bind mount)", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, "ro"));
    const c = netConf({ dataDir: join(dataDir, "ro"), ipam: { subnet: "10.1.2.0/24" } });
    const out = hostLocalWithReadOnlyDir(hostLocalBinary(), join(dataDir, "ro"), { command: "STATUS", config: c });
    const err = cniError(out);
    expect(err.code).toBe(50);
    expect(err.msg + " " + (err.details ?? "")).toContain(join(dataDir, "ro"));
  });

  itOurs("code 50 when the data dir's parent is a regular file", () => {
    const dataDir = makeTempDir();
    writeFileSync(join(dataDir, "file"), "x");
    const c = netConf({ dataDir: join(dataDir, "file", "data"), ipam: { subnet: "10.1.2.0/24" } });
    const err = cniError(status(c));
    expect(err.code).toBe(50);
    expect(err.msg + " " + (err.details ?? "")).toContain(join(dataDir, "file"));
  });

  itOurs("an invalid config is a config error, not 50", () => {
    const dataDir = makeTempDir();
    const err = cniError(status(netConf({ dataDir, ipam: { subnet: "10.1.2.1/24" } })));
    expect(err.code).toBe(7);
  });

  it("STATUS below 1.1.0 is refused", () => {
    const dataDir = makeTempDir();
    const out = status(netConf({ cniVersion: "1.0.0", dataDir, ipam: { subnet: "10.1.2.0/24" } }));
    const err = cniError(out);
    // Go 1.1.1 predates STATUS: it fails with code 3 "missing containerID" (or 4 "unknown CNI_COMMAND")
    if (ours) {
      expect(err.msg).toMatch(/config version does not allow STATUS/);
      expect(err.code).toBe(1);
    }
  });
});

describe("GC (1.1.0)", () => {
  const conf = (dataDir: string, extra?: Record<string, unknown>, name = NET) =>
    netConf({ dataDir, name, ipam: { subnet: "10.1.2.0/24" }, extra });
  const gc = (config: unknown) => run({ command: "GC", config });

  function seed(dataDir: string): void {
    expectOk(add(conf(dataDir), "a", "eth0"));
    expectOk(add(conf(dataDir), "a", "eth1"));
    expectOk(add(conf(dataDir), "b", "eth0"));
    expectOk(add(conf(dataDir), "c", "eth0"));
    writeLease(dataDir, NET, "10.1.2.50", "legacy");
    expectOk(add(conf(dataDir, undefined, "othernet"), "zzz", "eth0"));
  }

  itOurs("cni.dev/valid-attachments releases every other lease of this network only", () => {
    const dataDir = makeTempDir();
    seed(dataDir);
    const out = gc(
      conf(dataDir, {
        "cni.dev/valid-attachments": [
          { containerID: "a", ifname: "eth0" },
          { containerID: "c", ifname: "eth0" },
        ],
      }),
    );
    expectOk(out);
    expect(out.stdout).toBe("");
    expect([...leaseTable(dataDir, NET)]).toEqual([
      ["10.1.2.2", "a\r\neth0"],
      ["10.1.2.5", "c\r\neth0"],
    ]);
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.5");
    expect(listNetDir(dataDir, NET)).toContain("lock");
    expect([...leaseTable(dataDir, "othernet")]).toEqual([["10.1.2.2", "zzz\r\neth0"]]);
  });

  itOurs("the older key cni.dev/attachments works too", () => {
    const dataDir = makeTempDir();
    seed(dataDir);
    expectOk(gc(conf(dataDir, { "cni.dev/attachments": [{ containerID: "b", ifname: "eth0" }] })));
    expect([...leaseTable(dataDir, NET)]).toEqual([["10.1.2.4", "b\r\neth0"]]);
  });

  itOurs("an empty list releases every lease; lock and last_reserved_ip stay", () => {
    const dataDir = makeTempDir();
    seed(dataDir);
    expectOk(gc(conf(dataDir, { "cni.dev/valid-attachments": [] })));
    expect(listNetDir(dataDir, NET)).toEqual(["last_reserved_ip.0", "lock"]);
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.5");
    expect(leaseNames(dataDir, "othernet")).toEqual(["10.1.2.2"]);
    // round robin continues after GC
    expect(resultAddresses(add(conf(dataDir), "d"))).toEqual(["10.1.2.6"]);
  });

  itOurs("a legacy id-only lease is kept when its id is valid", () => {
    const dataDir = makeTempDir();
    seed(dataDir);
    expectOk(gc(conf(dataDir, { "cni.dev/valid-attachments": [{ containerID: "legacy", ifname: "eth0" }] })));
    expect([...leaseTable(dataDir, NET)]).toEqual([["10.1.2.50", "legacy"]]);
  });

  itOurs("GC on a store that does not exist succeeds and creates no lease", () => {
    // (ours creates the network dir + lock here, as Go's DEL does; harmless)
    const dataDir = makeTempDir();
    expectOk(gc(conf(join(dataDir, "none"), { "cni.dev/valid-attachments": [] })));
    expect(leaseNames(join(dataDir, "none"), NET)).toEqual([]);
    for (const name of listNetDir(join(dataDir, "none"), NET)) expect(isGoCompatibleEntry(name), name).toBe(true);
  });

  itOurs("a malformed valid-attachments list is a config error and releases nothing", () => {
    const dataDir = makeTempDir();
    seed(dataDir);
    const err = cniError(gc(conf(dataDir, { "cni.dev/valid-attachments": "all of them" })));
    expect(err.msg).toMatch(/valid-attachments/);
    expect(leaseNames(dataDir, NET)).toHaveLength(5);
  });
});

describe("damaged stores do not crash ADD/DEL", () => {
  const conf = (dataDir: string) => netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } });
  function expectJsonNoCrash(out: ReturnType<typeof run>): void {
    expect(looksLikeCrash(out), out.stderr).toBe(false);
    if (out.code === 0 && out.stdout === "") return; // DEL prints nothing on success
    expect(out.json, out.stdout).toBeTypeOf("object");
    if (out.code !== 0) cniError(out);
  }

  it("zero-byte lease file: its address counts as taken", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, NET), { recursive: true });
    writeFileSync(join(dataDir, NET, "10.1.2.2"), "");
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.3"]);
    expectJsonNoCrash(del(conf(dataDir), "a"));
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.2"]);
  });

  it("garbage lease file content", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, NET), { recursive: true });
    writeFileSync(join(dataDir, NET, "10.1.2.2"), Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x80, 0x81]));
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.3"]);
    expectJsonNoCrash(del(conf(dataDir), "a"));
    expect(leaseNames(dataDir, NET)).toEqual(["10.1.2.2"]);
  });

  it("garbage last_reserved_ip: allocation starts from the range start", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, NET), { recursive: true });
    writeFileSync(join(dataDir, NET, "last_reserved_ip.0"), "not-an-ip\n\0");
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.2"]);
    expect(readStoreFile(dataDir, NET, "last_reserved_ip.0")).toBe("10.1.2.2");
  });

  it("last_reserved_ip outside the range set: allocation starts from the range start", () => {
    const dataDir = makeTempDir();
    writeLease(dataDir, NET, "last_reserved_ip.0", "192.0.2.200");
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.2"]);
  });

  it("stray files and directories in the network dir", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, NET, "subdir"), { recursive: true });
    writeFileSync(join(dataDir, NET, "README"), "hello");
    writeFileSync(join(dataDir, NET, "10.1.2.2.tmp"), "a\r\neth0");
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.2"]);
    expectJsonNoCrash(del(conf(dataDir), "a"));
    expect(existsSync(join(dataDir, NET, "README"))).toBe(true);
    expect(existsSync(join(dataDir, NET, "subdir"))).toBe(true);
  });

  it("a directory named like an address counts as taken", () => {
    const dataDir = makeTempDir();
    mkdirSync(join(dataDir, NET, "10.1.2.2"), { recursive: true });
    const out = add(conf(dataDir), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.3"]);
  });

  it("missing dataDir is created (0755 directories)", () => {
    const dataDir = makeTempDir();
    const deep = join(dataDir, "x", "y");
    const out = add(conf(deep), "a");
    expectJsonNoCrash(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.2"]);
    expect(leaseNames(deep, NET)).toEqual(["10.1.2.2"]);
  });

  it("dataDir whose parent is a regular file: ADD fails with a CNI error, DEL does not crash", () => {
    const dataDir = makeTempDir();
    writeFileSync(join(dataDir, "file"), "x");
    const out = add(conf(join(dataDir, "file", "data")), "a");
    expectJsonNoCrash(out);
    expect(out.code).toBe(1);
    expectJsonNoCrash(del(conf(join(dataDir, "file", "data")), "a"));
  });
});

describe("path safety and bad input", () => {
  for (const name of ["a/b", "..", "../escape", ".hidden", "a b"]) {
    it(`network name ${JSON.stringify(name)} → code 7, nothing created`, () => {
      const root = makeTempDir();
      const dataDir = join(root, "data");
      mkdirSync(dataDir);
      const err = cniError(add(netConf({ dataDir, name, ipam: { subnet: "10.1.2.0/24" } })));
      expect(err.code).toBe(7);
      expect(err.msg).toMatch(/network name/);
      expect(readdirSync(root)).toEqual(["data"]);
      expect(readdirSync(dataDir)).toEqual([]);
    });
  }

  it("bad JSON → code 6", () => {
    const dataDir = makeTempDir();
    const err = cniError(run({ command: "ADD", config: '{"cniVersion": "1.0.0", "name": ' }));
    expect(err.code).toBe(6);
    expect(err.msg).toMatch(/error unmarshall network config/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  // Go's decoder refuses more than 10,000 levels (code 6); a deeper value must not reach code that
  // walks it recursively (JSON.stringify in an error message overflowed the stack: code 999).
  it.each([
    ["prevResult.ips", (deep: string) => `"prevResult": {"cniVersion": "1.0.0", "ips": ${deep}}`],
    ["an unknown key", (deep: string) => `"x-unknown": ${deep}`],
  ])("a value nested 100,000 levels deep in %s → code 6, nothing written", (_, field) => {
    const dataDir = makeTempDir();
    const base = JSON.stringify(netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } }));
    const config = `${base.slice(0, -1)}, ${field("[".repeat(100_000) + "]".repeat(100_000))}}`;
    const out = run({ command: "ADD", config });
    const err = cniError(out);
    expect(err.code).toBe(6);
    expect(err.msg).toMatch(/^error unmarshall network config: .*exceeded max depth/);
    expect(looksLikeCrash(out)).toBe(false);
    expect(listNetDir(dataDir, NET)).toEqual([]);
  });

  it("missing environment → code 4 naming every missing variable", () => {
    const dataDir = makeTempDir();
    const out = run({
      command: "ADD",
      config: netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } }),
      env: { CNI_CONTAINERID: undefined, CNI_IFNAME: undefined },
    });
    const err = cniError(out);
    expect(err.code).toBe(4);
    expect(err.msg).toMatch(/CNI_CONTAINERID,CNI_IFNAME/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("unknown CNI_ARGS key → error; with IgnoreUnknown=1 it is accepted", () => {
    const dataDir = makeTempDir();
    const c = netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } });
    const err = cniError(add(c, "a", "eth0", "FOO=bar"));
    expect(err.msg).toMatch(/FOO=bar/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
    const out = add(c, "a", "eth0", "IgnoreUnknown=1;FOO=bar;K8S_POD_NAME=x;IP=10.1.2.40");
    expectOk(out);
    expect(resultAddresses(out)).toEqual(["10.1.2.40"]);
  });

  const wrongTypes: Array<[string, Record<string, unknown>, Record<string, unknown> | undefined, RegExp]> = [
    ["ipam.subnet a number", { subnet: 10 }, undefined, /subnet/i],
    ["ipam.ranges an object", { ranges: { subnet: "10.1.2.0/24" } }, undefined, /ranges/i],
    ["ipam.routes[0].dst not a prefix", { subnet: "10.1.2.0/24", routes: [{ dst: "bogus" }] }, undefined, /bogus/],
    ["runtimeConfig.ips a string", { subnet: "10.1.2.0/24" }, { runtimeConfig: { ips: "10.1.2.5" } }, /ips|10\.1\.2\.5/i],
  ];
  for (const [what, ipam, extra, message] of wrongTypes) {
    it(`wrong JSON type: ${what} → error naming it, nothing written`, () => {
      const dataDir = makeTempDir();
      const err = cniError(add(netConf({ dataDir, ipam, extra })));
      expect(err.msg + " " + (err.details ?? "")).toMatch(message);
      if (ours) expect(err.code).toBe(7);
      expect(leaseNames(dataDir, NET)).toEqual([]);
    });
  }

  it("a network name too long for a file name → CNI error, no crash", () => {
    const dataDir = makeTempDir();
    const out = add(netConf({ dataDir, name: "n".repeat(300), ipam: { subnet: "10.1.2.0/24" } }));
    expect(looksLikeCrash(out)).toBe(false);
    cniError(out);
  });

  it("an unparsable IP in CNI_ARGS is an error", () => {
    const dataDir = makeTempDir();
    const err = cniError(add(netConf({ dataDir, ipam: { subnet: "10.1.2.0/24" } }), "a", "eth0", "IP=10.1.2"));
    expect(err.msg + (err.details ?? "")).toMatch(/10\.1\.2/);
    expect(leaseNames(dataDir, NET)).toEqual([]);
  });

  it("unsupported cniVersion → code 1", () => {
    const dataDir = makeTempDir();
    const err = cniError(add(netConf({ cniVersion: "9.9.9", dataDir, ipam: { subnet: "10.1.2.0/24" } })));
    expect(err.code).toBe(1);
    expect(err.msg).toBe("incompatible CNI versions");
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("VERSION", () => {
    const out = run({ command: "VERSION", config: "" });
    expectOk(out);
    expect(out.json.supportedVersions).toEqual(
      expect.arrayContaining(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", ...(ours ? ["1.1.0"] : [])]),
    );
  });
});
