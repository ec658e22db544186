// The disk store: Go's file format, release semantics, damage, and the index staying right when
// files change behind its back (the Go plugin writing or deleting leases directly).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allocate } from "../src/allocator";
import { staleLeases } from "../src/gc";
import { formatIP, parseIP } from "@cni/skel";
import { canonicalizeRangeSet } from "../src/range";
import { INDEX_DIR_NAME } from "../src/lease-index";
import { NETWORK, openTestStore, useTempStore } from "./tmp-store";

const temp = useTempStore();

const netDir = () => join(temp.dataDir, NETWORK);
const netFile = (name: string) => join(netDir(), name);
const v4 = canonicalizeRangeSet([{ subnet: "10.1.2.0/24" }]);
const v6 = canonicalizeRangeSet([{ subnet: "fd00::/64" }]);

function add(id: string, ifName = "eth0", set = v4, setIndex = 0): string {
  return temp.store.withLock(() => formatIP(allocate(set, setIndex, temp.store, id, ifName).ip));
}
const del = (id: string, ifName = "eth0") => temp.store.withLock(() => temp.store.releaseAttachment(id, ifName));
const has = (id: string, ifName = "eth0") => temp.store.withLock(() => temp.store.hasLease(id, ifName));
const leaseNames = () => readdirSync(netDir()).filter((n) => parseIP(n)).sort();

describe("Go's file format", () => {
  it("lease per address: content id\\r\\nifname, no newline, mode 0600; last_reserved_ip.N; lock untouched", () => {
    expect(add("dummy")).toBe("10.1.2.2");
    expect(add("dummy", "eth0", v6, 1)).toBe("fd00::2");
    expect(readFileSync(netFile("10.1.2.2"))).toEqual(Buffer.from("dummy\r\neth0"));
    expect(readFileSync(netFile("fd00::2"), "utf8")).toBe("dummy\r\neth0");
    expect(statSync(netFile("10.1.2.2")).mode & 0o777).toBe(0o600);
    expect(readFileSync(netFile("last_reserved_ip.0"), "utf8")).toBe("10.1.2.2");
    expect(readFileSync(netFile("last_reserved_ip.1"), "utf8")).toBe("fd00::2");
    expect(statSync(netFile("last_reserved_ip.0")).mode & 0o777).toBe(0o600);
  });

  it("the index lives outside the network directory", () => {
    add("dummy");
    expect(readdirSync(netDir()).sort()).toEqual(["10.1.2.2", "last_reserved_ip.0"]);
    expect(existsSync(join(temp.dataDir, INDEX_DIR_NAME, NETWORK, "state"))).toBe(true);
  });

  it("trims whitespace around the container id, like Go", () => {
    expect(add("   dummy\n ")).toBe("10.1.2.2");
    expect(readFileSync(netFile("10.1.2.2"), "utf8")).toBe("dummy\r\neth0");
    expect(has("dummy")).toBe(true);
    del("   dummy\n ");
    expect(leaseNames()).toEqual([]);
  });

  it("rejects network names that could leave the data directory", () => {
    for (const name of ["..", "../x", "a/b", ".hidden", ""]) expect(() => openTestStore(temp.dataDir, name)).toThrow(/network name/);
  });
});

describe("DEL", () => {
  it("removes the leases of (id, ifname) only", () => {
    add("c1", "eth0");
    add("c1", "eth1", canonicalizeRangeSet([{ subnet: "10.9.0.0/24" }]));
    add("c2", "eth0");
    expect(del("c1", "eth0")).toEqual(["10.1.2.2"]);
    expect(leaseNames()).toEqual(["10.1.2.3", "10.9.0.2"]);
    expect(has("c1", "eth1")).toBe(true);
    expect(has("c1", "eth0")).toBe(false);
  });

  it("an unknown id is success and changes nothing", () => {
    add("c1");
    expect(del("nobody")).toEqual([]);
    expect(leaseNames()).toEqual(["10.1.2.2"]);
  });

  it("old-format leases (container id only) are released when no new-format lease matches", () => {
    writeFileSync(netFile("10.1.2.50"), "legacy");
    writeFileSync(netFile("10.1.2.51"), "legacy");
    expect(has("legacy")).toBe(true);
    expect(del("legacy").sort()).toEqual(["10.1.2.50", "10.1.2.51"]);
    expect(leaseNames()).toEqual([]);
  });

  it("a lease rewritten in place to the old format (directory mtime untouched) is still found", () => {
    add("dummy");
    const before = statSync(netDir());
    writeFileSync(netFile("10.1.2.2"), "dummy"); // content changes; the directory does not
    expect(statSync(netDir()).mtimeMs).toBe(before.mtimeMs);
    expect(del("dummy")).toEqual(["10.1.2.2"]);
    expect(leaseNames()).toEqual([]);
  });
});

describe("the index follows changes made behind its back", () => {
  it("a lease created directly (as the Go plugin would) is seen by the duplicate check, CHECK and DEL", () => {
    add("c1");
    writeFileSync(netFile("10.1.2.77"), "go-made\r\neth0");
    expect(has("go-made")).toBe(true);
    expect(() => add("go-made")).toThrow(/10.1.2.77 has been allocated to go-made/);
    expect(del("go-made")).toEqual(["10.1.2.77"]);
  });

  it("a lease deleted directly is gone for CHECK and free for allocation", () => {
    add("c1");
    add("c2");
    unlinkSync(netFile("10.1.2.2"));
    expect(has("c1")).toBe(false);
    writeFileSync(netFile("last_reserved_ip.0"), "10.1.2.254");
    expect(add("c3")).toBe("10.1.2.2");
  });

  it("addresses taken directly are skipped without a clash", () => {
    for (let i = 2; i < 10; i++) writeFileSync(netFile(`10.1.2.${i}`), `go${i}\r\neth0`);
    expect(add("c1")).toBe("10.1.2.10");
    expect(del("go5")).toEqual(["10.1.2.5"]);
    writeFileSync(netFile("last_reserved_ip.0"), "10.1.2.4");
    expect(add("c2")).toBe("10.1.2.5");
  });

  it("a deleted or damaged index is rebuilt", () => {
    add("c1");
    add("c2");
    rmSync(join(temp.dataDir, INDEX_DIR_NAME), { recursive: true });
    expect(has("c2")).toBe(true);
    for (const f of readdirSync(join(temp.dataDir, INDEX_DIR_NAME, NETWORK))) {
      writeFileSync(join(temp.dataDir, INDEX_DIR_NAME, NETWORK, f), "{garbage");
    }
    // the state file is garbage too: rebuilt from the leases
    expect(del("c1")).toEqual(["10.1.2.2"]);
    expect(has("c2")).toBe(true);
  });

  it("many leases: hundreds of files in a /16 is indexed once, then DEL and ADD stay exact", () => {
    const big = canonicalizeRangeSet([{ subnet: "10.2.0.0/16" }]);
    for (let i = 2; i < 700; i++) writeFileSync(netFile(`10.2.${i >> 8}.${i & 255}`), `bulk${i}\r\neth0`);
    expect(add("first", "eth0", big)).toBe("10.2.2.188"); // 700 = 2*256 + 188
    expect(del("bulk500")).toEqual(["10.2.1.244"]);
    writeFileSync(netFile("last_reserved_ip.0"), "10.2.0.1");
    expect(add("again", "eth0", big)).toBe("10.2.1.244");
  });
});

describe("what a call writes", () => {
  const stateFile = () => join(temp.dataDir, INDEX_DIR_NAME, NETWORK, "state");
  const readState = () => JSON.parse(readFileSync(stateFile(), "utf8")) as Record<string, unknown>;
  const dirMtime = () => statSync(netDir(), { bigint: true }).mtimeNs.toString();
  /** The state as saved, plus a key the store never writes: gone once the store rewrites the file. */
  function markState(): Record<string, unknown> {
    const marked = { ...readState(), marker: 1 };
    writeFileSync(stateFile(), JSON.stringify(marked));
    return marked;
  }

  it("steady ADD and DEL leave the state as saved and give the directory its recorded sentinel back", () => {
    add("c1"); // the first call builds the index and saves its state
    const marked = markState();
    expect(marked).toMatchObject({ mtimeNs: dirMtime(), oldFormat: false });
    add("c2");
    del("c1");
    expect(readState()).toEqual(marked);
    expect(dirMtime()).toBe(marked.mtimeNs);
  });

  it("a call that changes nothing writes nothing, not even the directory's time", () => {
    add("c1");
    const marked = markState();
    const index = readdirSync(join(temp.dataDir, INDEX_DIR_NAME, NETWORK)).sort();
    expect(del("nobody")).toEqual([]);
    expect(has("c1")).toBe(true);
    expect(() => add("c1")).toThrow(/duplicate allocation/);
    expect(readState()).toEqual(marked);
    expect(readdirSync(join(temp.dataDir, INDEX_DIR_NAME, NETWORK)).sort()).toEqual(index);
    expect(dirMtime()).toBe(marked.mtimeNs);
  });

  it("a sentinel over an hour old is replaced by a fresh one (the directory's mtime stays recent)", () => {
    add("c1");
    const old = BigInt(Math.floor(Date.now() / 1000) - 7200);
    execFileSync("touch", ["-m", "-d", `@${old}.123456789`, netDir()]);
    writeFileSync(stateFile(), JSON.stringify({ ...readState(), mtimeNs: dirMtime() }));
    expect(dirMtime()).toBe(`${old}123456789`);
    add("c2");
    const saved = readState();
    expect(saved.mtimeNs).toBe(dirMtime());
    expect(BigInt(dirMtime())).toBeGreaterThan((old + 7000n) * 1_000_000_000n);
    expect(has("c1") && has("c2")).toBe(true);
  });

  it("a state saved before the old-format flag existed is rebuilt once, finding old-format leases", () => {
    add("c1");
    writeFileSync(netFile("10.1.2.50"), "legacy");
    const { oldFormat: _dropped, ...before } = readState();
    writeFileSync(stateFile(), JSON.stringify({ ...before, mtimeNs: dirMtime() }));
    expect(has("legacy")).toBe(true);
    expect(readState()).toMatchObject({ oldFormat: true });
    expect(del("legacy")).toEqual(["10.1.2.50"]);
  });
});

describe("damage", () => {
  it("a zero-byte or garbage lease keeps its address taken and crashes nothing", () => {
    writeFileSync(netFile("10.1.2.2"), "");
    writeFileSync(netFile("10.1.2.3"), "\u0000\u0001garbage\n\n");
    expect(add("c1")).toBe("10.1.2.4");
    expect(has("nobody")).toBe(false);
    expect(del("nobody")).toEqual([]);
  });

  it("stray files and directories are ignored", () => {
    writeFileSync(netFile("README"), "c1\r\neth0");
    mkdirSync(netFile("10.1.2.2"));
    writeFileSync(netFile("last_reserved_ip.x"), "banana");
    expect(add("c1")).toBe("10.1.2.3");
    expect(del("c1")).toEqual(["10.1.2.3"]);
    expect(existsSync(netFile("README"))).toBe(true);
  });

  it("a missing network directory is recreated when the store is opened", () => {
    rmSync(netDir(), { recursive: true });
    temp.reopen();
    expect(add("c1")).toBe("10.1.2.2");
  });

  it("a data directory that is a file is an I/O error naming it", () => {
    writeFileSync(join(temp.dataDir, "file"), "");
    expect(() => openTestStore(join(temp.dataDir, "file"))).toThrow(/dataDir .*\/file is not a directory/);
  });

  it("a data directory that cannot be created is an I/O error naming it", () => {
    writeFileSync(join(temp.dataDir, "file"), "");
    expect(() => openTestStore(join(temp.dataDir, "file", "data"))).toThrow(/cannot read dataDir .*file\/data: ENOTDIR/);
  });
});

describe("GC", () => {
  const lease = (name: string, owner: string) => ({ name, ip: parseIP(name)!, owner });
  it("keeps valid attachments (and old-format leases of a valid container), releases the rest", () => {
    const leases = [
      lease("10.1.2.2", "keep\r\neth0"),
      lease("10.1.2.3", "keep\r\neth1"),
      lease("10.1.2.4", "gone\r\neth0"),
      lease("10.1.2.5", "keep"),
      lease("10.1.2.6", "gone"),
      lease("10.1.2.7", ""),
    ];
    const stale = staleLeases(leases, [{ containerID: "keep", ifname: "eth0" }]).map((l) => l.name);
    expect(stale).toEqual(["10.1.2.3", "10.1.2.4", "10.1.2.6", "10.1.2.7"]);
    expect(staleLeases(leases, []).length).toBe(6);
  });

  it("walks the directory, never touching lock or last_reserved_ip", () => {
    add("keep");
    add("gone");
    writeFileSync(netFile("lock"), "");
    writeFileSync(netFile("10.1.2.99"), "");
    temp.store.withLock(() => temp.store.removeLeases(staleLeases(temp.store.listLeases(), [{ containerID: "keep", ifname: "eth0" }])));
    expect(readdirSync(netDir()).sort()).toEqual(["10.1.2.2", "last_reserved_ip.0", "lock"]);
    expect(has("gone")).toBe(false);
    expect(has("keep")).toBe(true);
  });
});
