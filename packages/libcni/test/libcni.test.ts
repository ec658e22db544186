// @cni/libcni against a fake plugin (test/fixtures/fake-plugin.cjs, copied under several type names into a
// temporary CNI_PATH): config loading, list execution, the cache, GC, timeouts, ETXTBSY, the facade.
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AttachmentExistsError,
  CacheTrustError,
  capabilities,
  Cni,
  CniConfig,
  ConfigError,
  confListFromBytes,
  loadAllConfLists,
  loadConfList,
  MultiError,
  NetworkPluginError,
  PluginNotFoundError,
  parseCache,
  readCache,
  type NetworkConfigList,
  type RuntimeConf,
} from "../src/index";

const FAKE = join(import.meta.dirname, "fixtures/fake-plugin.cjs");
/** nobody's uid (65534 on Debian): an owner the cache must not trust */
const NOBODY_UID = 65534;

interface Call {
  type: string;
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  conf: Record<string, unknown>;
}

let work: string;
let bin: string;
let netd: string;
let cacheDir: string;
let log: string;
const stderrSeen: string[] = [];

function calls(): Call[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Call);
}
function summary(): string[] {
  return calls().map((c) => `${c.command} ${c.type}`);
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "libcni-"));
  bin = join(work, "bin");
  netd = join(work, "net.d");
  cacheDir = join(work, "cache");
  log = join(work, "calls.jsonl");
  mkdirSync(bin);
  mkdirSync(netd);
  for (const type of ["first", "second", "third"]) copyFileSync(FAKE, join(bin, type));
  for (const type of ["first", "second", "third"]) chmodSync(join(bin, type), 0o755);
  process.env.FAKE_PLUGIN_LOG = log;
  stderrSeen.length = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function cni(extra: { timeoutMs?: number; busyRetryDelayMs?: number } = {}): CniConfig {
  return new CniConfig({ path: [join(work, "empty"), bin], cacheDir, stderr: (t: string) => stderrSeen.push(t), ...extra });
}

function list(plugins: object[], more: object = {}): NetworkConfigList {
  return confListFromBytes(JSON.stringify({ cniVersion: "1.1.0", name: "net1", plugins, ...more }));
}

const RT: RuntimeConf = {
  containerId: "ctr-1",
  netns: "/var/run/netns/ctr-1",
  ifName: "eth0",
  args: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "pod"]],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }], mac: "aa:bb:cc:dd:ee:ff" },
};

describe("loading configs", () => {
  it("conflists sorted, then .conf/.json sorted and wrapped into lists of one", () => {
    writeFileSync(join(netd, "20-b.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "b", plugins: [{ type: "first" }] }));
    writeFileSync(join(netd, "10-a.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "a", plugins: [{ type: "first" }, { type: "second" }] }));
    writeFileSync(join(netd, "05-c.conf"), JSON.stringify({ cniVersion: "0.4.0", name: "c", type: "third" }));
    writeFileSync(join(netd, "06-d.json"), JSON.stringify({ cniVersion: "0.4.0", name: "d", type: "third" }));
    writeFileSync(join(netd, "README"), "not a config");
    const lists = loadAllConfLists(netd);
    expect(lists.map((l) => l.name)).toEqual(["a", "b", "c", "d"]);
    expect(lists[2]!.plugins.map((p) => p.type)).toEqual(["third"]);
    expect(JSON.parse(lists[2]!.bytes.toString())).toMatchObject({ name: "c", plugins: [{ type: "third" }] });
    expect(loadConfList(netd, "b").plugins.map((p) => p.type)).toEqual(["first"]);
  });

  it("cniVersions: the highest this library speaks", () => {
    const l = confListFromBytes(JSON.stringify({ cniVersion: "0.4.0", cniVersions: ["1.0.0", "1.1.0", "9.0.0"], name: "n", plugins: [{ type: "first" }] }));
    expect(l.cniVersion).toBe("1.1.0");
    expect(() => confListFromBytes(JSON.stringify({ cniVersions: ["7.0.0"], name: "n", plugins: [{ type: "x" }] }), "f.conflist")).toThrow(
      /f\.conflist: none of "cniVersions" \["7\.0\.0"\] is supported/,
    );
  });

  it("plugins from <dir>/<network>/*.conf unless loadOnlyInlinedPlugins", () => {
    writeFileSync(join(netd, "10-a.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "a", plugins: [{ type: "first" }] }));
    mkdirSync(join(netd, "a"));
    writeFileSync(join(netd, "a/20-third.conf"), JSON.stringify({ type: "third" }));
    writeFileSync(join(netd, "a/10-second.conf"), JSON.stringify({ type: "second" }));
    expect(loadConfList(netd, "a").plugins.map((p) => p.type)).toEqual(["first", "second", "third"]);
    writeFileSync(join(netd, "10-a.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "a", loadOnlyInlinedPlugins: true, plugins: [{ type: "first" }] }));
    expect(loadConfList(netd, "a").plugins.map((p) => p.type)).toEqual(["first"]);
  });

  it("a missing directory, no configs, a bad file, an unknown network: errors naming the file and the problem", () => {
    expect(() => loadAllConfLists(join(work, "nope"))).toThrow(ConfigError);
    expect(() => loadAllConfLists(join(work, "nope"))).toThrow(/nope: the config directory does not exist \(set NETCONFPATH/);
    expect(() => loadAllConfLists(netd)).toThrow(/net\.d: no network configs/);
    writeFileSync(join(netd, "10-bad.conflist"), "{ not json");
    expect(() => loadAllConfLists(netd)).toThrow(/10-bad\.conflist: invalid JSON/);
    writeFileSync(join(netd, "10-bad.conflist"), JSON.stringify({ name: "x", plugins: [{ cniVersion: "1.0.0" }] }));
    expect(() => loadAllConfLists(netd)).toThrow(/10-bad\.conflist: plugin 0 has no "type"/);
    writeFileSync(join(netd, "10-bad.conflist"), JSON.stringify({ plugins: [{ type: "x" }] }));
    expect(() => loadAllConfLists(netd)).toThrow(/10-bad\.conflist: no "name"/);
    rmSync(join(netd, "10-bad.conflist"));
    writeFileSync(join(netd, "10-ok.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "ok", plugins: [{ type: "x" }] }));
    expect(() => loadConfList(netd, "other")).toThrow(`no net configuration with name "other" in ${netd}`);
  });
});

describe("running a network list", () => {
  it("ADD chains prevResult, injects name/cniVersion and runtimeConfig for declared capabilities only, and caches in libcni's format", async () => {
    const l = list([{ type: "first", capabilities: { portMappings: true } }, { type: "second", capabilities: { mac: true, bandwidth: true } }]);
    const result = await cni().addNetworkList(l, RT);
    expect(result).toMatchObject({ cniVersion: "1.1.0", interfaces: [{ name: "first" }, { name: "second" }] });
    const [first, second] = calls();
    expect(first).toMatchObject({ command: "ADD", containerId: "ctr-1", netns: RT.netns, ifName: "eth0", args: "IgnoreUnknown=1;K8S_POD_NAME=pod" });
    expect(first!.path).toBe(`${join(work, "empty")}:${bin}`);
    expect(first!.conf).toEqual({ type: "first", capabilities: { portMappings: true }, name: "net1", cniVersion: "1.1.0", runtimeConfig: { portMappings: RT.capabilityArgs!.portMappings } });
    expect(second!.conf.prevResult).toMatchObject({ interfaces: [{ name: "first" }] });
    expect(second!.conf.runtimeConfig).toEqual({ mac: "aa:bb:cc:dd:ee:ff" });
    // the cache file, as Go's libcni writes and reads it
    const raw = JSON.parse(readFileSync(join(cacheDir, "results/net1-ctr-1-eth0"), "utf8")) as Record<string, unknown>;
    expect(raw).toEqual({
      kind: "cniCacheV1",
      containerId: "ctr-1",
      config: l.bytes.toString("base64"),
      ifName: "eth0",
      networkName: "net1",
      netns: RT.netns,
      cniArgs: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "pod"]],
      capabilityArgs: RT.capabilityArgs,
      // the last plugin's output as it printed it; the returned Result is decoded (no empty lists)
      result: { ...result, ips: [] },
    });
    // the plugins' stderr went to the sink
    expect(stderrSeen.join("")).toBe("fake first ADD\nfake second ADD\n");
  });

  it("DEL runs in reverse with the cached result and removes the cache entry", async () => {
    const l = list([{ type: "first" }, { type: "second" }, { type: "third" }]);
    const result = await cni().addNetworkList(l, RT);
    await cni().delNetworkList(l, RT);
    const dels = calls().filter((c) => c.command === "DEL");
    expect(dels.map((c) => c.type)).toEqual(["third", "second", "first"]);
    for (const del of dels) expect(del.conf.prevResult).toEqual({ ...result, ips: [] }); // as cached
    expect(readdirSync(join(cacheDir, "results"))).toEqual([]);
  });

  it("a zero-byte or corrupt cache never blocks DEL (no prevResult then)", async () => {
    const l = list([{ type: "first" }]);
    mkdirSync(join(cacheDir, "results"), { recursive: true });
    for (const content of ["", "{ corrupt", JSON.stringify({ kind: "other" })]) {
      writeFileSync(join(cacheDir, "results/net1-ctr-1-eth0"), content);
      await cni().delNetworkList(l, RT);
      expect(existsSync(join(cacheDir, "results/net1-ctr-1-eth0"))).toBe(false);
    }
    expect(calls().map((c) => c.conf.prevResult)).toEqual([undefined, undefined, undefined]);
  });

  it("a failed ADD undoes only the plugins that succeeded in it, with its own result; the error names plugin and network; nothing cached", async () => {
    const l = list([{ type: "first" }, { type: "second", fail: "ADD" }, { type: "third" }]);
    const error = await cni().addNetworkList(l, RT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkPluginError);
    expect((error as NetworkPluginError).message).toBe('plugin type="second" failed (add) for network "net1": second refuses ADD; as configured');
    expect((error as NetworkPluginError).code).toBe(7);
    // the plugin that failed cleaned up after itself; third never ran
    expect(summary()).toEqual(["ADD first", "ADD second", "DEL first"]);
    // DEL first gets what first returned in this ADD (second got the same as its prevResult)
    expect(calls()[2]!.conf.prevResult).toMatchObject({ interfaces: [{ name: "first" }] });
    expect(calls()[2]!.conf.prevResult).toEqual(calls()[1]!.conf.prevResult);
    expect(existsSync(join(cacheDir, "results/net1-ctr-1-eth0"))).toBe(false);
  });

  it("an ADD whose output is not a CNI result stops the list and is rolled back with the plugin that printed it", async () => {
    const bad = JSON.stringify({ cniVersion: "1.1.0", ips: [{ address: "not-an-address" }] });
    const l = list([{ type: "first" }, { type: "second", output: bad }, { type: "third" }]);
    const error = await cni().addNetworkList(l, RT).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(NetworkPluginError);
    expect(error?.message).toMatch(/^plugin type="second" failed \(add\) for network "net1": its output is not a valid CNI result: .*ips\[0\]\.address/);
    expect(summary()).toEqual(["ADD first", "ADD second", "DEL second", "DEL first"]);
    // the DELs get the last valid result, first's
    expect(calls()[2]!.conf.prevResult).toMatchObject({ interfaces: [{ name: "first" }] });
    expect(existsSync(join(cacheDir, "results/net1-ctr-1-eth0"))).toBe(false);
  });

  it("a plugin not on the path: the error says which and where it was looked for", async () => {
    const error = await cni().addNetworkList(list([{ type: "missing" }]), RT).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(PluginNotFoundError);
    expect(error?.message).toBe(`network "net1": failed to find plugin "missing" in path [${join(work, "empty")} ${bin}]`);
    expect(calls()).toEqual([]);
  });

  it("no CNI_PATH: the plugin is reported not found, not as a plugin failure", async () => {
    const error = await new CniConfig({ path: [], cacheDir }).addNetworkList(list([{ type: "loopback" }]), RT).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe('network "net1": plugin loopback not found: CNI_PATH is not set');
  });

  it("DEL goes on past errors and reports them all", async () => {
    const l = list([{ type: "first", fail: "DEL" }, { type: "second" }, { type: "third", fail: "DEL" }]);
    const error = await cni().delNetworkList(l, RT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultiError);
    expect((error as MultiError).errors.map((e) => e.message)).toEqual([
      'plugin type="third" failed (del) for network "net1": third refuses DEL; as configured',
      'plugin type="first" failed (del) for network "net1": first refuses DEL; as configured',
    ]);
    expect(summary()).toEqual(["DEL third", "DEL second", "DEL first"]);
  });

  it("CHECK runs in order with the cached result; disableCheck skips; no cache is an error", async () => {
    const l = list([{ type: "first" }, { type: "second" }]);
    await expect(cni().checkNetworkList(l, RT)).rejects.toThrow(/no cached result/);
    const result = await cni().addNetworkList(l, RT);
    await cni().checkNetworkList(l, RT);
    const checks = calls().filter((c) => c.command === "CHECK");
    expect(checks.map((c) => c.type)).toEqual(["first", "second"]);
    expect(checks[0]!.conf.prevResult).toEqual({ ...result, ips: [] }); // as cached
    const disabled = list([{ type: "first", fail: "CHECK" }], { disableCheck: true });
    await cni().checkNetworkList(disabled, RT);
    await expect(cni().checkNetworkList(list([{ type: "first", fail: "CHECK" }]), RT)).rejects.toThrow(/first refuses CHECK/);
  });

  it("STATUS asks every plugin (1.1.0) and fails naming the one that is not ready", async () => {
    await cni().getStatusNetworkList(list([{ type: "first" }, { type: "second" }]));
    expect(summary()).toEqual(["STATUS first", "STATUS second"]);
    await expect(cni().getStatusNetworkList(list([{ type: "first", fail: "STATUS" }]))).rejects.toThrow(/type="first" failed \(status\)/);
  });

  it("GC: DEL of cached attachments not in the valid set (with their cached args), then GC to every plugin; errors collected", async () => {
    const l = list([{ type: "first" }, { type: "second", fail: "GC" }]);
    await cni().addNetworkList(l, { ...RT, containerId: "keep" });
    await cni().addNetworkList(l, { ...RT, containerId: "stale", netns: "/var/run/netns/stale" });
    writeFileSync(log, "");
    const error = await cni().gcNetworkList(l, [{ containerId: "keep", ifName: "eth0" }]).catch((e: Error) => e);
    expect(error?.message).toMatch(/type="second" failed \(gc\) for network "net1"/);
    expect(summary()).toEqual(["DEL second", "DEL first", "GC first", "GC second"]);
    const del = calls()[0]!;
    expect(del).toMatchObject({ containerId: "stale", netns: "/var/run/netns/stale", args: "IgnoreUnknown=1;K8S_POD_NAME=pod" });
    expect(calls()[2]!.conf["cni.dev/valid-attachments"]).toEqual([{ containerID: "keep", ifname: "eth0" }]);
    expect(readdirSync(join(cacheDir, "results"))).toEqual(["net1-keep-eth0"]);
  });

  it("a plugin that does not finish in time is killed and reported", async () => {
    const error = await cni({ timeoutMs: 300 }).addNetworkList(list([{ type: "first", sleepMs: 30_000 }]), RT).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/type="first" failed \(add\) for network "net1": .*first did not finish within 300 ms and was killed/);
  });

  it("an executable still open for writing (ETXTBSY) is retried", async () => {
    const path = join(bin, "first");
    const writer = openSync(path, "r+");
    setTimeout(() => closeSync(writer), 300);
    const result = await cni({ busyRetryDelayMs: 200 }).addNetworkList(list([{ type: "first" }]), RT);
    expect(result).toMatchObject({ interfaces: [{ name: "first" }] });
  });
});

describe("a live attachment is never lost (issue 16)", () => {
  it("a second ADD of a cached attachment is refused before any plugin runs; the first stays cached", async () => {
    const l = list([{ type: "first" }, { type: "second" }]);
    await cni().addNetworkList(l, RT);
    const before = readFileSync(join(cacheDir, "results/net1-ctr-1-eth0"), "utf8");
    writeFileSync(log, "");
    const error = await cni().addNetworkList(l, RT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttachmentExistsError);
    expect((error as Error).message).toBe(
      `network "net1": container ctr-1 already has interface eth0 attached (cached in ${cacheDir}/results/net1-ctr-1-eth0); DEL it first`,
    );
    expect(calls()).toEqual([]);
    expect(readFileSync(join(cacheDir, "results/net1-ctr-1-eth0"), "utf8")).toBe(before);
  });

  it("colliding cache names (network a + container b-c, network a-b + container c): neither takes or deletes the other's entry", async () => {
    const a = confListFromBytes(JSON.stringify({ cniVersion: "1.1.0", name: "a", plugins: [{ type: "first" }] }));
    const ab = confListFromBytes(JSON.stringify({ cniVersion: "1.1.0", name: "a-b", plugins: [{ type: "first" }] }));
    await cni().addNetworkList(a, { ...RT, containerId: "b-c" });
    const file = join(cacheDir, "results/a-b-c-eth0");
    const before = readFileSync(file, "utf8");
    writeFileSync(log, "");
    const refused = await cni().addNetworkList(ab, { ...RT, containerId: "c" }).then(() => undefined, (e: Error) => e);
    expect(refused?.message).toMatch(/holds another attachment \(network "a", container b-c, interface eth0\)/);
    expect(calls()).toEqual([]);
    // DEL and CHECK of the other attachment neither use nor remove the entry
    await cni().delNetworkList(ab, { ...RT, containerId: "c" });
    expect(calls()[0]!.conf.prevResult).toBeUndefined();
    await expect(cni().checkNetworkList(ab, { ...RT, containerId: "c" })).rejects.toThrow(/no cached result/);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readCache(cacheDir, "a", "b-c", "eth0")).toBeDefined();
    expect(readCache(cacheDir, "a-b", "c", "eth0")).toBeUndefined();
  });

  it("the cached result is given to DEL and CHECK in the list's cniVersion (Go's GetAsVersion)", async () => {
    const at11 = list([{ type: "first" }]);
    await cni().addNetworkList(at11, RT);
    const at04 = list([{ type: "first" }], { cniVersion: "0.4.0" });
    await cni().checkNetworkList(at04, RT);
    await cni().delNetworkList(at04, RT);
    const [check, del] = calls().slice(1);
    expect(check!.conf.prevResult).toMatchObject({ cniVersion: "0.4.0", interfaces: [{ name: "first" }] });
    expect(del!.conf.prevResult).toMatchObject({ cniVersion: "0.4.0", interfaces: [{ name: "first" }] });
  });
});

describe("the cache directory is not trusted blindly (issue 16)", () => {
  it("a results directory that is a symlink, writable by others, or another user's is refused before any plugin runs", async () => {
    const l = list([{ type: "first" }]);
    const elsewhere = join(work, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o700 });
    mkdirSync(cacheDir, { mode: 0o700 });
    symlinkSync(elsewhere, join(cacheDir, "results"));
    await expect(cni().addNetworkList(l, RT)).rejects.toThrow(`refusing the result cache directory ${cacheDir}/results: it is a symbolic link`);
    rmSync(join(cacheDir, "results"));
    mkdirSync(join(cacheDir, "results"));
    chmodSync(join(cacheDir, "results"), 0o777);
    await expect(cni().addNetworkList(l, RT)).rejects.toThrow(/writable by group or others \(mode 0777\)/);
    chmodSync(join(cacheDir, "results"), 0o700);
    chownSync(join(cacheDir, "results"), NOBODY_UID, NOBODY_UID);
    await expect(cni().addNetworkList(l, RT)).rejects.toThrow(`it is owned by uid ${NOBODY_UID}, not root`);
    await expect(cni().gcNetworkList(l, [])).rejects.toThrow(CacheTrustError);
    expect(calls()).toEqual([]);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("a temporary file is created exclusively: a planted link at the old *.tmp name is not followed", async () => {
    mkdirSync(join(cacheDir, "results"), { recursive: true, mode: 0o700 });
    const victim = join(work, "victim");
    writeFileSync(victim, "root-only content", { mode: 0o600 });
    symlinkSync(victim, join(cacheDir, `results/net1-ctr-1-eth0.${process.pid}.tmp`));
    await cni().addNetworkList(list([{ type: "first" }]), RT);
    expect(readFileSync(victim, "utf8")).toBe("root-only content");
    expect(readCache(cacheDir, "net1", "ctr-1", "eth0")).toMatchObject({ containerId: "ctr-1" });
    expect(readdirSync(join(cacheDir, "results")).filter((n) => n.endsWith(".tmp") && !n.includes(`.${process.pid}.tmp`))).toEqual([]);
  });

  it("GC drives DEL only with entries that are plain root files recording this network under their own name", async () => {
    const l = list([{ type: "first" }]);
    await cni().addNetworkList(l, { ...RT, containerId: "real" });
    const results = join(cacheDir, "results");
    const entry = (containerId: string, netns: string): string =>
      JSON.stringify({ kind: "cniCacheV1", containerId, config: "", ifName: "eth0", networkName: "net1", netns, result: { cniVersion: "1.1.0" } });
    // under another attachment's name, a link to an entry, a file others may write
    writeFileSync(join(results, "net1-renamed-eth0"), entry("victim", "/proc/1/ns/net"), { mode: 0o600 });
    writeFileSync(join(work, "outside"), entry("linked", "/proc/1/ns/net"), { mode: 0o600 });
    symlinkSync(join(work, "outside"), join(results, "net1-linked-eth0"));
    writeFileSync(join(results, "net1-open-eth0"), entry("open", "/proc/1/ns/net"));
    chmodSync(join(results, "net1-open-eth0"), 0o666);
    writeFileSync(log, "");
    await cni().gcNetworkList(l, []);
    expect(calls().filter((c) => c.command === "DEL").map((c) => `${c.containerId} ${c.netns}`)).toEqual([`real ${RT.netns}`]);
  });
});

describe("cache interop with Go's libcni", () => {
  it("reads an entry written by Go's libcni (the fixture of containernetworking's tests) and uses it for DEL", async () => {
    // Go's writeCacheFile test helper: config base64, no netns, result with cniVersion only
    const config = JSON.stringify({ cniVersion: "0.4.0", name: "net1", plugins: [{ type: "first" }] });
    mkdirSync(join(cacheDir, "results"), { recursive: true });
    writeFileSync(
      join(cacheDir, "results/net1-ctr-1-eth0"),
      `{\n\t  "kind": "cniCacheV1",\n\t  "config": "${Buffer.from(config).toString("base64")}",\n\t  "containerId": "ctr-1",\n\t  "ifName": "eth0",\n\t  "networkName": "net1",\n\t  "result": {\n\t    "cniVersion": "0.4.0"\n\t  }\n\t}`,
    );
    const cached = readCache(cacheDir, "net1", "ctr-1", "eth0");
    expect(cached).toMatchObject({ containerId: "ctr-1", ifName: "eth0", networkName: "net1", netns: "", cniArgs: [], result: { cniVersion: "0.4.0" } });
    expect(cached!.config!.toString()).toBe(config);
    await cni().delNetworkList(confListFromBytes(config), { containerId: "ctr-1", netns: "", ifName: "eth0" });
    expect(calls()[0]!.conf.prevResult).toEqual({ cniVersion: "0.4.0" });
  });

  it("reads a kubelet-style entry with cniArgs pairs", () => {
    const entry = parseCache(JSON.stringify({
      kind: "cniCacheV1", containerId: "501b", config: Buffer.from("{}").toString("base64"), ifName: "lo", networkName: "cni-loopback",
      cniArgs: [["K8S_POD_NAMESPACE", "kube-system"], ["K8S_POD_NAME", "p"]], result: { cniVersion: "0.3.1" },
    }));
    expect(entry?.cniArgs).toEqual([["K8S_POD_NAMESPACE", "kube-system"], ["K8S_POD_NAME", "p"]]);
  });
});

describe("the go-cni-style facade", () => {
  it("setup: networks as eth0..ethN, loopback as lo; labels to CNI_ARGS; a result grouped per sandbox interface", async () => {
    writeFileSync(join(netd, "10-a.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "a", plugins: [{ type: "first" }] }));
    writeFileSync(join(netd, "20-b.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "b", plugins: [{ type: "second", capabilities: { portMappings: true } }] }));
    copyFileSync(FAKE, join(bin, "loopback"));
    chmodSync(join(bin, "loopback"), 0o755);
    const facade = new Cni({ path: [bin], cacheDir, stderr: () => undefined }).loadLoopback().loadAll(netd);
    expect(facade.loaded.map((n) => `${n.config.name}:${n.ifName}`)).toEqual(["cni-loopback:lo", "a:eth0", "b:eth1"]);
    const result = await facade.setup("sb1", "/var/run/netns/sb1", {
      labels: { K8S_POD_NAME: "pod1" },
      capabilities: capabilities.portMappings([{ HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "10.1.1.1" }]),
    });
    expect(calls().map((c) => `${c.type}:${c.ifName}:${c.args}`)).toEqual([
      "loopback:lo:IgnoreUnknown=1;K8S_POD_NAME=pod1",
      "first:eth0:IgnoreUnknown=1;K8S_POD_NAME=pod1",
      "second:eth1:IgnoreUnknown=1;K8S_POD_NAME=pod1",
    ]);
    expect(calls()[2]!.conf.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "10.1.1.1" }] });
    expect(Object.keys(result.interfaces)).toEqual(["loopback", "first", "second"]);
    await facade.remove("sb1", "");
    expect(summary().slice(3)).toEqual(["DEL second", "DEL first", "DEL loopback"]);
  });

  it("a failed setup removes the networks already attached", async () => {
    writeFileSync(join(netd, "10-a.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "a", plugins: [{ type: "first" }] }));
    writeFileSync(join(netd, "20-b.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "b", plugins: [{ type: "second", fail: "ADD" }] }));
    const facade = new Cni({ path: [bin], cacheDir, stderr: () => undefined }).loadAll(netd);
    await expect(facade.setup("sb2", "/var/run/netns/sb2")).rejects.toThrow(/type="second" failed \(add\) for network "b"/);
    expect(summary()).toEqual(["ADD first", "ADD second", "DEL first"]);
    expect(existsSync(join(cacheDir, "results")) ? readdirSync(join(cacheDir, "results")) : []).toEqual([]);
  });

  it("capability helpers accept Go-style and camelCase keys", () => {
    expect(capabilities.portMappings([{ HostPort: 1, ContainerPort: 2, Protocol: "udp" }, { hostPort: 3, containerPort: 4, protocol: "tcp" }])).toEqual({
      portMappings: [{ hostPort: 1, containerPort: 2, protocol: "udp" }, { hostPort: 3, containerPort: 4, protocol: "tcp" }],
    });
    expect(capabilities.bandwidth({ IngressRate: 1, egressBurst: 2 })).toEqual({ bandwidth: { ingressRate: 1, egressBurst: 2 } });
    expect(capabilities.ipRanges([[{ Subnet: "10.1.0.0/16", gateway: "10.1.0.1" }]])).toEqual({ ipRanges: [[{ subnet: "10.1.0.0/16", gateway: "10.1.0.1" }]] });
  });
});
