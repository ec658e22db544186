// Every host-local verb runs without loading a node:* builtin: the store, its lock and resolvConf go through
// @cni/netlink's addon (loading node:fs costs a compiled plugin start-up time on every call). The plugin's
// bundle, laid out as build.sh lays it out, runs under Node with a recorder of builtin loads; the recorder
// stands in for Bun.write (stdout) only. Each call gets a throwaway data directory.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ADDON = resolve(__dirname, "../../../packages/netlink/rtnetlink.node");
/** Kills a call that hangs; far above what one takes. */
const HANG_GUARD_MS = 30_000;

const RECORDER = `
const fs = require("node:fs");
const Module = require("node:module");
const loaded = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (Module.isBuiltin(request)) loaded.push(request);
  return load.call(this, request, ...rest);
};
const getBuiltinModule = process.getBuiltinModule;
process.getBuiltinModule = (id) => (loaded.push(id), getBuiltinModule(id));
globalThis.Bun = {
  stdout: { fd: 1 },
  stderr: { fd: 2 },
  write: (destination, text) => Promise.resolve(fs.writeSync(destination.fd, text)),
};
process.on("exit", () => fs.writeSync(2, "\\nBUILTINS " + JSON.stringify(loaded) + "\\n"));
`;

let workDir = "";
let bundle = "";
let recorder = "";
let dataDir = "";

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "hli-builtins-"));
  mkdirSync(join(workDir, "host-local"));
  copyFileSync(ADDON, join(workDir, "rtnetlink.node"));
  bundle = join(workDir, "host-local", "main.cjs");
  await build({
    entryPoints: [resolve(__dirname, "../src/main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["*.node"],
    outfile: bundle,
    logLevel: "silent",
  });
  recorder = join(workDir, "recorder.cjs");
  writeFileSync(recorder, RECORDER);
  dataDir = join(workDir, "data");
  writeFileSync(join(workDir, "resolv.conf"), "nameserver 10.9.0.53\nsearch example.org\n");
});
afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

interface Recorded {
  code: number | null;
  stdout: string;
  stderr: string;
  builtins: string[];
}

function runRecorded(command: string, config: Record<string, unknown>, containerId = "c1"): Recorded {
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/hli-not-used",
    CNI_NETNS_OVERRIDE: "1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
  };
  const r = spawnSync(process.execPath, ["--require", recorder, bundle], {
    env,
    input: JSON.stringify(config),
    encoding: "utf8",
    timeout: HANG_GUARD_MS,
  });
  const marker = r.stderr.lastIndexOf("\nBUILTINS ");
  expect(marker, `no record; stderr: ${r.stderr}`).toBeGreaterThanOrEqual(0);
  const builtins = JSON.parse(r.stderr.slice(marker + "\nBUILTINS ".length)) as string[];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.slice(0, marker), builtins };
}

function config(extraIpam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: "1.1.0",
    name: "builtins",
    type: "host-local",
    ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.77.0.0/24" }], [{ subnet: "fd00:77::/120" }]], ...extraIpam },
  };
}

describe("host-local loads no node:* builtin", () => {
  test("ADD (first, building the index; then a second one on it), CHECK, STATUS, GC, DEL", () => {
    const first = runRecorded("ADD", config({ resolvConf: join(workDir, "resolv.conf") }));
    expect([first.code, first.stderr, first.builtins]).toEqual([0, "", []]);
    expect(JSON.parse(first.stdout)).toMatchObject({
      ips: [{ address: "10.77.0.2/24" }, { address: "fd00:77::2/120" }],
      dns: { nameservers: ["10.9.0.53"], search: ["example.org"] },
    });
    const second = runRecorded("ADD", config(), "c2");
    expect([second.code, second.builtins]).toEqual([0, []]);
    expect(JSON.parse(second.stdout).ips[0].address).toBe("10.77.0.3/24");
    for (const command of ["CHECK", "STATUS"]) {
      const r = runRecorded(command, config());
      expect([command, r.code, r.stdout, r.builtins]).toEqual([command, 0, "", []]);
    }
    const gc = runRecorded("GC", { ...config(), "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] });
    expect([gc.code, gc.stdout, gc.builtins]).toEqual([0, "", []]);
    const del = runRecorded("DEL", config());
    expect([del.code, del.stdout, del.builtins]).toEqual([0, "", []]);
    expect(readdirSync(join(dataDir, "builtins")).sort()).toEqual(["last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
  });

  test("errors too: a taken address (code 102) and a missing resolvConf (code 5)", () => {
    const taken = runRecorded("ADD", config({ ranges: [[{ subnet: "10.78.0.0/24" }]] }), "t1");
    expect(taken.code).toBe(0);
    const again = runRecorded("ADD", { ...config({ ranges: [[{ subnet: "10.78.0.0/24" }]] }), args: { cni: { ips: ["10.78.0.2"] } } }, "t2");
    expect([again.code, JSON.parse(again.stdout).code, again.builtins]).toEqual([1, 102, []]);
    const missing = runRecorded("ADD", config({ resolvConf: join(workDir, "missing.conf") }), "t3");
    expect([missing.code, JSON.parse(missing.stdout).code, missing.builtins]).toEqual([1, 5, []]);
  });
});
