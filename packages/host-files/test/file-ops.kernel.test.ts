// The file operations and locks (src/files.ts, src/lock.ts -> handlers/file.rs, sys.rs) against real files, each result checked against
// what node:fs (the kernel through libuv) says about the same file. Everything happens in a private
// temporary directory, removed afterwards.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  checkAccess,
  pathExists,
  realPath,
  closeFile,
  fileStatus,
  flock,
  linkStatus,
  listDirectory,
  lockFile,
  makeDirectory,
  OpenFlag,
  openFile,
  readFileBytes,
  readFileBytesIfExists,
  readTextFile,
  readTextFileIfExists,
  removeFile,
  removeTree,
  renameFile,
  setFileTimes,
  tryFlock,
  writeFd,
  writeFile,
} from "../src/index";
import { NetlinkError } from "@cni/netlink";

const ADDON = resolve(__dirname, "../../netlink/rtnetlink.node");

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nlf-ops-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The NetlinkError `fn` throws (fails the test when it returns). */
function failure(fn: () => unknown): NetlinkError {
  try {
    fn();
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(NetlinkError);
    return thrown as NetlinkError;
  }
  throw new Error("expected a NetlinkError");
}

describe("whole-file reads and writes", () => {
  test("an exclusive write creates the file with its mode and content; a second one is EEXIST", () => {
    const path = join(dir, "10.0.0.2");
    writeFile(path, "container\r\neth0", { mode: 0o600, exclusive: true });
    expect(readFileSync(path, "utf8")).toBe("container\r\neth0");
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    const taken = failure(() => writeFile(path, "other", { exclusive: true }));
    expect([taken.code, taken.request, taken.subject]).toEqual(["EEXIST", "fileWrite", path]);
    expect(readFileSync(path, "utf8")).toBe("container\r\neth0");
  });

  test("a plain write truncates and rewrites; reads return what node:fs reads", () => {
    const path = join(dir, "last_reserved_ip.0");
    writeFileSync(path, "10.0.0.200");
    writeFile(path, "10.0.0.3");
    expect(readFileSync(path, "utf8")).toBe("10.0.0.3");
    expect(readTextFile(path, 100)).toBe("10.0.0.3");
    const text = "h\u00e9llo \u{1f600}\n";
    writeFileSync(path, text);
    expect(readTextFile(path, 100)).toBe(text);
  });

  test("bytes: a Uint8Array view is written from its own offset, and read back unchanged", () => {
    const path = join(dir, "used4-0a000000");
    const backing = new Uint8Array(8192 + 16);
    for (let i = 0; i < backing.length; i++) backing[i] = i & 0xff;
    const view = backing.subarray(16);
    writeFile(path, view);
    expect(Buffer.compare(readFileSync(path), Buffer.from(view))).toBe(0);
    expect(Buffer.compare(readFileBytes(path, 8192), Buffer.from(view))).toBe(0);
    writeFile(path, new Uint8Array(0));
    expect(readFileSync(path).length).toBe(0);
  });

  test("limits and kinds: EFBIG past maxBytes (an endless file too), EISDIR, ENOENT, a FIFO does not block", () => {
    const path = join(dir, "sized");
    writeFileSync(path, "12345");
    expect(readTextFile(path, 5)).toBe("12345");
    expect(failure(() => readTextFile(path, 4)).code).toBe("EFBIG");
    expect(failure(() => readFileBytes("/dev/zero", 65536)).code).toBe("EFBIG");
    expect(failure(() => readTextFile(dir, 100)).code).toBe("EISDIR");
    expect(failure(() => readTextFile(join(dir, "missing"), 100)).code).toBe("ENOENT");
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    // no writer: a non-blocking open and read return at once with nothing
    expect(readTextFile(fifo, 100)).toBe("");
    rmSync(fifo);
  });

  test("the IfExists reads: a missing file is undefined, every other failure still throws", () => {
    const path = join(dir, "maybe");
    expect(readTextFileIfExists(path, 100)).toBeUndefined();
    expect(readFileBytesIfExists(path, 100)).toBeUndefined();
    writeFileSync(path, "10.0.0.9");
    expect(readTextFileIfExists(path, 100)).toBe("10.0.0.9");
    expect(readFileBytesIfExists(path, 100)?.toString()).toBe("10.0.0.9");
    expect(failure(() => readTextFileIfExists(path, 3)).code).toBe("EFBIG");
    expect(failure(() => readTextFileIfExists(dir, 100)).code).toBe("EISDIR");
    // a missing directory on the way is ENOTDIR/ENOENT as the kernel says: ENOENT counts as missing
    expect(readTextFileIfExists(join(dir, "nowhere", "x"), 100)).toBeUndefined();
    expect(failure(() => readTextFileIfExists(join(path, "x"), 100)).code).toBe("ENOTDIR");
    rmSync(path);
  });

  test("data that is neither a string nor a Uint8Array is EINVAL", () => {
    const bad = failure(() => writeFile(join(dir, "bad"), [1, 2] as unknown as Uint8Array));
    expect(bad.code).toBe("EINVAL");
    expect(() => statSync(join(dir, "bad"))).toThrow();
  });
});

describe("directories", () => {
  test("makeDirectory creates every missing level with its mode; existing is fine", () => {
    const deep = join(dir, "index", "net1");
    makeDirectory(deep, 0o700);
    makeDirectory(deep, 0o700);
    expect(statSync(join(dir, "index")).mode & 0o7777).toBe(0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    const blocked = join(dir, "sized", "below");
    expect(failure(() => makeDirectory(blocked)).code).toBe("ENOTDIR");
  });

  test("listDirectory lists what readdir lists, with the same kinds", () => {
    const listed = join(dir, "listed");
    makeDirectory(listed);
    writeFileSync(join(listed, "10.0.0.5"), "x");
    writeFileSync(join(listed, "lock"), "");
    makeDirectory(join(listed, "sub"));
    symlinkSync("10.0.0.5", join(listed, "link"));
    const ours = listDirectory(listed)
      .map((entry) => `${entry.name}:${entry.kind}`)
      .sort();
    const theirs = readdirSync(listed, { withFileTypes: true })
      .map((entry) => `${entry.name}:${entry.isFile() ? "file" : entry.isDirectory() ? "directory" : entry.isSymbolicLink() ? "symlink" : "other"}`)
      .sort();
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(["10.0.0.5:file", "link:symlink", "lock:file", "sub:directory"]);
    expect(failure(() => listDirectory(join(listed, "missing"))).code).toBe("ENOENT");
  });

  test("removeTree removes a tree (not what a symlink in it points to); missing is fine", () => {
    const tree = join(dir, "tree");
    makeDirectory(join(tree, "a", "b"));
    writeFileSync(join(tree, "a", "b", "f"), "x");
    const outside = join(dir, "outside");
    makeDirectory(outside);
    writeFileSync(join(outside, "keep"), "x");
    symlinkSync(outside, join(tree, "a", "link"));
    removeTree(tree);
    expect(() => lstatSync(tree)).toThrow();
    expect(readFileSync(join(outside, "keep"), "utf8")).toBe("x");
    removeTree(tree);
  });

  test("renameFile and removeFile", () => {
    const from = join(dir, "from");
    const to = join(dir, "to");
    writeFileSync(from, "a");
    writeFileSync(to, "b");
    renameFile(from, to);
    expect(readFileSync(to, "utf8")).toBe("a");
    expect(() => statSync(from)).toThrow();
    removeFile(to);
    expect(() => statSync(to)).toThrow();
    const gone = failure(() => removeFile(to));
    expect([gone.code, gone.request, gone.subject]).toEqual(["ENOENT", "fileUnlink", to]);
    expect(failure(() => removeFile(dir)).code).toBe("EISDIR");
  });
});

describe("status and times", () => {
  test("fileStatus says what stat(2) says, mtime to the nanosecond", () => {
    for (const path of [dir, join(dir, "sized"), "/proc/self/exe"]) {
      const ours = fileStatus(path);
      const theirs = statSync(path, { bigint: true });
      expect(ours.dev).toBe(theirs.dev.toString());
      expect(ours.ino).toBe(theirs.ino.toString());
      expect(ours.mtimeNs).toBe(theirs.mtimeNs.toString());
      expect(ours.mode).toBe(Number(theirs.mode & 0o7777n));
      expect(ours.uid).toBe(Number(theirs.uid));
      expect(ours.size).toBe(Number(theirs.size));
      expect(ours.kind).toBe(theirs.isDirectory() ? "directory" : "file");
    }
    expect(failure(() => fileStatus(join(dir, "missing"))).code).toBe("ENOENT");
  });

  test("linkStatus says what lstat(2) says: a symlink is itself, never followed", () => {
    const link = join(dir, "link-to-dir");
    symlinkSync(dir, link);
    const ours = linkStatus(link);
    const theirs = lstatSync(link, { bigint: true });
    expect(ours.kind).toBe("symlink");
    expect(ours.ino).toBe(theirs.ino.toString());
    expect(ours.uid).toBe(Number(theirs.uid));
    expect(fileStatus(link).kind).toBe("directory");
    expect(linkStatus(dir).ino).toBe(fileStatus(dir).ino);
    expect(failure(() => linkStatus(join(dir, "missing"))).code).toBe("ENOENT");
  });

  test("setFileTimes sets an exact time, or now", () => {
    const target = join(dir, "stamped");
    makeDirectory(target);
    setFileTimes(target, { seconds: 1_700_000_000, nanoseconds: 123_456_789 });
    const stamped = statSync(target, { bigint: true });
    expect(stamped.mtimeNs).toBe(1_700_000_000_123_456_789n);
    expect(stamped.atimeNs).toBe(1_700_000_000_123_456_789n);
    expect(fileStatus(target).mtimeNs).toBe("1700000000123456789");
    setFileTimes(target, "now");
    expect(statSync(target, { bigint: true }).mtimeNs).toBeGreaterThan(1_700_000_001_000_000_000n);
    expect(failure(() => setFileTimes(target, { seconds: 1, nanoseconds: 1_000_000_000 })).code).toBe("EINVAL");
    expect(failure(() => setFileTimes(join(dir, "missing"), "now")).code).toBe("ENOENT");
  });

  test("checkAccess", () => {
    checkAccess(dir, "write");
    checkAccess(join(dir, "sized"), "read");
    checkAccess(dir, "exists");
    expect(failure(() => checkAccess(join(dir, "missing"), "exists")).code).toBe("ENOENT");
    expect(failure(() => checkAccess("/proc/self/exe/x", "write")).code).toBe("ENOTDIR");
    expect(pathExists(dir)).toBe(true);
    expect(pathExists(join(dir, "missing"))).toBe(false);
  });

  test("realPath resolves symlinks, . and .. as realpath(3) does", () => {
    symlinkSync(join(dir, "sized"), join(dir, "to-sized"));
    symlinkSync("to-sized", join(dir, "to-to-sized"));
    expect(realPath(join(dir, "to-to-sized"))).toBe(realpathSync(join(dir, "sized")));
    expect(realPath(`${dir}/./sized`)).toBe(realpathSync(join(dir, "sized")));
    expect(realPath(`${dir}/../${dir.slice(dir.lastIndexOf("/") + 1)}/sized`)).toBe(realpathSync(join(dir, "sized")));
    expect(failure(() => realPath(join(dir, "missing"))).code).toBe("ENOENT");
  });
});

describe("open, close and the lock", () => {
  test("openFile creates with its mode; closeFile closes (a second close is EBADF)", () => {
    const path = join(dir, "opened");
    const fd = openFile(path, OpenFlag.readOnly | OpenFlag.create, 0o750);
    expect(statSync(path).mode & 0o7777).toBe(0o750);
    closeFile(fd);
    expect(failure(() => closeFile(fd)).code).toBe("EBADF");
    expect(failure(() => openFile(path, OpenFlag.readOnly | OpenFlag.create | OpenFlag.exclusive)).code).toBe("EEXIST");
  });

  test("lockFile holds an exclusive flock until its fd is closed", () => {
    const path = join(dir, "lock");
    const held = lockFile(path, "exclusive", 0o750);
    const other = openSync(path, "r");
    try {
      expect(tryFlock(other, "exclusive")).toBe(false);
      closeFile(held);
      expect(tryFlock(other, "exclusive")).toBe(true);
    } finally {
      closeSync(other);
    }
  });
});

describe("writeFd", () => {
  test("writes all of a large answer to a pipe, strings as UTF-8 and bytes as they are", () => {
    // in a child whose stdout is a pipe read by this process (far more than a pipe buffer holds)
    const script = `const a = require(${JSON.stringify(ADDON)}); a.writeFd(1, "\u00e9".repeat(300000)); a.writeFd(1, new Uint8Array([0x41, 0x42]).subarray(1));`;
    const child = spawnSync(process.execPath, ["-e", script], { maxBuffer: 16 * 1024 * 1024 });
    expect(child.status).toBe(0);
    expect(child.stdout.length).toBe(600001);
    expect(child.stdout.subarray(0, 4).toString()).toBe("\u00e9\u00e9");
    expect(child.stdout.subarray(600000).toString()).toBe("B");
  });

  test("a file, then EBADF on a closed fd", () => {
    const path = join(dir, "written");
    const fd = openSync(path, "w");
    writeFd(fd, "10.0.0.7");
    closeSync(fd);
    expect(readFileSync(path, "utf8")).toBe("10.0.0.7");
    expect(failure(() => writeFd(fd, "x")).code).toBe("EBADF");
  });
});

describe("flock", () => {
  test("exclusive excludes, shared shares, unlock releases", () => {
    const path = join(dir, "flock");
    const first = lockFile(path, "exclusive");
    const second = openSync(path, "r");
    expect(tryFlock(second, "exclusive")).toBe(false);
    expect(tryFlock(second, "shared")).toBe(false);
    flock(first, "unlock");
    expect(tryFlock(second, "shared")).toBe(true);
    expect(tryFlock(first, "shared")).toBe(true);
    expect(tryFlock(first, "exclusive")).toBe(false);
    closeSync(second);
    expect(tryFlock(first, "exclusive")).toBe(true);
    closeSync(first);
    expect(failure(() => flock(9999, "exclusive")).code).toBe("EBADF");
  });
});
