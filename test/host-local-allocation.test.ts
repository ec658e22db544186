// Black-box tests of host-local IPAM: requested addresses, round robin, ADD/DEL/CHECK by attachment, the exact on-disk store.
// Runs against bin/host-local; HOST_LOCAL_IMPL=go runs the same tests against the Go reference
// (/usr/lib/cni/host-local, 1.1.1) — tests of behaviour where ours is documented to differ are skipped then.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  cniError,
  del,
  DUPLICATE_CODE,
  expectOk,
  fileMode,
  isGoCompatibleEntry,
  itOurs,
  leaseNames,
  leaseTable,
  listNetDir,
  makeTempDir,
  NET,
  netConf,
  ours,
  readStoreFile,
  removeTempDirs,
  resultAddresses,
  run,
  writeLease,
} from "./host-local-helpers";

afterEach(() => removeTempDirs());

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
