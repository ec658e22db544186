// Start-up: a plugin is a fresh process per call, so whatever its bundle does before the handler runs
// is paid on every call. Loading a node:* builtin is the largest such cost in a compiled Bun executable
// (node:fs alone is about 3 ms), so no bundle may load one at module top level: only lazily, inside the
// function that needs it. And the process I/O that replaces node:fs must behave as before: VERSION never
// touches stdin, a non-blocking stdin is waited for, the answer is complete on stdout.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleWithRecorder, type RecordedCall, type RecordingBundle } from "./lib/builtins.js";
import { cleanupAll, createHostNetns, createNetns, inNetns } from "./lib/netns.js";
import { REPO_ROOT, ourPlugin, runPlugin } from "./lib/plugin.js";

const ALL_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
const VERSION_LINE = `${JSON.stringify({ cniVersion: "1.1.0", supportedVersions: ALL_VERSIONS })}\n`;
/** How long a child may take before the test calls it hung: far above any start-up, not a timing check. */
const HANG_GUARD_MS = 15_000;

/**
 * Every bundle an executable runs: plugins/<name>/src/main.ts, packages/<name>/src/main.ts (the multi-call
 * one) and the multi-call executable's chunks, packages/multicall/src/chunks/*.ts (main loads one per call).
 */
function bundleEntries(): string[] {
  const entries: string[] = [];
  for (const parent of ["plugins", "packages"]) {
    for (const name of readdirSync(join(REPO_ROOT, parent))) {
      const entry = join(REPO_ROOT, parent, name, "src", "main.ts");
      if (existsSync(entry)) entries.push(entry);
    }
  }
  const chunks = join(REPO_ROOT, "packages", "multicall", "src", "chunks");
  for (const name of readdirSync(chunks)) entries.push(join(chunks, name));
  return entries;
}

/** Bundle as build.sh does (esbuild, CommonJS, the addon external) and list the builtins loaded at top level. */
async function eagerBuiltins(entry: string, stdin?: string): Promise<string[]> {
  const result = await build({
    ...(stdin === undefined ? { entryPoints: [entry] } : { stdin: { contents: stdin, resolveDir: REPO_ROOT, loader: "ts", sourcefile: entry } }),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["*.node"],
    write: false,
    metafile: true,
    outfile: join(REPO_ROOT, "build", "startup-test", "main.cjs"),
    logLevel: "silent",
  });
  const offenders: string[] = [];
  // An import statement in any source file runs when its module is evaluated, i.e. at start-up,
  // whatever uses it later (the inputs keep the source's import kinds; the CommonJS output has none).
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (isBuiltin(imported.path) && imported.kind === "import-statement") offenders.push(`import ${imported.path} in ${file}`);
    }
  }
  // A require() written at top level: esbuild prints module scope unindented, function bodies indented.
  const text = result.outputFiles[0]?.text ?? "";
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    for (const match of line.matchAll(/require\("([^"]+)"\)/g)) {
      const name = match[1] ?? "";
      if (isBuiltin(name)) offenders.push(`top-level require ${name}: ${line.trim()}`);
    }
  }
  return offenders;
}

describe("no node:* builtin loaded at module top level in any executable's bundle", () => {
  test("the check sees an import and a top-level require, and lets a lazy require pass", async () => {
    const fake = join(REPO_ROOT, "startup-check.ts");
    const imported = await eagerBuiltins(fake, `import { readFileSync } from "node:fs"; export const f = () => readFileSync(0);`);
    expect(imported).toContain("import node:fs in startup-check.ts");
    expect(await eagerBuiltins(fake, `const cp = require("child_process"); export const f = () => cp;`)).toEqual([
      'top-level require child_process: var cp = require("child_process");',
    ]);
    expect(await eagerBuiltins(fake, `export function f() { return require("node:fs"); }`)).toEqual([]);
  });

  const entries = bundleEntries();
  test("there are entries to check", () => {
    expect(entries.length).toBeGreaterThan(0);
  });
  test.each(entries.map((entry) => [entry.slice(REPO_ROOT.length + 1), entry]))("%s", async (_name, entry) => {
    expect(await eagerBuiltins(entry)).toEqual([]);
  });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `argv` with `env`; stdin is a pipe this side never writes to nor closes (a runtime may do that). */
function runWithOpenStdin(argv: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? "", argv.slice(1), { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const guard = setTimeout(() => child.kill("SIGKILL"), HANG_GUARD_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

const PATH_ONLY = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };

describe.each(["loopback", "host-local"])("%s's process I/O", (name) => {
  test("VERSION answers without reading stdin (left open), exactly one line", async () => {
    const out = await runWithOpenStdin([ourPlugin(name)], { ...PATH_ONLY, CNI_COMMAND: "VERSION" });
    expect(out).toEqual({ code: 0, stdout: VERSION_LINE, stderr: "" });
  });

  test("`plugin VERSION` from a shell answers the same; a runtime's CNI_COMMAND wins over the argument", async () => {
    expect(await runWithOpenStdin([ourPlugin(name), "VERSION"], PATH_ONLY)).toEqual({ code: 0, stdout: VERSION_LINE, stderr: "" });
    const out = runPlugin(ourPlugin(name), { command: "BOGUS", argv: ["VERSION"], stdin: "{}" });
    expect(out.code).toBe(1);
    expect(out.json).toMatchObject({ code: 4, msg: "unknown CNI_COMMAND: BOGUS" });
  });

  test("a config larger than a pipe buffer arrives whole (read to end of file, then decoded)", () => {
    // The own-netns refusal (code 8) comes after stdin is read and decoded: a short read would be code 6.
    const out = runPlugin(ourPlugin(name), {
      command: "ADD",
      containerId: "startup-1",
      netns: "/proc/self/ns/net",
      ifName: "eth0",
      stdin: { cniVersion: "1.0.0", name: "startup", type: name, padding: "x".repeat(300_000) },
    });
    expect(out.code).toBe(1);
    expect(out.json).toMatchObject({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
  });
});

describe("loopback ADD through a non-blocking stdin", () => {
  afterAll(cleanupAll);

  test("a writer that is late is waited for, not EAGAIN; the result is complete", async () => {
    const ns = createNetns("startup");
    const config = JSON.stringify({ cniVersion: "1.0.0", name: "startup", type: "loopback" });
    // Python sets O_NONBLOCK on the pipe (the open file description survives exec), the writer sleeps first.
    const nonblocking = `import fcntl, os, sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])`;
    const shell = `(sleep 0.3; printf '%s' '${config}') | python3 -c '${nonblocking}' "$PLUGIN"`;
    const out = await runWithOpenStdin(["sh", "-c", shell], {
      ...PATH_ONLY,
      PLUGIN: ourPlugin("loopback"),
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "startup-1",
      CNI_NETNS: ns.path,
      CNI_IFNAME: "eth0",
    });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ cniVersion: "1.0.0", interfaces: [{ name: "lo", sandbox: ns.path }] });
    expect(inNetns(ns, "ip", ["-o", "link", "show", "lo"])).toMatch(/[<,]UP[,>]/);
  });
});

describe("a loopback call loads no node:* builtin (its bundle run under Node with loads recorded)", () => {
  let recording: RecordingBundle | undefined;
  beforeAll(async () => {
    recording = await bundleWithRecorder(join(REPO_ROOT, "plugins", "loopback", "src", "main.ts"), "loopback", join(REPO_ROOT, "build", "rtnetlink.node"));
  });
  afterAll(() => {
    cleanupAll();
    recording?.remove();
  });

  /** Run the bundle (or `script`) with the recorder, PATH and `env` only. */
  function runRecorded(env: Record<string, string>, stdin: string, script?: string): RecordedCall {
    if (recording === undefined) throw new Error("no bundle: beforeAll failed");
    return recording.run({ ...PATH_ONLY, ...env }, stdin, script);
  }

  test("the recorder sees a lazy require and process.getBuiltinModule", () => {
    const script = `function later() { return require("node:os"); } later(); process.getBuiltinModule("node:path");`;
    // (node's own -e machinery loads "module" too)
    expect(runRecorded({}, "", script).builtins).toEqual(expect.arrayContaining(["node:os", "node:path"]));
  });

  test("VERSION, ADD, CHECK and DEL in a test namespace: no builtin loaded", () => {
    const ns = createNetns("startup");
    const call = { CNI_CONTAINERID: "startup-3", CNI_NETNS: ns.path, CNI_IFNAME: "eth0" };
    const config = { cniVersion: "1.1.0", name: "startup", type: "loopback" };
    expect(runRecorded({ CNI_COMMAND: "VERSION" }, "").builtins).toEqual([]);
    const add = runRecorded({ ...call, CNI_COMMAND: "ADD" }, JSON.stringify(config));
    expect([add.code, add.stderr]).toEqual([0, ""]);
    expect(add.builtins).toEqual([]);
    const check = runRecorded({ ...call, CNI_COMMAND: "CHECK" }, JSON.stringify({ ...config, prevResult: JSON.parse(add.stdout) }));
    expect([check.code, check.stdout, check.builtins]).toEqual([0, "", []]);
    const del = runRecorded({ ...call, CNI_COMMAND: "DEL" }, JSON.stringify(config));
    expect([del.code, del.stdout, del.builtins]).toEqual([0, "", []]);
  });
});

describe("bridge (its host-local in-process) and firewall calls load no node:* builtin (their chunks under Node, loads recorded)", () => {
  let recording: RecordingBundle | undefined;
  beforeAll(async () => {
    const entry = join(REPO_ROOT, "packages", "multicall", "test", "fixtures", "chunk-main.ts");
    recording = await bundleWithRecorder(entry, "chunks", join(REPO_ROOT, "build", "rtnetlink.node"));
  });
  afterAll(() => {
    cleanupAll();
    recording?.remove();
  });

  test("ADD, CHECK and DEL with host-local found on CNI_PATH as this very executable", () => {
    if (recording === undefined) throw new Error("no bundle: beforeAll failed");
    const bundle = recording;
    // host-local on CNI_PATH is the running executable (node here), so the delegation stays in-process
    const cniPath = join(bundle.workDir, "cni-bin");
    mkdirSync(cniPath);
    symlinkSync(process.execPath, join(cniPath, "host-local"));
    const host = createHostNetns("startup-host");
    const container = createNetns("startup-ctr");
    const config = {
      cniVersion: "1.1.0",
      name: "startup-bridge",
      type: "bridge",
      bridge: "cni-startup0",
      isGateway: true,
      ipam: { type: "host-local", dataDir: join(bundle.workDir, "store"), ranges: [[{ subnet: "10.251.0.0/24" }]] },
    };
    const env = { ...PATH_ONLY, CNI_CONTAINERID: "startup-4", CNI_NETNS: container.path, CNI_IFNAME: "eth0", CNI_PATH: cniPath };
    const run = (command: string, stdin: object): RecordedCall =>
      bundle.run({ ...env, CNI_COMMAND: command }, JSON.stringify(stdin), undefined, { argv0: "bridge", netns: host.name });
    const add = run("ADD", config);
    expect([add.code, add.stderr]).toEqual([0, ""]);
    expect(JSON.parse(add.stdout)).toMatchObject({ ips: [{ address: "10.251.0.2/24" }] });
    expect(add.builtins).toEqual([]);
    const check = run("CHECK", { ...config, prevResult: JSON.parse(add.stdout) });
    expect([check.code, check.stdout, check.builtins]).toEqual([0, "", []]);
    const del = run("DEL", config);
    expect([del.code, del.stdout, del.builtins]).toEqual([0, "", []]);
    expect(existsSync(join(bundle.workDir, "store", "startup-bridge", "10.251.0.2"))).toBe(false);
  });

  test("firewall ADD, CHECK and DEL with the backend chosen for this host (iptables on PATH)", () => {
    if (recording === undefined) throw new Error("no bundle: beforeAll failed");
    const bundle = recording;
    const host = createHostNetns("startup-fwhost");
    const container = createNetns("startup-fwctr");
    const prevResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", sandbox: container.path }],
      ips: [{ address: "10.252.0.2/24", gateway: "10.252.0.1", interface: 0 }],
    };
    const config = { cniVersion: "1.0.0", name: "startup-fw", type: "firewall", prevResult };
    const env = { ...PATH_ONLY, CNI_CONTAINERID: "startup-5", CNI_NETNS: container.path, CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" };
    const run = (command: string): RecordedCall =>
      bundle.run({ ...env, CNI_COMMAND: command }, JSON.stringify(config), undefined, { argv0: "firewall", netns: host.name });
    const add = run("ADD");
    expect([add.code, add.stderr]).toEqual([0, ""]);
    expect(inNetns(host, "iptables", ["-S", "CNI-FORWARD"])).toContain("10.252.0.2/32");
    expect(add.builtins).toEqual([]);
    const check = run("CHECK");
    expect([check.code, check.stdout, check.builtins]).toEqual([0, "", []]);
    const del = run("DEL");
    expect([del.code, del.stdout, del.builtins]).toEqual([0, "", []]);
    expect(inNetns(host, "iptables", ["-S", "CNI-FORWARD"])).not.toContain("10.252.0.2/32");
  });
});
