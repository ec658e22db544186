// Black-box tests of host-local IPAM: STATUS and GC (spec 1.1.0).
// Runs against bin/host-local; HOST_LOCAL_IMPL=go runs the same tests against the Go reference
// (/usr/lib/cni/host-local, 1.1.1) — tests of behaviour where ours is documented to differ are skipped then.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  cniError,
  del,
  expectOk,
  hostLocalBinary,
  hostLocalWithReadOnlyDir,
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
