// Interoperability of our host-local with the Go reference (/usr/lib/cni/host-local, 1.1.1) on ONE
// data dir: a node can switch implementations (or run both) without touching its store.
// cniVersion 1.0.0 throughout: the newest version Go 1.1.1 speaks.
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  cniError,
  hostLocal,
  hostLocalBinary,
  isGoCompatibleEntry,
  leaseTable,
  listNetDir,
  makeTempDir,
  netConf,
  readStoreFile,
  removeTempDirs,
  resultAddresses,
  writeLease,
  type Impl,
} from "./host-local-helpers";
import type { PluginOutput } from "./lib/plugin";

const NET = "hlbnet";
afterEach(() => removeTempDirs());

function conf(dataDir: string, ipam: Record<string, unknown> = { subnet: "10.1.2.0/24" }) {
  return netConf({ cniVersion: "1.0.0", dataDir, ipam });
}
function call(impl: Impl, command: string, config: unknown, containerId: string, ifName = "eth0", args?: string) {
  return hostLocal(hostLocalBinary(impl), { command, config, containerId, ifName, args });
}
function ok(out: PluginOutput): PluginOutput {
  expect(out.code, `stdout=${out.stdout} stderr=${out.stderr}`).toBe(0);
  return out;
}
function addOk(impl: Impl, config: unknown, id: string, ifName = "eth0"): string[] {
  return resultAddresses(ok(call(impl, "ADD", config, id, ifName)));
}
/** The network dir may only hold what Go itself writes (ours may keep an index elsewhere in dataDir). */
function expectGoCompatibleNetDir(dataDir: string): void {
  for (const name of listNetDir(dataDir, NET)) expect(isGoCompatibleEntry(name), `unexpected entry ${name}`).toBe(true);
}

/** Overwrite every regular file below `root`, except under `keep`, with garbage. */
function garbleOutside(root: string, keep: string): void {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (path === keep) continue;
    const st = statSync(path);
    if (st.isDirectory()) garbleOutside(path, keep);
    else if (st.isFile()) writeFileSync(path, Buffer.from("\u0000garbage\u00ff{not json", "latin1"));
  }
}

const pairs: Array<[Impl, Impl]> = [
  ["go", "ours"],
  ["ours", "go"],
];

for (const [first, second] of pairs) {
  describe(`leases made by ${first} are honoured by ${second}`, () => {
    it(`${second} continues ${first}'s round robin and refuses ${first}'s leases`, () => {
      const dataDir = makeTempDir();
      const c = conf(dataDir);
      expect(addOk(first, c, "a")).toEqual(["10.1.2.2"]);
      expect(addOk(first, c, "b")).toEqual(["10.1.2.3"]);
      expect(addOk(first, c, "c")).toEqual(["10.1.2.4"]);
      ok(call(first, "DEL", c, "c"));
      // last_reserved_ip.0 = .4 although .4 is free again
      expect(addOk(second, c, "d")).toEqual(["10.1.2.5"]);
      expect(cniError(call(second, "ADD", c, "a")).msg).toMatch(/10\.1\.2\.2 has been allocated to a, duplicate allocation is not allowed/);
      expect(cniError(call(second, "ADD", c, "x", "eth0", "IP=10.1.2.3")).msg).toMatch(/10\.1\.2\.3 is not available/);
      expect([...leaseTable(dataDir, NET)]).toEqual([
        ["10.1.2.2", "a\r\neth0"],
        ["10.1.2.3", "b\r\neth0"],
        ["10.1.2.5", "d\r\neth0"],
      ]);
      expectGoCompatibleNetDir(dataDir);
    });

    it(`${second}'s CHECK finds ${first}'s lease and ${second}'s DEL releases it`, () => {
      const dataDir = makeTempDir();
      const c = conf(dataDir, { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]] });
      expect(addOk(first, c, "a")).toEqual(["10.1.2.2", "fd00:1::2"]);
      expect(addOk(first, c, "a", "eth1")).toEqual(["10.1.2.3", "fd00:1::3"]);
      ok(call(second, "CHECK", c, "a"));
      ok(call(second, "DEL", c, "a", "eth0"));
      expect([...leaseTable(dataDir, NET)]).toEqual([
        ["10.1.2.3", "a\r\neth1"],
        ["fd00:1::3", "a\r\neth1"],
      ]);
      ok(call(second, "CHECK", c, "a", "eth1"));
      ok(call(second, "DEL", c, "a", "eth1"));
      expect([...leaseTable(dataDir, NET)]).toEqual([]);
      expect(cniError(call(second, "CHECK", c, "a")).msg).toMatch(/Failed to find address added by container a/);
      // and the first one agrees
      expect(cniError(call(first, "CHECK", c, "a")).msg).toMatch(/Failed to find address added by container a/);
      expectGoCompatibleNetDir(dataDir);
    });

    it(`${first} and ${second} alternate on one store without a duplicate`, () => {
      const dataDir = makeTempDir();
      const c = conf(dataDir, { subnet: "10.1.2.0/28" });
      const seen: string[] = [];
      for (let i = 0; i < 13; i++) seen.push(...addOk(i % 2 === 0 ? first : second, c, `c${i}`));
      // .1 is the gateway, .15 the broadcast: .2-.14 is 13 addresses
      expect(new Set(seen).size).toBe(13);
      expect(cniError(call(first, "ADD", c, "full1")).msg).toMatch(/no IP addresses available/);
      expect(cniError(call(second, "ADD", c, "full2")).msg).toMatch(/no IP addresses available/);
      ok(call(first, "DEL", c, "c4"));
      expect(addOk(second, c, "again")).toEqual([seen[4]]);
      expectGoCompatibleNetDir(dataDir);
    });
  });
}

describe("the same calls leave the same bytes on disk", () => {
  it("Go and ours produce identical network dirs for one sequence", () => {
    const dirs = { go: makeTempDir(), ours: makeTempDir() };
    const ipam = { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00:1::/64" }]] };
    for (const impl of ["go", "ours"] as const) {
      const c = conf(dirs[impl], ipam);
      addOk(impl, c, "a");
      addOk(impl, c, "b", "net1");
      ok(call(impl, "ADD", c, "x", "eth0", "IP=10.1.2.77"));
      ok(call(impl, "DEL", c, "a"));
      addOk(impl, c, "c");
    }
    const names = listNetDir(dirs.go, NET);
    expect(listNetDir(dirs.ours, NET)).toEqual(names);
    for (const name of names) {
      expect(readStoreFile(dirs.ours, NET, name), name).toBe(readStoreFile(dirs.go, NET, name));
    }
  });
});

describe("ours after Go changed the store behind its back", () => {
  it("sees Go's new and deleted leases, and files created or removed by hand", () => {
    const dataDir = makeTempDir();
    const c = conf(dataDir);
    // ours first, so that any private index it keeps is warm
    expect(addOk("ours", c, "a")).toEqual(["10.1.2.2"]);
    expect(addOk("ours", c, "b")).toEqual(["10.1.2.3"]);
    expect(addOk("ours", c, "c")).toEqual(["10.1.2.4"]);
    // behind its back
    ok(call("go", "DEL", c, "b"));
    expect(addOk("go", c, "d")).toEqual(["10.1.2.5"]);
    rmSync(join(dataDir, NET, "10.1.2.4")); // c's lease vanished
    writeLease(dataDir, NET, "10.1.2.6", "x", "eth0"); // an admin restored a lease
    // ours: round robin from Go's last_reserved_ip (.5); .6 is taken
    expect(addOk("ours", c, "e")).toEqual(["10.1.2.7"]);
    expect(cniError(call("ours", "ADD", c, "d")).msg).toMatch(/duplicate allocation/);
    expect(cniError(call("ours", "ADD", c, "y", "eth0", "IP=10.1.2.6")).msg).toMatch(/not available/);
    ok(call("ours", "ADD", c, "z", "eth0", "IP=10.1.2.3")); // b's old address, freed by Go
    ok(call("ours", "ADD", c, "w", "eth0", "IP=10.1.2.4")); // c's old address, removed by hand
    ok(call("ours", "CHECK", c, "d"));
    ok(call("ours", "CHECK", c, "x"));
    expect(cniError(call("ours", "CHECK", c, "b")).msg).toMatch(/Failed to find/);
    ok(call("ours", "DEL", c, "d"));
    ok(call("ours", "DEL", c, "c")); // nothing left for c: still success
    expect([...leaseTable(dataDir, NET)]).toEqual([
      ["10.1.2.2", "a\r\neth0"],
      ["10.1.2.3", "z\r\neth0"],
      ["10.1.2.4", "w\r\neth0"],
      ["10.1.2.6", "x\r\neth0"],
      ["10.1.2.7", "e\r\neth0"],
    ]);
    expectGoCompatibleNetDir(dataDir);
  });

  it("a range Go filled up is full for ours; an address Go frees is found by ours", () => {
    const dataDir = makeTempDir();
    const c = conf(dataDir, { subnet: "10.1.2.0/29" });
    expect(addOk("ours", c, "o1")).toEqual(["10.1.2.2"]);
    for (const id of ["g1", "g2", "g3", "g4"]) addOk("go", c, id); // .3 .4 .5 .6
    expect(cniError(call("ours", "ADD", c, "o2")).msg).toMatch(/no IP addresses available/);
    ok(call("go", "DEL", c, "g2"));
    expect(addOk("ours", c, "o3")).toEqual(["10.1.2.4"]);
    expect(cniError(call("go", "ADD", c, "g5")).msg).toMatch(/no IP addresses available/);
    expectGoCompatibleNetDir(dataDir);
  });

  it("files ours keeps outside the network dir may be lost or damaged: the network dir stays the truth", () => {
    const dataDir = makeTempDir();
    const c = conf(dataDir);
    expect(addOk("ours", c, "a")).toEqual(["10.1.2.2"]);
    expect(addOk("ours", c, "b")).toEqual(["10.1.2.3"]);
    // garble every regular file under dataDir that is not in the network dir (e.g. a private index)
    garbleOutside(dataDir, join(dataDir, NET));
    expect(addOk("ours", c, "c")).toEqual(["10.1.2.4"]);
    expect(cniError(call("ours", "ADD", c, "a")).msg).toMatch(/duplicate allocation/);
    ok(call("ours", "CHECK", c, "b"));
    // and removed entirely
    for (const entry of readdirSync(dataDir)) if (entry !== NET) rmSync(join(dataDir, entry), { recursive: true, force: true });
    expect(addOk("ours", c, "d")).toEqual(["10.1.2.5"]);
    ok(call("ours", "DEL", c, "b"));
    expect([...leaseTable(dataDir, NET)]).toEqual([
      ["10.1.2.2", "a\r\neth0"],
      ["10.1.2.4", "c\r\neth0"],
      ["10.1.2.5", "d\r\neth0"],
    ]);
  });

  it("a lease rewritten in place (new owner, same file) is seen by ours' DEL and CHECK", () => {
    const dataDir = makeTempDir();
    const c = conf(dataDir);
    expect(addOk("ours", c, "a")).toEqual(["10.1.2.2"]);
    ok(call("ours", "CHECK", c, "a"));
    // rewrite the content without creating or removing a directory entry
    writeFileSync(join(dataDir, NET, "10.1.2.2"), "b\r\neth0");
    ok(call("ours", "DEL", c, "a")); // a has nothing left: success, b's lease must stay
    expect([...leaseTable(dataDir, NET)]).toEqual([["10.1.2.2", "b\r\neth0"]]);
    ok(call("ours", "CHECK", c, "b"));
    expect(cniError(call("ours", "ADD", c, "b")).msg).toMatch(/duplicate allocation/);
  });

  it("ours' GC releases leases Go made, by attachment", () => {
    const dataDir = makeTempDir();
    const goConf = conf(dataDir);
    addOk("go", goConf, "keep");
    addOk("go", goConf, "drop");
    const gcConf = netConf({
      cniVersion: "1.1.0",
      dataDir,
      ipam: { subnet: "10.1.2.0/24" },
      extra: { "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] },
    });
    ok(hostLocal(hostLocalBinary("ours"), { command: "GC", config: gcConf }));
    expect([...leaseTable(dataDir, NET)]).toEqual([["10.1.2.2", "keep\r\neth0"]]);
    // Go then continues where it left off, and ours agrees on the state
    expect(addOk("go", goConf, "next")).toEqual(["10.1.2.4"]);
    expect(addOk("ours", goConf, "next2")).toEqual(["10.1.2.5"]);
    expectGoCompatibleNetDir(dataDir);
  });
});
