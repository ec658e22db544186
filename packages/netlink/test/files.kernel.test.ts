// Paths that are not network namespaces must fail at once (a FIFO used to block open(2) forever).
// Namespaces made here are named nlf-<pid> and always deleted.
// Each possibly-blocking call runs in a child process with a kill timeout: a hang fails the test with the
// path it hung on instead of freezing the test runner (the addon call is synchronous).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Errno, Netlink, NetlinkError, netns } from "../src/index";

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
