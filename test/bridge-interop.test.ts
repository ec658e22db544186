// bin/bridge side by side with Debian's Go bridge (/usr/lib/cni) on the same configs, our DEL cleaning
// up after the Go bridge's iptables masquerade, and 20 concurrent ADDs on one bridge that does not exist yet.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { addrs, cleanupAll, createHostNetns, createNetns, inNetns, ipJson, links, sysctl, type TestNetns } from "./lib/netns";
import { BIN_DIR, GO_BIN_DIR, goPlugin, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const OURS = ourPlugin("bridge");
const GO = goPlugin("bridge");
const NETWORK = "interop";
const BR = "ibr0";
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

interface Side {
  binary: string;
  cniPath: string;
  host: TestNetns;
  container: TestNetns;
  dataDir: string;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
  metric?: number;
}
interface IpLinkDetail {
  ifname: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean; isolated?: boolean } };
}

let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-bridge-interop-"));
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

function side(binary: string, cniPath: string, label: string): Side {
  return { binary, cniPath, host: createHostNetns(`bri-${label}-h`), container: createNetns(`bri-${label}-c`), dataDir: join(work, label) };
}

function config(s: Side, cniVersion: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ranges = [[{ subnet: "10.98.0.0/24" }], [{ subnet: "fd98::/64" }]];
  return { cniVersion, name: NETWORK, type: "bridge", bridge: BR, ipam: { type: "host-local", dataDir: s.dataDir, ranges }, ...extra };
}

function call(s: Side, command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: "ctr-1", netns: s.container.path, ifName: "eth0", path: s.cniPath, stdin, hostNetns: s.host, ...extra };
}

function ok(r: PluginOutput): Record<string, unknown> {
  expect((r.json as { code?: number } | undefined)?.code, r.stdout).toBeUndefined();
  expect(r.code).toBe(0);
  return r.json as Record<string, unknown>;
}

/** The result with random MACs, veth names and the sandbox path replaced by placeholders. */
function normalised(result: Record<string, unknown>, s: Side): unknown {
  return JSON.parse(
    JSON.stringify(result)
      .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"<mac>"')
      .replace(/veth[0-9a-f]{8}/g, "<veth>")
      .replaceAll(s.container.path, "<netns>"),
  );
}

/** What the host and container look like, with random names and MACs left out. */
function state(s: Side, hostVeth: string): Record<string, unknown> {
  const global = (ns: TestNetns, dev: string): string[] => {
    const out: string[] = [];
    for (const l of addrs(ns, dev)) for (const a of l.addr_info) if (a.scope === "global") out.push(`${a.local}/${a.prefixlen}`);
    return out.sort();
  };
  const routes = (ns: TestNetns, family: string): string[] =>
    ipJson<IpRoute[]>(ns, [family, "route", "show"])
      .filter((r) => !r.dst.startsWith("fe80::") && !r.dst.startsWith("ff00::"))
      .map((r) => `${r.dst} via ${r.gateway ?? "-"} dev ${r.dev} metric ${r.metric ?? 0}`)
      .sort();
  const [port] = ipJson<IpLinkDetail[]>(s.host, ["-d", "link", "show", "dev", hostVeth]);
  const [eth0] = ipJson<IpLinkDetail[]>(s.container, ["-d", "link", "show", "dev", "eth0"]);
  return {
    bridgeAddresses: global(s.host, BR),
    containerAddresses: global(s.container, "eth0"),
    containerRoutes: [...routes(s.container, "-4"), ...routes(s.container, "-6")],
    hostLinks: links(s.host).length,
    portFlags: port?.linkinfo?.info_slave_data === undefined ? undefined : { hairpin: port.linkinfo.info_slave_data.hairpin, isolated: port.linkinfo.info_slave_data.isolated },
    mtus: [port?.mtu, eth0?.mtu],
    // the spoof-check rules as nft lists them, with the random veth name and container MAC normalised
    spoofCheck: inNetns(s.host, "nft", ["list", "ruleset", "bridge"])
      .replace(/veth[0-9a-f]{8}/g, "<veth>")
      .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, "<mac>"),
    containerUp: eth0?.flags.includes("UP"),
    sysctls: [
      sysctl(s.host, "net/ipv4/ip_forward"),
      sysctl(s.host, "net/ipv6/conf/all/forwarding"),
      sysctl(s.host, `net/ipv6/conf/${BR}/accept_ra`),
      sysctl(s.host, `net/ipv6/conf/${hostVeth}/accept_ra`),
      sysctl(s.container, "net/ipv6/conf/eth0/accept_dad"),
      sysctl(s.container, "net/ipv4/conf/eth0/arp_notify"),
    ],
  };
}

const SAME_CONFIGS: [string, Record<string, unknown>][] = [
  ["1.0.0", { isDefaultGateway: true, hairpinMode: true, mtu: 1450 }],
  ["0.4.0", { isGateway: true }],
  ["1.0.0", { isGateway: true, macspoofchk: true, promiscMode: true }],
];

describe("side by side with the Go bridge", () => {
  it.each(SAME_CONFIGS)("cniVersion %s %j: same result, addresses, routes, sysctls and port flags; CHECK and DEL agree", (version, extra) => {
    const ours = side(OURS, BIN_DIR, "o");
    const go = side(GO, GO_BIN_DIR, "g");
    const results = [ours, go].map((s) => ok(runPlugin(s.binary, call(s, "ADD", config(s, version, extra)))));
    const [ourResult, goResult] = results as [Record<string, unknown>, Record<string, unknown>];
    const goNormalised = normalised(goResult, go) as { dns?: unknown };
    const ourNormalised = normalised(ourResult, ours) as { dns?: unknown };
    // Go prints an empty "dns": {} at every version; @cni/skel only where the version's schema has it.
    if (ourNormalised.dns === undefined) delete goNormalised.dns;
    expect(ourNormalised).toEqual(goNormalised);
    const veth = (r: Record<string, unknown>): string => ((r.interfaces as { name: string }[])[1]?.name ?? "");
    expect(state(ours, veth(ourResult))).toEqual(state(go, veth(goResult)));
    for (const [s, result] of [[ours, ourResult], [go, goResult]] as const) {
      expect(runPlugin(s.binary, call(s, "CHECK", { ...config(s, version, extra), prevResult: result })).code).toBe(0);
      expect(runPlugin(s.binary, call(s, "DEL", config(s, version, extra))).code).toBe(0);
      expect(links(s.host).map((l) => l.ifname).sort()).toEqual([BR, "lo"]);
    }
  });

  it("our DEL removes the Go bridge's iptables masquerade rules", () => {
    const go = side(GO, GO_BIN_DIR, "g");
    const conf = config(go, "1.0.0", { isGateway: true, ipMasq: true });
    ok(runPlugin(GO, call(go, "ADD", conf)));
    expect(inNetns(go.host, "iptables", ["-t", "nat", "-S"])).toMatch(/-j CNI-[0-9a-f]{24}/);
    expect(inNetns(go.host, "ip6tables", ["-t", "nat", "-S"])).toMatch(/-j CNI-[0-9a-f]{24}/);
    // ours, on Go's attachment (its IPAM store, on CNI_PATH of our executables: host-local reads the same files)
    expect(runPlugin(OURS, call(go, "DEL", conf, { path: BIN_DIR })).code).toBe(0);
    expect(inNetns(go.host, "iptables", ["-t", "nat", "-S"])).not.toContain("CNI-");
    expect(inNetns(go.host, "ip6tables", ["-t", "nat", "-S"])).not.toContain("CNI-");
    expect(readdirSync(join(go.dataDir, NETWORK)).filter((f) => /^[0-9a-f]+[.:]/.test(f))).toEqual([]);
  });
});

/** Run a plugin without waiting (spawn), as many runtimes do at once. */
function runAsync(binary: string, c: PluginCall): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: c.command ?? "",
      CNI_CONTAINERID: c.containerId ?? "",
      CNI_NETNS: c.netns ?? "",
      CNI_IFNAME: c.ifName ?? "",
      CNI_PATH: c.path ?? "",
    };
    const child = spawn("ip", ["netns", "exec", c.hostNetns?.name ?? "", binary], { env });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
    child.stdin.end(JSON.stringify(c.stdin));
  });
}

describe("concurrency", () => {
  it("20 ADDs at once on a bridge that does not exist yet all succeed, with masquerade; 20 DELs at once leave nothing", async () => {
    const host = createNetns("bri-many-h");
    const dataDir = join(work, "many");
    const conf = {
      cniVersion: "1.0.0", name: NETWORK, type: "bridge", bridge: BR, isGateway: true, ipMasq: true,
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.99.0.0/24" }]] },
    };
    const containers: TestNetns[] = [];
    for (let i = 0; i < 20; i++) containers.push(createNetns(`bri-many-${i}`));
    const calls = (command: string): PluginCall[] =>
      containers.map((c, i) => ({ command, containerId: `ctr-${i}`, netns: c.path, ifName: "eth0", path: BIN_DIR, stdin: conf, hostNetns: host }));

    const adds = await Promise.all(calls("ADD").map((c) => runAsync(OURS, c)));
    for (const add of adds) expect(add.code, add.stdout).toBe(0);
    const addresses = new Set(adds.map((a) => (JSON.parse(a.stdout) as { ips: { address: string }[] }).ips[0]?.address));
    expect(addresses.size).toBe(20);
    const ports = ipJson<{ ifname: string; master?: string }[]>(host, ["link", "show"]).filter((l) => l.master === BR);
    expect(ports).toHaveLength(20);
    const masq = inNetns(host, "nft", ["list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"]);
    expect(masq.match(/ masquerade comment /g)).toHaveLength(20);
    expect(inNetns(containers[0] as TestNetns, "ping", ["-c", "1", "-W", "2", "10.99.0.1"])).toContain("1 received");

    const dels = await Promise.all(calls("DEL").map((c) => runAsync(OURS, c)));
    for (const del of dels) expect(del.code, del.stdout).toBe(0);
    expect(inNetns(host, "nft", ["list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"])).not.toContain("masquerade comment");
    expect(links(host).map((l) => l.ifname).sort()).toEqual([BR, "lo"]);
    const leaseDir = join(dataDir, NETWORK);
    expect(existsSync(leaseDir) ? readdirSync(leaseDir).filter((f) => /^[0-9a-f]+[.:]/.test(f)) : []).toEqual([]);
  }, 120_000);
});
