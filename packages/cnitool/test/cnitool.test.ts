// @cni/cnitool against libcni's fake plugin (packages/libcni/test/fixtures/fake-plugin.cjs, copied under
// several type names into a temporary CNI_PATH): arguments, environment, messages, gc and its --all.
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cnitoolContainerId, runCnitool } from "../src/index";

const FAKE = join(import.meta.dirname, "../../libcni/test/fixtures/fake-plugin.cjs");

interface Call {
  type: string;
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  conf: Record<string, unknown>;
}

let work: string;
let bin: string;
let netd: string;
let cacheDir: string;
let log: string;

/** cnitool run in-process on this test's config dir, fake plugins and cache; its output collected. */
function tool(args: string[], env: Record<string, string> = {}): { code: Promise<number>; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCnitool(args, {
    env: { NETCONFPATH: netd, CNI_PATH: bin, CNI_CACHE_DIR: cacheDir, FAKE_PLUGIN_LOG: log, ...env },
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
  });
  return { code, out, err };
}

function calls(): Call[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Call);
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cnitool-"));
  bin = join(work, "bin");
  netd = join(work, "net.d");
  cacheDir = join(work, "cache");
  log = join(work, "calls.jsonl");
  mkdirSync(bin);
  mkdirSync(netd);
  for (const type of ["first", "second"]) {
    copyFileSync(FAKE, join(bin, type));
    chmodSync(join(bin, type), 0o755);
  }
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe("cnitool", () => {

  it("container ID as Go's cnitool: cnitool- + 20 hex digits of sha512(netns)", () => {
    // the value Go's cnitool printed for /var/run/netns/testing (a published cnitool walkthrough)
    expect(cnitoolContainerId("/var/run/netns/testing")).toBe("cnitool-77383ca0a0715733ca6f");
    expect(cnitoolContainerId("/x")).toBe(`cnitool-${createHash("sha512").update("/x").digest("hex").slice(0, 20)}`);
  });

  it("add prints the result; CNI_ARGS, CAP_ARGS, CNI_IFNAME are used; del removes the cache", async () => {
    writeFileSync(join(netd, "10-n.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "first", capabilities: { dns: true } }] }));
    const add = tool(["add", "n", "/var/run/netns/testing"], { CNI_ARGS: "A=1;B=2", CAP_ARGS: '{"dns":{"nameservers":["10.0.0.1"]}}', CNI_IFNAME: "net7" });
    expect(await add.code).toBe(0);
    expect(JSON.parse(add.out.join(""))).toMatchObject({ interfaces: [{ name: "first" }] });
    expect(calls()[0]).toMatchObject({ containerId: "cnitool-77383ca0a0715733ca6f", ifName: "net7", args: "A=1;B=2", conf: { runtimeConfig: { dns: { nameservers: ["10.0.0.1"] } } } });
    expect(readdirSync(join(cacheDir, "results"))).toEqual(["n-cnitool-77383ca0a0715733ca6f-net7"]);
    const del = tool(["del", "n", "/var/run/netns/testing"], { CNI_IFNAME: "net7" });
    expect(await del.code).toBe(0);
    expect(readdirSync(join(cacheDir, "results"))).toEqual([]);
  });

  it("usage on wrong arguments, readable errors, non-zero exit", async () => {
    const none = tool([]);
    expect(await none.code).toBe(1);
    expect(none.err.join("")).toMatch(/^usage: cnitool add\|check\|del <network> <netns-path>/);
    const help = tool(["--help"]);
    expect(await help.code).toBe(0);
    expect(help.out.join("")).toContain("CNI_IFNAME");
    const bad = tool(["frobnicate", "n", "/x"]);
    expect(await bad.code).toBe(1);
    expect(bad.err.join("")).toMatch(/^cnitool: unknown command "frobnicate"/);
    const missing = tool(["add", "n"]);
    expect(await missing.code).toBe(1);
    expect(missing.err.join("")).toContain("add needs <network> <netns-path>");
    writeFileSync(join(netd, "10-n.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "first", fail: "ADD" }] }));
    const failing = tool(["add", "n", "/x"]);
    expect(await failing.code).toBe(1);
    expect(failing.err.join("")).toBe('cnitool add: plugin type="first" failed (add) for network "n": first refuses ADD; as configured\n');
    const unknown = tool(["add", "other", "/x"]);
    expect(await unknown.code).toBe(1);
    expect(unknown.err.join("")).toBe(`cnitool add: config: no net configuration with name "other" in ${netd}\n`);
    const badCap = tool(["add", "n", "/x"], { CAP_ARGS: "{" });
    expect(await badCap.code).toBe(1);
    expect(badCap.err.join("")).toMatch(/CAP_ARGS is not valid JSON/);
  });

  it("networks lists the names in load order", async () => {
    writeFileSync(join(netd, "20-b.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "b", plugins: [{ type: "first" }] }));
    writeFileSync(join(netd, "10-lo.conf"), JSON.stringify({ cniVersion: "1.0.0", name: "lo", type: "loopback" }));
    writeFileSync(join(netd, "30-a.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "a", plugins: [{ type: "first" }] }));
    const r = tool(["networks"]);
    expect(await r.code).toBe(0);
    expect(r.out.join("")).toBe("b\na\nlo\n");
  });
});

describe("cnitool gc", () => {

  it("keeps the attachments whose namespace exists and tells the plugins they are valid; --all keeps none", async () => {
    writeFileSync(join(netd, "10-n.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "first" }] }));
    const live = "/proc/self/ns/net"; // a namespace that exists wherever the test runs
    expect(await tool(["add", "n", live], { CNI_CONTAINERID: "live" }).code).toBe(0);
    expect(await tool(["add", "n", "/var/run/netns/gone-for-good"], { CNI_CONTAINERID: "gone" }).code).toBe(0);
    writeFileSync(log, "");
    expect(await tool(["gc", "n"]).code).toBe(0);
    expect(calls().map((c) => `${c.command} ${c.containerId}`)).toEqual(["DEL gone", "GC "]);
    expect(calls()[1]!.conf["cni.dev/valid-attachments"]).toEqual([{ containerID: "live", ifname: "eth0" }]);
    expect(readdirSync(join(cacheDir, "results"))).toEqual(["n-live-eth0"]);
    writeFileSync(log, "");
    expect(await tool(["gc", "n", "--all"]).code).toBe(0);
    expect(calls().map((c) => `${c.command} ${c.containerId}`)).toEqual(["DEL live", "GC "]);
    expect(calls()[1]!.conf["cni.dev/valid-attachments"]).toEqual([]);
    expect(readdirSync(join(cacheDir, "results"))).toEqual([]);
  });

  it("--help says what gc keeps and what --all does", async () => {
    const help = tool(["--help"]);
    expect(await help.code).toBe(0);
    const text = help.out.join("");
    expect(text).toContain("cnitool gc <network> [--all]");
    expect(text).toMatch(/attachments whose namespace exists are kept as live/);
    expect(text).toMatch(/"gc --all" treats none as live/);
    expect(text).toMatch(/already cached .* is refused before any\s+plugin runs/s);
  });

  it("two configs with one network name: the first in load order, a warning naming both files", async () => {
    writeFileSync(join(netd, "10-n.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "first" }] }));
    writeFileSync(join(netd, "20-n.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "second" }] }));
    const warning = `cnitool: warning: ${netd}/20-n.conflist: network "n" is also defined in ${netd}/10-n.conflist; only that one (first in load order) is used\n`;
    const networks = tool(["networks"]);
    expect(await networks.code).toBe(0);
    expect(networks.out.join("")).toBe("n\n");
    expect(networks.err.join("")).toBe(warning);
    const add = tool(["add", "n", "/x"]);
    expect(await add.code).toBe(0);
    expect(add.err.join("")).toBe(warning);
    expect(calls().map((c) => c.type)).toEqual(["first"]);
  });
});
