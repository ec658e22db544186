// scripts/priv-net-run.sh and scripts/exec-plugins.sh, run as a user runs them, with the configs in a
// temporary NETCONFPATH and the result cache in a temporary CNI_CACHE_DIR.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, createNetns, isUp, type TestNetns } from "./lib/netns";
import { BIN_DIR, REPO_ROOT } from "./lib/plugin";

const PRIV_NET_RUN = resolve(REPO_ROOT, "scripts/priv-net-run.sh");
const EXEC_PLUGINS = resolve(REPO_ROOT, "scripts/exec-plugins.sh");

let work: string;
let netconf: string;
let cache: string;
let dataDir: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-scripts-"));
  netconf = join(work, "net.d");
  cache = join(work, "cache");
  dataDir = join(work, "ipam");
  for (const dir of [netconf]) spawnSync("mkdir", ["-p", dir]);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));
afterAll(cleanupAll);

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH, NETCONFPATH: netconf, CNI_PATH: BIN_DIR, CNI_CACHE_DIR: cache },
    timeout: 30_000,
  });
}

function cachedFiles(): string[] {
  return existsSync(cache) ? readdirSync(cache) : [];
}

function netnsNames(): string[] {
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0] ?? "");
}

describe("priv-net-run.sh", () => {
  it("runs the command in a fresh namespace with lo up, then removes the namespace", () => {
    writeFileSync(join(netconf, "99-loopback.conf"), JSON.stringify({ cniVersion: "1.1.0", name: "lo", type: "loopback" }));
    const before = netnsNames();
    const r = run(PRIV_NET_RUN, ["ip", "-j", "addr", "show", "lo"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [lo] = JSON.parse(r.stdout) as Array<{ flags: string[]; addr_info: Array<{ local: string }> }>;
    expect(lo?.flags).toContain("UP");
    expect(lo?.addr_info.map((a) => a.local)).toContain("127.0.0.1");
    expect(netnsNames()).toEqual(before);
    expect(cachedFiles()).toEqual([]);
  });

  it("passes the command's exit status through", () => {
    writeFileSync(join(netconf, "99-loopback.conf"), JSON.stringify({ cniVersion: "1.1.0", name: "lo", type: "loopback" }));
    expect(run(PRIV_NET_RUN, ["sh", "-c", "exit 7"]).status).toBe(7);
  });

  it("uses the repo's default net.d when NETCONFPATH is unset and /etc/cni/net.d has no config", () => {
    const r = spawnSync(PRIV_NET_RUN, ["ip", "-br", "link", "show", "lo"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, CNI_CACHE_DIR: cache },
    });
    // On a node with its own /etc/cni/net.d this would use that instead; CI machines have none.
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^lo\s+UNKNOWN/);
  });
});

describe("exec-plugins.sh", () => {
  let container: TestNetns;
  beforeEach(() => {
    container = createNetns("spt-ctr");
  });

  it("ADD caches the final result in libcni's format; DEL runs with it and removes it", () => {
    writeFileSync(join(netconf, "10-lo.conflist"), JSON.stringify({
      cniVersion: "1.0.0", name: "lonet", plugins: [{ type: "loopback" }],
    }));
    expect(run(EXEC_PLUGINS, ["add", "ctr1", container.path]).status).toBe(0);
    expect(isUp(container, "lo")).toBe(true);
    const files = cachedFiles();
    expect(files).toEqual(["lonet-ctr1-eth0"]);
    const cached = JSON.parse(spawnSync("cat", [join(cache, files[0]!)], { encoding: "utf8" }).stdout);
    expect(cached).toMatchObject({
      kind: "cniCacheV1", containerId: "ctr1", ifName: "eth0", networkName: "lonet", netns: container.path,
      result: { cniVersion: "1.0.0", interfaces: [{ name: "lo" }] },
    });
    expect(JSON.parse(Buffer.from(cached.config, "base64").toString())).toMatchObject({ name: "lonet" });

    expect(run(EXEC_PLUGINS, ["check", "ctr1", container.path]).status).toBe(0);
    expect(run(EXEC_PLUGINS, ["del", "ctr1", container.path]).status).toBe(0);
    expect(isUp(container, "lo")).toBe(false);
    expect(cachedFiles()).toEqual([]);
  });

  it("a failed ADD rolls back what the chain had done, leaving no lease and no cache", () => {
    writeFileSync(join(netconf, "10-broken.conflist"), JSON.stringify({
      cniVersion: "1.0.0", name: "broken",
      plugins: [
        // host-local as a chain member (it reads its settings from "ipam" either way)
        { type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "10.250.0.0/24" }]], dataDir } },
        { type: "no-such-plugin" },
      ],
    }));
    const r = run(EXEC_PLUGINS, ["add", "ctr2", container.path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('failed to find plugin "no-such-plugin"');
    // host-local did allocate (its lock and last_reserved_ip are there), and the rollback released it
    const store = readdirSync(join(dataDir, "broken"));
    expect(store).toContain("last_reserved_ip.0");
    expect(store.filter((f) => /^\d/.test(f))).toEqual([]);
    expect(cachedFiles()).toEqual([]);
  });
});
