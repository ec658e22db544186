// The multi-call executable: bin/cni-plugins holds every plugin and bin/<plugin> are hard links to it;
// the invoked name picks the plugin. IPAM delegation to a host-local that is this very file runs
// in-process, anything else (a copy, Go's) is spawned, with the same answers and the same store.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileExecutable } from "./lib/compile";
import { addrs, cleanupAll, createNetns, deleteNetns } from "./lib/netns";
import { BIN_DIR, GO_BIN_DIR, goPlugin, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

/** `./build.sh --separate` made bin/: no multi-call executable there to test (the test build below still is). */
const SEPARATE_BUILD = !existsSync(join(BIN_DIR, "cni-plugins")) && existsSync(join(BIN_DIR, "loopback"));
const MULTICALL = SEPARATE_BUILD ? "" : ourPlugin("cni-plugins");
const SHIPPED = ["host-local", "loopback"];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "cni-multicall-"));
});
afterAll(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});

function listedPlugins(executable: string): string[] {
  return execFileSync(executable, ["--list"], { encoding: "utf8" }).split("\n").filter((line) => line !== "");
}

describe.skipIf(SEPARATE_BUILD)("bin/: one executable, each plugin a hard link to it", () => {
  it("every listed plugin is bin/<plugin>, the same inode as bin/cni-plugins; bin/ holds one copy", () => {
    const names = listedPlugins(MULTICALL);
    expect(names).toEqual(expect.arrayContaining(SHIPPED));
    const executable = statSync(MULTICALL);
    for (const name of names) {
      const link = statSync(join(BIN_DIR, name));
      expect({ name, dev: link.dev, ino: link.ino }).toEqual({ name, dev: executable.dev, ino: executable.ino });
    }
    expect(executable.nlink).toBe(names.length + 1);
    const inodes = new Set(readdirSync(BIN_DIR).filter((f) => !f.startsWith(".")).map((f) => statSync(join(BIN_DIR, f)).ino));
    expect([...inodes]).toEqual([executable.ino]);
  });

  it.each(SHIPPED)("bin/%s answers VERSION and its about line as that plugin", (name) => {
    const version = runPlugin(ourPlugin(name), { command: "VERSION" });
    expect(version.code).toBe(0);
    expect(version.json.supportedVersions).toContain("1.1.0");
    const about = runPlugin(ourPlugin(name), {});
    expect(about.code).toBe(0);
    expect(about.stderr).toMatch(new RegExp(`^CNI ${name} plugin v\\S+\\nCNI protocol versions supported: 0\\.1\\.0, `));
  });

  it("a symbolic link named after a plugin runs that plugin", () => {
    const dir = join(work, "symlinks");
    mkdirSync(dir);
    symlinkSync(MULTICALL, join(dir, "host-local"));
    const dataDir = join(work, "symlink-ipam");
    const add = runPlugin(join(dir, "host-local"), {
      command: "ADD", containerId: "s1", netns: "/var/run/netns/none", ifName: "eth0", path: dir,
      stdin: { cniVersion: "1.0.0", name: "symnet", ipam: { type: "host-local", subnet: "10.253.0.0/30", dataDir } },
    });
    expect(add.stderr).toBe("");
    expect(add.json).toEqual({ cniVersion: "1.0.0", ips: [{ address: "10.253.0.2/30", gateway: "10.253.0.1" }] });
    expect(readFileSync(join(dataDir, "symnet", "10.253.0.2"), "utf8")).toBe("s1\r\neth0");
  });

  it("invoked by any other name: usage naming the plugins on stderr, exit 1; a runtime also gets a CNI error", () => {
    const dir = join(work, "unknown");
    mkdirSync(dir);
    linkSync(MULTICALL, join(dir, "not-a-plugin"));
    const shell = runPlugin(join(dir, "not-a-plugin"), {});
    expect(shell.code).toBe(1);
    expect(shell.stdout).toBe("");
    expect(shell.stderr).toContain(`not-a-plugin: the CNI plugins ${listedPlugins(MULTICALL).filter((n) => n !== "cnitool").join(", ")} and the tool cnitool in one executable`);

    const runtime = runPlugin(join(dir, "not-a-plugin"), { command: "ADD", containerId: "u1", netns: "/x", ifName: "eth0", stdin: "{}" });
    expect(runtime.code).toBe(1);
    expect(runtime.json).toMatchObject({ code: 4, msg: 'unknown plugin name "not-a-plugin"' });

    const itself = runPlugin(MULTICALL, {});
    expect(itself.code).toBe(1);
    expect(itself.stderr).toContain("cni-plugins --list");
  });

  it("cni-plugins --help: the usage on stdout, exit 0", () => {
    const help = spawnSync(MULTICALL, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stderr).toBe("");
    expect(help.stdout).toContain(`cni-plugins: the CNI plugins ${listedPlugins(MULTICALL).filter((n) => n !== "cnitool").join(", ")} and the tool cnitool`);
  });

  it("ptp is a name of veth: bin/ptp is listed, linked and answers as veth", () => {
    expect(listedPlugins(MULTICALL)).toEqual(expect.arrayContaining(["ptp", "veth"]));
    const about = runPlugin(ourPlugin("ptp"), {});
    expect(about.code).toBe(0);
    expect(about.stderr).toMatch(/^CNI veth plugin v/);
  });
});

// ------------------------------------------------------------------------------------------------
// Delegation: a test build of the multi-call executable that also holds the delegating test plugin
// (packages/multicall/test/fixtures), as bridge and veth will delegate to host-local.

interface TracedOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  /** execve calls of a host-local during the call (strace -f): a spawned IPAM plugin */
  hostLocalExecs: number;
}

/** `<dir>/delegating` called as a runtime calls it, under strace -f to see whether host-local was started. */
function traced(dir: string, cniPath: string, call: PluginCall): TracedOutput {
  return tracedPlugin(join(dir, "delegating"), { ...call, path: cniPath });
}

function tracedPlugin(executable: string, call: PluginCall): TracedOutput {
  const log = join(work, "strace.log");
  const output: PluginOutput = runPlugin("strace", {
    ...call,
    argv: ["-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", log, executable],
  });
  // any execve of a host-local counts (a line may be split as "<unfinished ...>" when threads interleave)
  const execs = readFileSync(log, "utf8").split("\n").filter((line) => /execve\("[^"]*\/host-local"/.test(line));
  return { code: output.code, stdout: output.stdout, stderr: output.stderr, hostLocalExecs: execs.length };
}

/** Every file under `dir` with its content; the index's `state` (a random mtime) by name only. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files[path] = rel.startsWith(".host-local-index") && entry.name === "state" ? "(state)" : readFileSync(join(dir, path), "utf8");
    }
  };
  if (existsSync(dir)) walk("");
  return files;
}

const NETWORK = "mcnet";

function conf(cniVersion: string, dataDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion, name: NETWORK, type: "delegating", ipam: { type: "host-local", ranges: [[{ subnet: "10.252.0.0/29" }]], dataDir }, ...extra };
}
function step(command: string, containerId: string, stdin: Record<string, unknown>): PluginCall {
  return { command, containerId, netns: "/var/run/netns/none", ifName: "eth0", stdin };
}

/** One call, made from the store to use and the outputs so far (CHECK needs ADD's result as prevResult). */
type Step = (dataDir: string, done: TracedOutput[]) => PluginCall;

/** ADD, CHECK, a failure after IPAM, DEL, round-robin ADD: what Go 1.1.1's host-local also speaks (1.0.0). */
function basicSteps(version: string): Step[] {
  return [
    (d) => step("ADD", "c1", conf(version, d)),
    (d) => step("ADD", "c2", conf(version, d)),
    (d, done) => step("CHECK", "c1", { ...conf(version, d), prevResult: JSON.parse(done[0]?.stdout ?? "{}") }),
    (d) => step("ADD", "c3", conf(version, d, { failAfterIpam: true })),
    (d) => step("DEL", "c1", conf(version, d)),
    (d) => step("ADD", "c4", conf(version, d)),
  ];
}

/** Then errors passing through, an IPAM failure the caller tolerates, exhaustion, STATUS and GC (1.1.0). */
function fullSteps(): Step[] {
  const v = "1.1.0";
  return [
    ...basicSteps(v),
    (d) => step("CHECK", "c9", { ...conf(v, d), prevResult: { cniVersion: v, ips: [{ address: "10.252.0.6/29" }] } }),
    (d) => step("CHECK", "c9", { ...conf(v, d, { tolerateIpamFailure: true }), prevResult: { cniVersion: v, ips: [{ address: "10.252.0.6/29" }] } }),
    (d) => step("ADD", "c5", conf(v, d)),
    (d) => step("ADD", "c6", conf(v, d)),
    (d) => step("ADD", "c7", conf(v, d)),
    (d) => step("ADD", "c8", conf(v, d)),
    (d) => step("STATUS", "", conf(v, d)),
    (d) => step("GC", "", { ...conf(v, d), "cni.dev/valid-attachments": [{ containerID: "c2", ifname: "eth0" }] }),
    (d) => step("STATUS", "", conf(v, d)),
    (d) => step("DEL", "c2", conf(v, d)),
  ];
}

function play(steps: Step[], dir: string, cniPath: string, dataDir: string): TracedOutput[] {
  const done: TracedOutput[] = [];
  for (const make of steps) done.push(traced(dir, cniPath, make(dataDir, done)));
  return done;
}

function withoutExecs(outputs: TracedOutput[]): Array<Omit<TracedOutput, "hostLocalExecs">> {
  return outputs.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }));
}

describe("IPAM delegation to host-local", () => {
  let inProcessDir: string;
  let copyDir: string;
  let goDir: string;

  beforeAll(() => {
    goPlugin("host-local");
    const executable = compileExecutable("packages/multicall/test/fixtures/test-main.ts", work, "cni-plugins");
    // in-process: CNI_PATH's host-local is the executable running `delegating`
    inProcessDir = join(work, "in-process");
    mkdirSync(inProcessDir);
    linkSync(executable, join(inProcessDir, "delegating"));
    linkSync(executable, join(inProcessDir, "host-local"));
    // spawned: the same bytes in another file
    copyDir = join(work, "copy");
    mkdirSync(copyDir);
    linkSync(executable, join(copyDir, "delegating"));
    copyFileSync(executable, join(copyDir, "host-local"));
    // spawned: Go's host-local, found on CNI_PATH after a directory holding only `delegating`
    goDir = join(work, "go");
    mkdirSync(goDir);
    linkSync(executable, join(goDir, "delegating"));
  }, 180_000);

  it("in-process (no host-local started) and spawned (a copy of the same build) answer alike and leave the same store", () => {
    const inProcess = play(fullSteps(), inProcessDir, inProcessDir, join(work, "store-in-process"));
    const spawned = play(fullSteps(), copyDir, copyDir, join(work, "store-copy"));

    expect(inProcess.map((o) => o.hostLocalExecs)).toEqual(inProcess.map(() => 0));
    for (const output of spawned) expect(output.hostLocalExecs).toBeGreaterThan(0);
    expect(withoutExecs(inProcess)).toEqual(withoutExecs(spawned));
    expect(snapshot(join(work, "store-in-process"))).toEqual(snapshot(join(work, "store-copy")));

    // what the steps were meant to show, so equal-but-wrong cannot pass
    const codes = inProcess.map((o) => o.code);
    expect(codes).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(JSON.parse(inProcess[0]?.stdout ?? "")).toEqual({ cniVersion: "1.1.0", ips: [{ address: "10.252.0.2/29", gateway: "10.252.0.1" }] });
    expect(JSON.parse(inProcess[3]?.stdout ?? "")).toMatchObject({ code: 999, msg: "failing after IPAM on purpose" });
    expect(JSON.parse(inProcess[6]?.stdout ?? "")).toMatchObject({ cniVersion: "1.1.0" }); // host-local's own CHECK error, passed through
    expect(JSON.parse(inProcess[11]?.stdout ?? "")).toMatchObject({ code: 100 });
    expect(snapshot(join(work, "store-in-process", NETWORK))).toEqual({ lock: "", "last_reserved_ip.0": "10.252.0.4" });
  });

  it("Go's host-local is spawned; results and leases are the same as in-process", () => {
    const inProcessStore = join(work, "store-go-compare");
    const goStore = join(work, "store-go");
    const inProcess = play(basicSteps("1.0.0"), inProcessDir, inProcessDir, inProcessStore);
    const go = play(basicSteps("1.0.0"), goDir, `${goDir}:${GO_BIN_DIR}`, goStore);

    expect(inProcess.map((o) => o.hostLocalExecs)).toEqual(inProcess.map(() => 0));
    for (const output of go) expect(output.hostLocalExecs).toBeGreaterThan(0);
    expect(withoutExecs(inProcess)).toEqual(withoutExecs(go));
    expect(inProcess.map((o) => o.code)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(snapshot(join(inProcessStore, NETWORK))).toEqual(snapshot(join(goStore, NETWORK)));
    expect(Object.keys(snapshot(join(goStore, NETWORK))).sort()).toEqual(["10.252.0.3", "10.252.0.5", "last_reserved_ip.0", "lock"]);
  });
});

describe.skipIf(SEPARATE_BUILD)("the shipped executable delegates to itself in-process", () => {
  const hasVeth = !SEPARATE_BUILD && listedPlugins(MULTICALL).includes("veth");
  it.skipIf(!hasVeth)("bin/veth ADD/DEL with host-local from bin/: no host-local process, the lease made and released", () => {
    const host = createNetns("mct-host");
    const container = createNetns("mct-ctr");
    try {
      const dataDir = join(work, "veth-ipam");
      const stdin = { cniVersion: "1.1.0", name: "mcveth", type: "veth", ipam: { type: "host-local", subnet: "10.254.7.0/24", dataDir } };
      const call = (command: string): PluginCall => ({
        command, containerId: "v1", netns: container.path, ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host,
      });
      const add = tracedPlugin(ourPlugin("veth"), call("ADD"));
      expect(add.stderr).toBe("");
      expect(add.code).toBe(0);
      expect(add.hostLocalExecs).toBe(0);
      expect(readdirSync(join(dataDir, "mcveth"))).toContain("10.254.7.2");
      expect(addrs(container, "eth0")[0]?.addr_info.map((a) => a.local)).toContain("10.254.7.2");

      const del = tracedPlugin(ourPlugin("veth"), call("DEL"));
      expect(del.code).toBe(0);
      expect(del.hostLocalExecs).toBe(0);
      expect(readdirSync(join(dataDir, "mcveth"))).not.toContain("10.254.7.2");
    } finally {
      deleteNetns(container);
      deleteNetns(host);
    }
  });
});
