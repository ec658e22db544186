// Upgrades under load: scripts/install.sh --force puts new builds into a plugin directory while 20 workers
// keep running ADD/CHECK/DEL (bridge + host-local, in-process) from it, as a runtime does while a node is
// upgraded. Every call must succeed: no ETXTBSY, no half-written executable. The two "builds" are
// bin/cni-plugins and a copy with bytes appended after its ELF image (a Bun executable keeps its code in
// an ELF section, so the copy runs the same and install.sh sees other bytes: a new build to it). Then
// --uninstall leaves exactly the files it did not install, the one --force replaced put back.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, createHostNetns, createNetns, linkNamesButLo, type TestNetns } from "./lib/netns";
import { runPluginAsync } from "./lib/plugin-async";
import { REPO_ROOT, ourPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const INSTALL = resolve(REPO_ROOT, "scripts/install.sh");
const WORKERS = 20;
/** Installs while the workers run: new, old, new again. */
const UPGRADES = 3;
const NETWORK = "upgnet";

let work: string;
let pluginDir: string;
let host: TestNetns;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-upgrade-"));
  pluginDir = join(work, "opt", "cni", "bin");
  host = createHostNetns("upg-host");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** install.sh ARGS, no runtime found (an empty CNI_INSTALL_ROOT), without blocking the workers. */
function install(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(INSTALL, args, { env: { PATH: process.env.PATH, CNI_INSTALL_ROOT: join(work, "no-runtimes") } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

async function installed(...args: string[]): Promise<void> {
  const run = await install(...args);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
}

/** The two builds: bin/cni-plugins as it is, and with bytes appended. */
function twoBuilds(): [string, string] {
  const original = join(work, "build-1", "cni-plugins");
  const next = join(work, "build-2", "cni-plugins");
  for (const path of [original, next]) {
    mkdirSync(join(path, ".."), { recursive: true });
    copyFileSync(ourPlugin("cni-plugins"), path);
  }
  appendFileSync(next, "\0cni-ts upgrade test: build 2\n");
  return [original, next];
}

/** Files the directory held before: a plugin install.sh does not ship, and a loopback --force replaces. */
const FOREIGN: Record<string, string> = {
  bandwidth: "#!/bin/sh\necho someone else's bandwidth\n",
  loopback: "#!/bin/sh\necho someone else's loopback\n",
};
function foreignFiles(): void {
  mkdirSync(pluginDir, { recursive: true, mode: 0o755 });
  for (const [name, text] of Object.entries(FOREIGN)) writeFileSync(join(pluginDir, name), text, { mode: 0o755 });
}

interface Failure {
  worker: number;
  command: string;
  output: PluginOutput;
}

/** One worker: ADD, CHECK, DEL of its own container, over and over until `stop()` says so (at least once). */
async function worker(id: number, container: TestNetns, stop: () => boolean, failures: Failure[]): Promise<number> {
  const conf = {
    cniVersion: "1.1.0",
    name: NETWORK,
    type: "bridge",
    bridge: "upgbr0",
    isGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: [[{ subnet: "10.124.0.0/24" }]] },
  };
  const call = (command: string, stdin: unknown): PluginCall => ({
    command,
    containerId: `upg-${id}`,
    netns: container.path,
    ifName: "eth0",
    path: pluginDir,
    stdin,
    hostNetns: host,
  });
  const ok = (command: string, output: PluginOutput): boolean => {
    if (output.code === 0 && output.stderr === "") return true;
    failures.push({ worker: id, command, output });
    return false;
  };
  const bridge = join(pluginDir, "bridge");
  let calls = 0;
  do {
    const add = await runPluginAsync(bridge, call("ADD", conf));
    calls++;
    if (ok("ADD", add)) {
      calls++;
      ok("CHECK", await runPluginAsync(bridge, call("CHECK", { ...conf, prevResult: add.json as unknown })));
    }
    calls++;
    ok("DEL", await runPluginAsync(bridge, call("DEL", conf)));
  } while (!stop() && failures.length === 0);
  return calls;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe("install.sh --force under load", () => {
  it(`upgrades the plugin directory ${UPGRADES} times while ${WORKERS} workers run ADD/CHECK/DEL from it: no call fails; --uninstall leaves only what it did not install`, async () => {
    const [build1, build2] = twoBuilds();
    foreignFiles();
    await installed("--force", "--from", build1, pluginDir);

    const containers = Array.from({ length: WORKERS }, (_, i) => createNetns(`upg-c${i}`));
    const failures: Failure[] = [];
    let upgrading = true;
    const workers = containers.map((container, i) => worker(i, container, () => !upgrading, failures));
    const installedBuilds: string[] = [];
    for (let i = 0; i < UPGRADES; i++) {
      const build = i % 2 === 0 ? build2 : build1;
      await installed("--force", "--from", build, pluginDir);
      // complete: the executable in place is that build, byte for byte
      installedBuilds.push(sha256(join(pluginDir, "cni-plugins")) === sha256(build) ? "whole" : "torn");
    }
    upgrading = false;
    const calls = await Promise.all(workers);

    expect(failures.map((f) => `worker ${f.worker} ${f.command}: exit ${f.output.code} ${f.output.stdout}${f.output.stderr}`)).toEqual([]);
    expect(installedBuilds).toEqual(Array(UPGRADES).fill("whole"));
    expect(calls.every((n) => n >= 3)).toBe(true);
    for (const container of containers) expect(linkNamesButLo(container)).toEqual([]);

    await installed("--uninstall", pluginDir);
    expect(readdirSync(pluginDir).sort()).toEqual(Object.keys(FOREIGN).sort());
    for (const [name, text] of Object.entries(FOREIGN)) expect(readFileSync(join(pluginDir, name), "utf8")).toBe(text);
  });
});
