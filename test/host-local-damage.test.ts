// Black-box tests of host-local IPAM: damaged stores, path safety and bad input.
// Runs against bin/host-local; HOST_LOCAL_IMPL=go runs the same tests against the Go reference
// (/usr/lib/cni/host-local, 1.1.1) — tests of behaviour where ours is documented to differ are skipped then.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  cniError,
  del,
  expectOk,
  leaseNames,
  listNetDir,
  looksLikeCrash,
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
