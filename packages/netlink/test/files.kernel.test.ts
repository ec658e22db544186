// Paths that are not network namespaces must fail at once (a FIFO used to block open(2) forever), and the
// start-up primitives readFd / fileIdentity against real files, pipes and processes.
// Namespaces made here are named nlf-<pid> and always deleted.
// Each possibly-blocking call runs in a child process with a kill timeout: a hang fails the test with the
// path it hung on instead of freezing the test runner (the addon call is synchronous).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Errno, fileIdentity, Netlink, NetlinkError, netns, readFd } from "../src/index";

const ADDON = resolve(__dirname, "../rtnetlink.node");
/** Kills a child that hangs; far above what any of these calls take. */
const HANG_GUARD_MS = 15_000;

let dir = "";
let server: Server | undefined;
/** Set once a child process has shown that opening a FIFO returns: only then is it safe in-process. */
let fifoOpenReturns = false;
const namespaces: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nlf-files-"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  mkdirSync(join(dir, "directory"));
  writeFileSync(join(dir, "regular"), "not a namespace\n");
  symlinkSync(join(dir, "fifo"), join(dir, "link-to-fifo"));
  symlinkSync(join(dir, "missing"), join(dir, "dangling"));
  server = createServer();
  const listening = server;
  await new Promise<void>((done) => listening.listen(join(dir, "socket"), done));
});

afterAll(async () => {
  const listening = server;
  if (listening !== undefined) await new Promise<void>((done) => listening.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
  for (const name of namespaces) netns.delete(name);
  expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toMatch(/^nlf-/m);
});

interface Outcome {
  path: string;
  call: string;
  code: string;
}

/** Run each addon call on each path in a child node; returns the error code per (call, path) or "ok". */
function outcomesInChild(paths: string[]): Outcome[] {
  const script = `
    const addon = require(${JSON.stringify(ADDON)});
    const calls = {
      netnsCheck: (p) => addon.netnsCheck(p),
      open: (p) => addon.close(addon.open(p)),
      sysctlGet: (p) => addon.sysctlGet(p, "net.ipv4.ip_forward"),
      netnsIsNetns: (p) => { if (!addon.netnsIsNetns(p)) throw Object.assign(new Error("false"), { code: "false" }); },
    };
    for (const path of JSON.parse(process.argv[1])) {
      for (const [call, fn] of Object.entries(calls)) {
        process.stderr.write("now: " + call + " " + path + "\\n");
        let code = "ok";
        try { fn(path); } catch (e) { code = e.code; }
        process.stdout.write(JSON.stringify({ path, call, code }) + "\\n");
      }
    }`;
  const child = spawnSync(process.execPath, ["-e", script, JSON.stringify(paths)], { encoding: "utf8", timeout: HANG_GUARD_MS });
  if (child.status !== 0) {
    const last = child.stderr.trim().split("\n").pop() ?? "";
    throw new Error(`child did not finish (signal ${String(child.signal)}), hung at "${last}"`);
  }
  return child.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Outcome);
}

function codesFor(outcomes: Outcome[], path: string): Record<string, string> {
  const codes: Record<string, string> = {};
  for (const outcome of outcomes) if (outcome.path === path) codes[outcome.call] = outcome.code;
  return codes;
}

describe("opening a namespace path never blocks", () => {
  test("FIFO, symlink to a FIFO, directory, socket, regular file, device: ENOTNS at once; missing: ENOENT", () => {
    const name = `nlf-${process.pid}`;
    const real = netns.create(name);
    namespaces.push(name);
    const notNamespaces = ["fifo", "link-to-fifo", "directory", "socket", "regular"].map((leaf) => join(dir, leaf));
    const paths = [...notNamespaces, "/dev/null", join(dir, "missing"), join(dir, "dangling"), real];
    const outcomes = outcomesInChild(paths);
    for (const path of [...notNamespaces, "/dev/null"]) {
      expect({ path, ...codesFor(outcomes, path) }).toEqual({ path, netnsCheck: "ENOTNS", open: "ENOTNS", sysctlGet: "ENOTNS", netnsIsNetns: "false" });
    }
    for (const path of [join(dir, "missing"), join(dir, "dangling")]) {
      expect({ path, ...codesFor(outcomes, path) }).toEqual({ path, netnsCheck: "ENOENT", open: "ENOENT", sysctlGet: "ENOENT", netnsIsNetns: "false" });
    }
    expect(codesFor(outcomes, real)).toEqual({ netnsCheck: "ok", open: "ok", sysctlGet: "ok", netnsIsNetns: "ok" });
    fifoOpenReturns = true;
  });

  test("the TypeScript layer reports the FIFO as ENOTNS with the path as subject", () => {
    // In-process only after the child test above proved the call returns (else it would freeze the runner).
    if (!fifoOpenReturns) throw new Error("not run: opening a FIFO blocked or failed in the child test");
    let error: unknown;
    try {
      Netlink.at(join(dir, "fifo"));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(NetlinkError);
    const failure = error as NetlinkError;
    expect([failure.code, failure.errno, failure.request, failure.subject]).toEqual(["ENOTNS", Errno.EINVAL, "open", join(dir, "fifo")]);
    expect(failure.message).toContain("not a network namespace");
  });
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
