// Which directories the store works in (src/trust.ts): each of dataDir, the network directory, and the
// index's two directories is lstat()ed; a link, a non-directory, another user's directory or one others can
// write is refused with code 5 naming it. Real directories under a throwaway dataDir (the tests run as root;
// "another user" is uid 65534 through chown). The unprivileged attacks themselves are in test/hostile.test.ts.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CniError, ErrorCode } from "@cni/skel";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { INDEX_DIR_NAME } from "../src/lease-index";
import { NETWORK, openTestStore, tempDataDir } from "./tmp-store";

const NOBODY = 65534;
let temp: { dataDir: string; cleanup(): void };
beforeEach(() => {
  temp = tempDataDir();
});
afterEach(() => temp.cleanup());

const dataDir = (): string => join(temp.dataDir, "data");
const netDir = (): string => join(dataDir(), NETWORK);
const indexRoot = (): string => join(dataDir(), INDEX_DIR_NAME);

/** What one locked operation of a freshly opened store throws (undefined when it works). */
function failure(): CniError | undefined {
  try {
    const store = openTestStore(dataDir());
    store.withLock(() => store.hasLease("c1", "eth0"));
    return undefined;
  } catch (err) {
    if (err instanceof CniError) return err;
    throw err;
  }
}

function expectRefused(path: string, problem: string): void {
  const err = failure();
  expect(err?.code).toBe(ErrorCode.IOFailure);
  expect(err?.message).toMatch(new RegExp(`^[a-zA-Z ]+ ${path.replace(/[.]/g, "\\.")} ${problem}: refusing to use it$`));
}

describe("trusted", () => {
  it("a missing dataDir is created (0755), with the network and index directories in it", () => {
    expect(failure()).toBeUndefined();
    expect(readdirSync(dataDir()).sort()).toEqual([INDEX_DIR_NAME, NETWORK]);
  });

  it("a dataDir shared the way /tmp is (sticky, root's) is used", () => {
    mkdirSync(dataDir());
    chmodSync(dataDir(), 0o1777);
    expect(failure()).toBeUndefined();
  });

  it("a network directory with mode 000 or 0700 is used (root reads it anyway)", () => {
    mkdirSync(netDir(), { recursive: true });
    chmodSync(netDir(), 0o000);
    expect(failure()).toBeUndefined();
  });
});

describe("refused with code 5 naming the directory", () => {
  it("a dataDir that is a symbolic link, also when written with a trailing slash", () => {
    mkdirSync(join(temp.dataDir, "real"));
    symlinkSync(join(temp.dataDir, "real"), dataDir());
    expectRefused(dataDir(), "is a symbolic link");
    expect(() => openTestStore(`${dataDir()}//`)).toThrow(/is a symbolic link/);
    expect(readdirSync(join(temp.dataDir, "real"))).toEqual([]);
  });

  it("a dataDir others can write without the sticky bit", () => {
    mkdirSync(dataDir());
    chmodSync(dataDir(), 0o777);
    expectRefused(dataDir(), "is writable by group or others \\(mode 777\\)");
    chmodSync(dataDir(), 0o775);
    expectRefused(dataDir(), "is writable by group or others \\(mode 775\\)");
    expect(readdirSync(dataDir())).toEqual([]);
  });

  it("a dataDir owned by another user", () => {
    mkdirSync(dataDir());
    chownSync(dataDir(), NOBODY, NOBODY);
    expectRefused(dataDir(), `is owned by uid ${NOBODY}, not by uid 0`);
  });

  it("a network directory that is a link, a file, sticky and shared, or another user's", () => {
    mkdirSync(join(temp.dataDir, "elsewhere"));
    mkdirSync(dataDir());
    symlinkSync(join(temp.dataDir, "elsewhere"), netDir());
    expectRefused(netDir(), "is a symbolic link");
    expect(readdirSync(join(temp.dataDir, "elsewhere"))).toEqual([]); // not even a lock file
    rmLink(netDir());
    writeFileSync(netDir(), "");
    expectRefused(netDir(), "is not a directory");
    rmLink(netDir());
    mkdirSync(netDir(), { mode: 0o755 });
    chmodSync(netDir(), 0o1777); // the sticky exception is the dataDir's alone
    expectRefused(netDir(), "is writable by group or others \\(mode 1777\\)");
    chmodSync(netDir(), 0o755);
    chownSync(netDir(), NOBODY, NOBODY);
    expectRefused(netDir(), `is owned by uid ${NOBODY}, not by uid 0`);
  });

  it("an index directory (either level) that is a link, or another user's: nothing removed behind it", () => {
    const victim = join(temp.dataDir, "victim");
    mkdirSync(join(victim, NETWORK), { recursive: true });
    writeFileSync(join(victim, NETWORK, "state"), "precious");
    mkdirSync(dataDir());
    symlinkSync(victim, indexRoot());
    expectRefused(indexRoot(), "is a symbolic link");
    rmLink(indexRoot());
    mkdirSync(indexRoot(), { mode: 0o700 });
    symlinkSync(join(victim, NETWORK), join(indexRoot(), NETWORK));
    expectRefused(join(indexRoot(), NETWORK), "is a symbolic link");
    expect(readdirSync(join(victim, NETWORK))).toEqual(["state"]);
    rmLink(join(indexRoot(), NETWORK));
    chownSync(indexRoot(), NOBODY, NOBODY);
    expectRefused(indexRoot(), `is owned by uid ${NOBODY}, not by uid 0`);
    chownSync(indexRoot(), 0, 0);
    chmodSync(indexRoot(), 0o777);
    expectRefused(indexRoot(), "is writable by group or others \\(mode 777\\)");
    expect(existsSync(join(indexRoot(), NETWORK))).toBe(false);
  });
});

/** unlink, or rmdir for an empty directory: never a recursive removal through a link. */
function rmLink(path: string): void {
  if (lstatSync(path).isDirectory()) rmdirSync(path);
  else unlinkSync(path);
}
