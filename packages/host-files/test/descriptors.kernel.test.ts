// The start-up primitives readFd and fileIdentity against real files, pipes and processes. Each read runs
// in a child process with a kill timeout: a hang fails the test instead of freezing the test runner (the
// addon call is synchronous). Files live in a private temporary directory, removed afterwards.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NetlinkError } from "@cni/netlink";
import { fileIdentity, readFd } from "../src/index";

const ADDON = resolve(__dirname, "../../netlink/rtnetlink.node");
/** Kills a child that hangs; far above what any of these calls take. */
const HANG_GUARD_MS = 15_000;

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hf-fds-"));
  mkdirSync(join(dir, "directory"));
  writeFileSync(join(dir, "regular"), "a regular file\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run a child node that prints what readFd(0, max) returned (length and text) or the error code. */
interface ReadOutcome {
  length?: number;
  text?: string;
  buffer?: boolean;
  code?: string;
  message?: string;
}

function readStdinInChild(shellPrefix: string, max: number): ReadOutcome {
  const script = `
    const addon = require(${JSON.stringify(ADDON)});
    try { const b = addon.readFd(0, ${max}); process.stdout.write(JSON.stringify({ length: b.length, text: b.subarray(0, 20).toString(), buffer: Buffer.isBuffer(b) })); }
    catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })); }`;
  const node = `${JSON.stringify(process.execPath)} -e ${shellQuote(script)}`;
  const child = spawnSync("sh", ["-c", `${shellPrefix} ${node}`], { encoding: "utf8", timeout: HANG_GUARD_MS });
  if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ReadOutcome;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Sets O_NONBLOCK on fd 0 (the open file description, kept across exec) and execs the rest. */
const NONBLOCKING_STDIN = `python3 -c 'import fcntl, os, sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execvp("sh", ["sh", "-c", sys.argv[1]])'`;

describe("readFd", () => {
  test("reads a pipe to end of file, a regular file, and an empty stdin", () => {
    const big = join(dir, "big.json");
    const content = `{"cniVersion":"1.1.0","pad":"${"x".repeat(200_000)}"}`; // several pipe buffers' worth
    writeFileSync(big, content);
    expect(readStdinInChild(`cat ${big} |`, 1 << 20)).toEqual({ length: content.length, text: '{"cniVersion":"1.1.0', buffer: true });
    expect(readStdinInChild(`<${big}`, 1 << 20)).toMatchObject({ length: content.length });
    expect(readStdinInChild("</dev/null", 10)).toMatchObject({ length: 0, text: "" });
  });

  test("a non-blocking stdin whose writer is late is waited for, not EAGAIN", () => {
    // The writer starts writing only after the reader announced (with a file) that it is about to read,
    // and a moment later, so the reader's first read(2) finds the pipe empty; the expected outcome is the
    // same whichever way the race goes.
    const ready = join(dir, "reader-ready");
    const script = `
      const addon = require(${JSON.stringify(ADDON)});
      require("node:fs").writeFileSync(${JSON.stringify(ready)}, "");
      const b = addon.readFd(0, 1000); process.stdout.write(JSON.stringify({ length: b.length, text: b.toString() }));`;
    const reader = `${JSON.stringify(process.execPath)} -e ${shellQuote(script)}`;
    const writer = `(while [ ! -e ${ready} ]; do sleep 0.02; done; sleep 0.2; printf '{"a":1}')`;
    const child = spawnSync("sh", ["-c", `${writer} | ${NONBLOCKING_STDIN} ${shellQuote(reader)}`], { encoding: "utf8", timeout: HANG_GUARD_MS });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({ length: 7, text: '{"a":1}' });
  });

  test("more than maxBytes is EFBIG naming the limit; exactly maxBytes is fine", () => {
    const failure = readStdinInChild(`printf 0123456789 |`, 9);
    expect(failure).toMatchObject({ code: "EFBIG" });
    expect(failure.message).toContain("more than 9 bytes");
    expect(readStdinInChild(`printf 0123456789 |`, 10)).toMatchObject({ length: 10, text: "0123456789" });
  });

  test("a closed fd is EBADF, a bad argument EINVAL (through the TypeScript layer)", () => {
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (thrown) {
        return thrown instanceof NetlinkError ? `${thrown.code}/${thrown.request}` : "not a NetlinkError";
      }
      return "no error";
    };
    expect(codeOf(() => readFd(987_654, 10))).toBe("EBADF/readFd");
    expect(codeOf(() => readFd(-1, 10))).toBe("EINVAL/readFd");
    expect(codeOf(() => readFd(0, 1.5))).toBe("EINVAL/readFd");
  });
});

describe("fileIdentity", () => {
  test("matches stat(1) for a file, follows symlinks, and tells files apart", () => {
    const regular = join(dir, "regular");
    const [dev, ino] = execFileSync("stat", ["-L", "-c", "%d %i", regular], { encoding: "utf8" }).trim().split(" ");
    expect(fileIdentity(regular)).toEqual({ dev, ino });
    symlinkSync(regular, join(dir, "link-to-regular"));
    expect(fileIdentity(join(dir, "link-to-regular"))).toEqual({ dev, ino });
    expect(fileIdentity(join(dir, "directory"))).not.toEqual({ dev, ino });
  });

  test("/proc/self/exe is the running executable", () => {
    expect(fileIdentity("/proc/self/exe")).toEqual(fileIdentity(realpathSync(process.execPath)));
  });

  test("a missing path is ENOENT naming it", () => {
    let failure: unknown;
    try {
      fileIdentity(join(dir, "missing"));
    } catch (thrown) {
      failure = thrown;
    }
    expect(failure).toBeInstanceOf(NetlinkError);
    expect([(failure as NetlinkError).code, (failure as NetlinkError).subject]).toEqual(["ENOENT", join(dir, "missing")]);
  });
});
