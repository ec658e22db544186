// Black-box tests of bin/firewall, chained after bin/bridge the way a runtime chains them, with the host
// side in throwaway namespaces (never the machine's own): its backends, traffic under `iptables -P FORWARD
// DROP`, same-bridge isolation, side by side with Debian's Go firewall (1.1.1), each one's DEL after the
// other's ADD, bad inputs.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, createHostNetns, createNetns, inNetns, setSysctls, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { runIsolated } from "./lib/isolated";
import { runPluginAsync } from "./lib/plugin-async";
import { BIN_DIR, goPlugin, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const FIREWALL = ourPlugin("firewall");
const BRIDGE = ourPlugin("bridge");
const GO_FIREWALL = goPlugin("firewall");
const NFT_TABLE = "cni_plugins_firewall";

interface PrevResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { interface?: number; address: string; gateway?: string }[];
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-firewall-"));
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

/** A host namespace that forwards, with dockerd's FORWARD policy unless `policy` says otherwise. */
function dockerLikeHost(prefix: string, policy: "DROP" | "ACCEPT" = "DROP"): TestNetns {
  const host = createHostNetns(prefix);
  setSysctls(host, { "net/ipv4/ip_forward": "1", "net/ipv6/conf/all/forwarding": "1" });
  inNetns(host, "iptables", ["-P", "FORWARD", policy]);
  inNetns(host, "ip6tables", ["-P", "FORWARD", policy]);
  return host;
}

function call(host: TestNetns, command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: "ctr-1", netns: "/var/run/netns/none", ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host, ...extra };
}

/** bin/bridge ADD of a container on `bridge` (subnet 10.<n>.0.0/24, and fd<n>::/64 when `dual`). */
function bridgeAdd(host: TestNetns, container: TestNetns, network: string, bridge: string, n: number, containerId: string, dual = false): PrevResult {
  const ranges = [[{ subnet: `10.${n}.0.0/24` }], ...(dual ? [[{ subnet: `fd${n}::/64` }]] : [])];
  const conf = { cniVersion: "1.0.0", name: network, type: "bridge", bridge, isDefaultGateway: true, ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges } };
  return succeeded<PrevResult>(runPlugin(BRIDGE, call(host, "ADD", conf, { containerId, netns: container.path })));
}

function firewallConf(network: string, prevResult: PrevResult | undefined, extra: Record<string, unknown> = {}, cniVersion = "1.0.0"): Record<string, unknown> {
  return { cniVersion, name: network, type: "firewall", ...extra, ...(prevResult !== undefined ? { prevResult } : {}) };
}

/**
 * A prevResult of a bridge attachment without running bridge (the rules need no interface to exist), in
 * `cniVersion` (Go 1.1.1 parses prevResult as the config's version: a 0.4.0 config needs a 0.4.0 one).
 */
function syntheticPrev(addresses: string[], bridge = "fwbr0", cniVersion = "1.0.0"): PrevResult {
  const old = cniVersion === "0.4.0";
  return {
    cniVersion,
    interfaces: [{ name: bridge }, { name: "veth0" }, { name: "eth0", sandbox: "/var/run/netns/x" }],
    ips: addresses.map((address) => ({ ...(old ? { version: address.includes(":") ? "6" : "4" } : {}), interface: 2, address })),
  };
}

/** A PATH holding only links to `names` (and `ip`, which runs the plugin in the host namespace). */
function pathWith(names: string[]): string {
  const dir = join(work, "path-" + names.join("-"));
  mkdirSync(dir);
  for (const name of ["ip", ...names]) symlinkSync(`/usr/sbin/${name}`, join(dir, name));
  return dir;
}

function iptablesS(host: TestNetns, family: 4 | 6 = 4): string[] {
  return inNetns(host, family === 4 ? "iptables" : "ip6tables", ["-S"]).trim().split("\n");
}

/** The rules of `<family> filter` as `nft -j` lists them, chain by chain in order, without their handles. */
function kernelRules(host: TestNetns, family: "ip" | "ip6"): Record<string, unknown[]> {
  const listed = JSON.parse(inNetns(host, "nft", ["-j", "list", "table", family, "filter"])) as { nftables: { rule?: { chain: string; handle?: number } }[] };
  const byChain: Record<string, unknown[]> = {};
  for (const { rule } of listed.nftables) if (rule !== undefined) (byChain[rule.chain] ??= []).push({ ...rule, handle: undefined });
  return byChain;
}

/** Our nftables table as nft lists it, "" when it does not exist. */
function nftTable(host: TestNetns): string {
  const r = spawnSync("ip", ["netns", "exec", host.name, "nft", "list", "table", "inet", NFT_TABLE], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : "";
}

/** Whether one ping from `from` reaches `address` (a lost packet is simply no answer within -W). */
function pings(from: TestNetns, address: string): boolean {
  return spawnSync("ip", ["netns", "exec", from.name, "ping", "-c", "1", "-W", "1", address], { encoding: "utf8" }).status === 0;
}

/**
 * A third namespace behind the host: veth `fwout0` (host 192.168.251.1/24) to `outside` (192.168.251.2/24),
 * whose route to `subnet` goes back through the host, so replies are forwarded too.
 */
function outsideOf(host: TestNetns, subnets: string[]): TestNetns {
  const outside = createNetns("fw-out");
  inNetns(host, "ip", ["link", "add", "fwout0", "type", "veth", "peer", "name", "eth0", "netns", outside.name]);
  inNetns(host, "ip", ["addr", "add", "192.168.251.1/24", "dev", "fwout0"]);
  inNetns(host, "ip", ["link", "set", "fwout0", "up"]);
  inNetns(outside, "ip", ["addr", "add", "192.168.251.2/24", "dev", "eth0"]);
  inNetns(outside, "ip", ["link", "set", "eth0", "up"]);
  inNetns(outside, "ip", ["link", "set", "lo", "up"]);
  for (const subnet of subnets) inNetns(outside, "ip", ["route", "add", subnet, "via", "192.168.251.1"]);
  return outside;
}

const FORWARD_JUMP = '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD';
const ADMIN_JUMP = '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN';
const accepts = (host: string): string[] => [
  `-A CNI-FORWARD -d ${host} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  `-A CNI-FORWARD -s ${host} -j ACCEPT`,
];

describe("iptables backend, on a host with FORWARD DROP", () => {
  it("a bridge container reaches a third namespace only with firewall in the chain; after DEL the rules are gone", () => {
    const host = dockerLikeHost("fw-ipt-h");
    const container = createNetns("fw-ipt-c");
    const prev = bridgeAdd(host, container, "fwnet", "fwbr0", 71, "ctr-1", true);
    const outside = outsideOf(host, ["10.71.0.0/24"]);
    expect(pings(container, "192.168.251.2")).toBe(false);

    const conf = firewallConf("fwnet", prev, { backend: "iptables" });
    const result = succeeded<PrevResult>(runPlugin(FIREWALL, call(host, "ADD", conf, { netns: container.path })));
    expect(result).toEqual(prev); // chained: prevResult unchanged
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(["-N CNI-FORWARD", "-N CNI-ADMIN", FORWARD_JUMP, ADMIN_JUMP, ...accepts("10.71.0.2/32")]));
    expect(iptablesS(host, 6)).toEqual(expect.arrayContaining([FORWARD_JUMP, ADMIN_JUMP, ...accepts("fd71::2/128")]));
    // the admin chain is created empty and jumped to first
    expect(iptablesS(host, 4).filter((line) => line.startsWith("-A CNI-ADMIN"))).toEqual([]);
    expect(iptablesS(host, 4).filter((line) => line.startsWith("-A CNI-FORWARD"))[0]).toBe(ADMIN_JUMP);
    expect(pings(container, "192.168.251.2")).toBe(true);
    expect(pings(outside, "10.71.0.2")).toBe(false); // replies only: nothing accepts new connections in

    succeeded(runPlugin(FIREWALL, call(host, "CHECK", conf, { netns: container.path })));
    // a repeated ADD adds nothing
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf, { netns: container.path })));
    expect(iptablesS(host, 4).filter((line) => line.includes("10.71.0.2"))).toHaveLength(2);
    expect(iptablesS(host, 4).filter((line) => line === FORWARD_JUMP)).toHaveLength(1);

    succeeded(runPlugin(FIREWALL, call(host, "DEL", conf, { netns: container.path })));
    expect(iptablesS(host, 4).filter((line) => line.includes("10.71.0.2"))).toEqual([]);
    expect(iptablesS(host, 6).filter((line) => line.includes("fd71::2"))).toEqual([]);
    // chains and jumps stay (shared), as the reference's
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining([FORWARD_JUMP, ADMIN_JUMP]));
    expect(pings(container, "192.168.251.2")).toBe(false);
    // CHECK after DEL names the missing rule
    expect(failed(runPlugin(FIREWALL, call(host, "CHECK", conf, { netns: container.path }))).msg).toBe(
      "expected rule [-d 10.71.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT] not found",
    );
    // DEL again: nothing to do
    succeeded(runPlugin(FIREWALL, call(host, "DEL", conf, { netns: container.path })));
  });

  it("an IPv4-only container leaves ip6tables untouched; iptablesAdminChainName names the admin chain", () => {
    const host = dockerLikeHost("fw-adm-h");
    const conf = firewallConf("fwnet", syntheticPrev(["10.72.0.5/24"]), { backend: "iptables", iptablesAdminChainName: "MY-ADMIN" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    expect(iptablesS(host, 4)).toEqual(
      expect.arrayContaining(["-N MY-ADMIN", '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j MY-ADMIN']),
    );
    expect(iptablesS(host, 6)).toEqual(["-P INPUT ACCEPT", "-P FORWARD DROP", "-P OUTPUT ACCEPT"]);
    // rules the admin put into the admin chain are never touched
    inNetns(host, "iptables", ["-A", "MY-ADMIN", "-s", "10.72.0.9/32", "-j", "DROP"]);
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf, { containerId: "ctr-2" })));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", conf)));
    expect(iptablesS(host, 4)).toContain("-A MY-ADMIN -s 10.72.0.9/32 -j DROP");
  });

  it("DEL without prevResult succeeds and leaves the address rules (Go's rules name no container)", () => {
    const host = dockerLikeHost("fw-nop-h");
    const conf = firewallConf("fwnet", syntheticPrev(["10.73.0.5/24"]), { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", firewallConf("fwnet", undefined, { backend: "iptables" }))));
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(accepts("10.73.0.5/32")));
  });

  it("an ADD whose second family fails leaves nothing of the first behind", () => {
    const host = dockerLikeHost("fw-fail-h", "ACCEPT");
    // a PATH with iptables but no ip6tables: the IPv4 restore succeeds, the IPv6 one cannot run
    const bin = pathWith(["iptables", "iptables-restore"]);
    const before = iptablesS(host, 4);
    const conf = firewallConf("fwnet", syntheticPrev(["10.74.0.5/24", "fd74::5/64"]), { backend: "iptables" });
    const error = failed(runPlugin(FIREWALL, call(host, "ADD", conf, { env: { PATH: bin } })));
    expect(error.msg).toContain("ip6tables");
    expect(iptablesS(host, 4)).toEqual(before);
  });
});

describe("ingressPolicy", () => {
  it("same-bridge: containers on two isolated bridges cannot reach each other, and both still reach out", () => {
    const host = dockerLikeHost("fw-iso-h");
    const left = createNetns("fw-iso-a");
    const right = createNetns("fw-iso-b");
    const prevA = bridgeAdd(host, left, "neta", "fwbra", 75, "ctr-a");
    const prevB = bridgeAdd(host, right, "netb", "fwbrb", 76, "ctr-b");
    outsideOf(host, ["10.75.0.0/24", "10.76.0.0/24"]);
    const confA = firewallConf("neta", prevA, { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", confA, { containerId: "ctr-a", netns: left.path })));
    const confB = firewallConf("netb", prevB, { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", confB, { containerId: "ctr-b", netns: right.path })));
    // open: each container's address is accepted, so the two bridges reach each other
    expect(pings(left, "10.76.0.2")).toBe(true);

    for (const [conf, id, ns] of [[confA, "ctr-a", left], [confB, "ctr-b", right]] as const) {
      succeeded(runPlugin(FIREWALL, call(host, "ADD", { ...conf, ingressPolicy: "same-bridge" }, { containerId: id, netns: ns.path })));
    }
    const rules = iptablesS(host, 4);
    // the isolation jump comes first in FORWARD, before CNI-FORWARD's accepts
    expect(rules.find((line) => line.startsWith("-A FORWARD"))).toBe(
      '-A FORWARD -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j CNI-ISOLATION-STAGE-1',
    );
    expect(rules.filter((line) => line.startsWith("-A CNI-ISOLATION-STAGE-"))).toEqual([
      '-A CNI-ISOLATION-STAGE-1 -i fwbrb ! -o fwbrb -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-2',
      '-A CNI-ISOLATION-STAGE-1 -i fwbra ! -o fwbra -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)" -j CNI-ISOLATION-STAGE-2',
      '-A CNI-ISOLATION-STAGE-1 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j RETURN',
      '-A CNI-ISOLATION-STAGE-2 -o fwbrb -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j DROP',
      '-A CNI-ISOLATION-STAGE-2 -o fwbra -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j DROP',
      '-A CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j RETURN',
    ]);
    expect(pings(left, "10.76.0.2")).toBe(false);
    expect(pings(right, "10.75.0.2")).toBe(false);
    expect(pings(left, "192.168.251.2")).toBe(true);
    expect(pings(right, "192.168.251.2")).toBe(true);

    // DEL keeps the isolation rules (the bridge may be shared) and CHECK does not look at them
    const isolatedB = { ...confB, ingressPolicy: "same-bridge" };
    succeeded(runPlugin(FIREWALL, call(host, "CHECK", isolatedB, { containerId: "ctr-b", netns: right.path })));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", isolatedB, { containerId: "ctr-b", netns: right.path })));
    expect(iptablesS(host, 4).filter((line) => line.includes("fwbrb"))).toHaveLength(2);
    expect(iptablesS(host, 4).filter((line) => line.includes("10.76.0.2"))).toEqual([]);
  });

  it("isolated (HEAD): the bridge's own containers are cut off from each other too", () => {
    const host = dockerLikeHost("fw-isd-h");
    const conf = firewallConf("fwnet", syntheticPrev(["10.77.0.5/24"], "fwbri"), { backend: "iptables", ingressPolicy: "isolated" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    const stage1 = iptablesS(host, 4).filter((line) => line.startsWith("-A CNI-ISOLATION-STAGE-1"));
    expect(stage1).toEqual([
      '-A CNI-ISOLATION-STAGE-1 -i fwbri -o fwbri -m comment --comment "CNI firewall plugin rules (ingressPolicy: isolated)" -j DROP',
      '-A CNI-ISOLATION-STAGE-1 -i fwbri ! -o fwbri -m comment --comment "CNI firewall plugin rules (ingressPolicy: isolated)" -j CNI-ISOLATION-STAGE-2',
      '-A CNI-ISOLATION-STAGE-1 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j RETURN',
    ]);
  });

  it("nftables: same-bridge isolation drops in our table, whatever other tables accept", () => {
    const host = dockerLikeHost("fw-nis-h", "ACCEPT");
    const left = createNetns("fw-nis-a");
    const right = createNetns("fw-nis-b");
    const prevA = bridgeAdd(host, left, "neta", "fwbra", 78, "ctr-a");
    const prevB = bridgeAdd(host, right, "netb", "fwbrb", 79, "ctr-b");
    expect(pings(left, "10.79.0.2")).toBe(true);
    const isolated = { backend: "nftables", ingressPolicy: "same-bridge" };
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("netb", prevB, isolated), { containerId: "ctr-b", netns: right.path })));
    // one bridge isolated: traffic between the two still flows (as the reference: isolation is between isolated bridges)
    expect(pings(left, "10.79.0.2")).toBe(true);
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("neta", prevA, isolated), { containerId: "ctr-a", netns: left.path })));
    expect(nftTable(host)).toContain('iifname "fwbrb" oifname != "fwbrb" jump isolation_stage_2');
    expect(nftTable(host)).toContain('oifname "fwbra" drop');
    expect(pings(left, "10.79.0.2")).toBe(false);
    expect(pings(right, "10.78.0.2")).toBe(false);
  });
});

describe("nftables backend", () => {
  it("writes its own table with no process, and DEL finds the rules by container without prevResult", () => {
    const host = dockerLikeHost("fw-nft-h", "ACCEPT");
    const conf = firewallConf("fwnet", syntheticPrev(["10.80.0.5/24", "fd80::5/64"]), { backend: "nftables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    const table = nftTable(host);
    expect(table).toContain("type filter hook forward priority filter; policy accept;");
    expect(table).toMatch(/jump isolation_stage_1\s+jump admin\s+jump containers/);
    expect(table).toContain('ip daddr 10.80.0.5 ct state established,related accept comment "');
    expect(table).toContain("ip saddr 10.80.0.5 accept");
    expect(table).toContain("ip6 daddr fd80::5 ct state established,related accept");
    expect(table).toContain("ip6 saddr fd80::5 accept");
    expect(table).toContain("net: fwnet, if: eth0, id: ctr-1");
    // no iptables chain was made
    expect(iptablesS(host, 4).some((line) => line.includes("CNI-"))).toBe(false);
    succeeded(runPlugin(FIREWALL, call(host, "CHECK", conf)));
    // a repeated ADD changes nothing
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    expect(nftTable(host)).toBe(table);

    succeeded(runPlugin(FIREWALL, call(host, "DEL", firewallConf("fwnet", undefined, { backend: "nftables" }))));
    expect(nftTable(host)).not.toContain("10.80.0.5");
    expect(nftTable(host)).not.toContain("fd80::5");
    expect(failed(runPlugin(FIREWALL, call(host, "CHECK", conf))).msg).toContain("not found");
  });

  it("encodes its rules as nft does: the kernel holds the same expressions as nft -f of their listed text", () => {
    const ours = dockerLikeHost("fw-enc-o", "ACCEPT");
    const conf = firewallConf("fwnet", syntheticPrev(["10.93.0.3/24", "fd93::3/64"], "fwbre"), { backend: "nftables", ingressPolicy: "isolated" });
    succeeded(runPlugin(FIREWALL, call(ours, "ADD", conf)));
    const text = nftTable(ours);
    const byNft = createNetns("fw-enc-n");
    const load = spawnSync("ip", ["netns", "exec", byNft.name, "nft", "-f", "-"], { input: text, encoding: "utf8" });
    expect(load.stderr).toBe("");
    // `nft --debug=netlink list` prints each rule's expressions as the kernel returns them; handles differ
    const expressions = (ns: TestNetns): string =>
      inNetns(ns, "nft", ["--debug=netlink", "list", "table", "inet", NFT_TABLE]).replace(/^(inet \S+ \S+) [\d ]+$/gm, "$1");
    expect(expressions(ours)).toContain("cmp neq reg 1 0x");
    expect(expressions(ours)).toBe(expressions(byNft));
  });

  it("cannot override an iptables FORWARD DROP (documented): the container stays cut off", () => {
    const host = dockerLikeHost("fw-ndr-h");
    const container = createNetns("fw-ndr-c");
    const prev = bridgeAdd(host, container, "fwnet", "fwbr0", 81, "ctr-1");
    outsideOf(host, ["10.81.0.0/24"]);
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", prev, { backend: "nftables" }), { netns: container.path })));
    expect(pings(container, "192.168.251.2")).toBe(false);
  });

  it("GC removes the network's rules of attachments not in cni.dev/valid-attachments", () => {
    const host = dockerLikeHost("fw-gc-h", "ACCEPT");
    for (const [id, address] of [["ctr-1", "10.82.0.5/24"], ["ctr-2", "10.82.0.6/24"]] as const) {
      succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", syntheticPrev([address]), { backend: "nftables" }), { containerId: id })));
    }
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("other", syntheticPrev(["10.83.0.5/24"]), { backend: "nftables" }), { containerId: "ctr-9" })));
    const gc = { ...firewallConf("fwnet", undefined, { backend: "nftables" }, "1.1.0"), "cni.dev/valid-attachments": [{ containerID: "ctr-2", ifname: "eth0" }] };
    succeeded(runPlugin(FIREWALL, { command: "GC", path: BIN_DIR, stdin: gc, hostNetns: host }));
    const table = nftTable(host);
    expect(table).not.toContain("10.82.0.5");
    expect(table).toContain("10.82.0.6");
    expect(table).toContain("10.83.0.5"); // another network's
  });

  it("GC with the iptables backend collects nftables leftovers and leaves Go-style address rules (they name no attachment)", () => {
    const host = dockerLikeHost("fw-gci-h", "ACCEPT");
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", syntheticPrev(["10.95.0.5/24"]), { backend: "nftables" }), { containerId: "gone-1" })));
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", syntheticPrev(["10.95.0.6/24"]), { backend: "iptables" }), { containerId: "gone-2" })));
    const gc = { ...firewallConf("fwnet", undefined, { backend: "iptables" }, "1.1.0"), "cni.dev/valid-attachments": [] };
    succeeded(runPlugin(FIREWALL, { command: "GC", path: BIN_DIR, stdin: gc, hostNetns: host }));
    expect(nftTable(host)).not.toContain("10.95.0.5");
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(accepts("10.95.0.6/32")));
    succeeded(runPlugin(FIREWALL, { command: "STATUS", path: BIN_DIR, stdin: gc, hostNetns: host }));
    // without iptables no ADD could work: code 50
    const unavailable = failed(runPlugin(FIREWALL, { command: "STATUS", path: BIN_DIR, stdin: gc, hostNetns: host, env: { PATH: pathWith([]) } }));
    expect(unavailable).toMatchObject({ code: 50, msg: expect.stringContaining("iptables") });
    succeeded(runPlugin(FIREWALL, { command: "STATUS", path: BIN_DIR, stdin: { ...gc, backend: "nftables" }, hostNetns: host }));
  });

  it("backend unset on a host without iptables (no binary, no rules) is nftables", () => {
    const host = createHostNetns("fw-auto-h");
    const conf = firewallConf("fwnet", syntheticPrev(["10.84.0.5/24"]));
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf, { env: { PATH: pathWith([]) } })));
    expect(nftTable(host)).toContain("ip saddr 10.84.0.5 accept");
    // with the binary on PATH: iptables
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf, { containerId: "ctr-2" })));
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(accepts("10.84.0.5/32")));
  });
});

describe("in a chain run by a runtime (cnitool, on a throwaway machine with FORWARD DROP)", () => {
  it("bridge alone leaves the container cut off; bridge → firewall: it reaches out after add, check passes, del (prevResult from the cache) removes the rules", () => {
    const netd = join(work, "net.d");
    mkdirSync(netd);
    const bridge = { type: "bridge", bridge: "fwbrc", isDefaultGateway: true, ipam: { type: "host-local", subnet: "10.96.0.0/24" } };
    writeFileSync(join(netd, "10-fwbare.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "fwbare", plugins: [bridge] }));
    writeFileSync(join(netd, "20-fwchain.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "fwchain", plugins: [bridge, { type: "firewall" }] }));
    const run = runIsolated(`
      sysctl -qw net.ipv4.ip_forward=1; iptables -P FORWARD DROP
      ip link add fwout0 type veth peer name eth0 netns $(cnitool netns add outside >/dev/null; echo outside)
      ip addr add 192.168.251.1/24 dev fwout0; ip link set fwout0 up
      cnitool netns exec outside sh -c 'ip addr add 192.168.251.2/24 dev eth0; ip link set eth0 up; ip route add 10.96.0.0/24 via 192.168.251.1'
      cnitool netns add c1 >/dev/null
      cnitool add fwbare /var/run/netns/c1 >/dev/null
      cnitool netns exec c1 ping -c1 -W1 192.168.251.2 >/dev/null 2>&1 && echo "bridge alone: reached" || echo "bridge alone: cut off"
      cnitool del fwbare /var/run/netns/c1
      cnitool add fwchain /var/run/netns/c1 >/dev/null; echo "add=$?"
      cnitool netns exec c1 ping -c1 -W1 192.168.251.2 >/dev/null 2>&1 && echo "after add: reached" || echo "after add: cut off"
      cnitool check fwchain /var/run/netns/c1; echo "check=$?"
      cnitool del fwchain /var/run/netns/c1; echo "del=$?"
      echo "rules left: $(iptables -S | grep -c 10.96.0)"`, ["/var/lib/cni", "/var/run/netns"], { PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NETCONFPATH: netd, CNI_PATH: BIN_DIR });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toEqual(["bridge alone: cut off", "add=0", "after add: reached", "check=0", "del=0", "rules left: 0"]);
  });
});

describe("a prevResult without addresses", () => {
  it("ADD prints it and writes nothing, on either backend and with an ingress policy", () => {
    const host = dockerLikeHost("fw-noip-h", "ACCEPT");
    const prev = syntheticPrev([]);
    for (const backend of ["iptables", "nftables"]) {
      const result = succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", prev, { backend, ingressPolicy: "same-bridge" }))));
      expect(result).toEqual({ cniVersion: "1.0.0", interfaces: prev.interfaces });
    }
    expect(iptablesS(host, 4).some((line) => line.includes("CNI-"))).toBe(false);
    expect(nftTable(host)).toBe("");
  });
});

describe("concurrency and the other backend's rules", () => {
  it("12 concurrent ADDs per backend: every address accepted, one FORWARD jump, one forward chain", async () => {
    const host = dockerLikeHost("fw-par-h", "ACCEPT");
    const ids = Array.from({ length: 12 }, (_, i) => i + 10);
    const outputs = await Promise.all(
      ids.flatMap((i) => [
        runPluginAsync(FIREWALL, call(host, "ADD", firewallConf("fwnet", syntheticPrev([`10.89.0.${i}/24`]), { backend: "iptables" }), { containerId: `ipt-${i}` })),
        runPluginAsync(FIREWALL, call(host, "ADD", firewallConf("fwnet", syntheticPrev([`10.90.0.${i}/24`]), { backend: "nftables" }), { containerId: `nft-${i}` })),
      ]),
    );
    for (const output of outputs) succeeded(output);
    const rules = iptablesS(host, 4);
    expect(rules.filter((line) => line === FORWARD_JUMP)).toHaveLength(1);
    expect(rules.filter((line) => line === ADMIN_JUMP)).toHaveLength(1);
    for (const i of ids) expect(rules).toEqual(expect.arrayContaining(accepts(`10.89.0.${i}/32`)));
    const table = nftTable(host);
    expect(table.match(/chain forward \{/g)).toHaveLength(1);
    expect(table.match(/jump containers/g)).toHaveLength(1);
    for (const i of ids) expect(table).toContain(`ip saddr 10.90.0.${i} accept`);
  });

  it("each backend's DEL removes the other's rules of the attachment", () => {
    const host = dockerLikeHost("fw-oth-h", "ACCEPT");
    const prev = syntheticPrev(["10.91.0.2/24"]);
    succeeded(runPlugin(FIREWALL, call(host, "ADD", firewallConf("fwnet", prev, { backend: "nftables" }))));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", firewallConf("fwnet", undefined, { backend: "iptables" }))));
    expect(nftTable(host)).not.toContain("10.91.0.2");

    succeeded(runPlugin(GO_FIREWALL, call(host, "ADD", firewallConf("fwnet", prev, { backend: "iptables" }))));
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(accepts("10.91.0.2/32")));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", firewallConf("fwnet", prev, { backend: "nftables" }))));
    expect(iptablesS(host, 4).filter((line) => line.includes("10.91.0.2"))).toEqual([]);
  });

  it("CHECK names a missing FORWARD jump as Go does", () => {
    const host = dockerLikeHost("fw-chk-h", "ACCEPT");
    const conf = firewallConf("fwnet", syntheticPrev(["10.92.0.2/24"]), { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", conf)));
    inNetns(host, "iptables", ["-D", "FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules", "-j", "CNI-FORWARD"]);
    const ours = failed(runPlugin(FIREWALL, call(host, "CHECK", conf)));
    const go = runPlugin(GO_FIREWALL, call(host, "CHECK", conf)).json as { msg: string };
    expect(ours.msg).toBe("expected FORWARD rule [-m comment --comment CNI firewall plugin rules -j CNI-FORWARD] not found");
    expect(ours.msg).toBe(go.msg);
  });
});

describe("side by side with Go's firewall (1.1.1, backend iptables)", () => {
  const CASES: [string, string, Record<string, unknown>, string[]][] = [
    ["dual stack", "1.0.0", {}, ["10.85.0.2/24", "fd85::2/64"]],
    ["IPv4, 0.4.0", "0.4.0", {}, ["10.85.0.3/24"]],
    ["admin chain", "1.0.0", { iptablesAdminChainName: "SITE-ADMIN" }, ["10.85.0.4/24"]],
  ];
  for (const [label, version, extra, addresses] of CASES) {
    it(`${label}: the same rules listed, the same result`, () => {
      const ours = dockerLikeHost("fw-sbs-o");
      const go = dockerLikeHost("fw-sbs-g");
      const conf = firewallConf("fwnet", syntheticPrev(addresses, "fwbr0", version), { backend: "iptables", ...extra }, version);
      const ourResult = succeeded<Record<string, unknown>>(runPlugin(FIREWALL, call(ours, "ADD", conf)));
      const goResult = succeeded<Record<string, unknown>>(runPlugin(GO_FIREWALL, call(go, "ADD", conf)));
      // Go prints an empty "dns" object for 1.0.0; ours leaves it out (the same result)
      expect(goResult.dns).toEqual({});
      expect({ dns: {}, ...ourResult }).toEqual(goResult);
      expect(iptablesS(ours, 4)).toEqual(iptablesS(go, 4));
      expect(iptablesS(ours, 6)).toEqual(iptablesS(go, 6));
      // each CHECKs the other's rules
      succeeded(runPlugin(GO_FIREWALL, call(ours, "CHECK", conf)));
      succeeded(runPlugin(FIREWALL, call(go, "CHECK", conf)));
    });
  }

  it("dual stack: the kernel holds the same expressions for ours (netlink) as for Go's (iptables-nft), chain by chain", () => {
    const ours = dockerLikeHost("fw-sbk-o");
    const go = dockerLikeHost("fw-sbk-g");
    const conf = firewallConf("fwnet", syntheticPrev(["10.85.0.2/24", "fd85::2/64"]), { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(ours, "ADD", conf)));
    succeeded(runPlugin(GO_FIREWALL, call(go, "ADD", conf)));
    for (const family of ["ip", "ip6"] as const) {
      const rules = kernelRules(ours, family);
      expect(JSON.stringify(rules)).toContain('"xt":{"type":"match","name":"conntrack"}');
      expect(rules).toEqual(kernelRules(go, family));
    }
  });

  it("same-bridge: the same rules but for HEAD's comment on the shared isolation rules", () => {
    const ours = dockerLikeHost("fw-sbb-o");
    const go = dockerLikeHost("fw-sbb-g");
    const conf = firewallConf("fwnet", syntheticPrev(["10.86.0.2/24"], "fwbrs"), { backend: "iptables", ingressPolicy: "same-bridge" });
    succeeded(runPlugin(FIREWALL, call(ours, "ADD", conf)));
    succeeded(runPlugin(GO_FIREWALL, call(go, "ADD", conf)));
    const as111 = (lines: string[]): string[] => lines.map((line) => line.replace("(ingressPolicy: same-bridge|isolated)", "(ingressPolicy: same-bridge)"));
    expect(as111(iptablesS(ours, 4))).toEqual(iptablesS(go, 4));
  });

  it("Go's DEL removes our rules, and ours removes Go's", () => {
    const host = dockerLikeHost("fw-x-h");
    const dual = firewallConf("fwnet", syntheticPrev(["10.87.0.2/24", "fd87::2/64"]), { backend: "iptables" });
    succeeded(runPlugin(FIREWALL, call(host, "ADD", dual)));
    succeeded(runPlugin(GO_FIREWALL, call(host, "DEL", dual)));
    expect([...iptablesS(host, 4), ...iptablesS(host, 6)].filter((line) => line.includes("87"))).toEqual([]);

    succeeded(runPlugin(GO_FIREWALL, call(host, "ADD", dual)));
    expect(iptablesS(host, 4)).toEqual(expect.arrayContaining(accepts("10.87.0.2/32")));
    succeeded(runPlugin(FIREWALL, call(host, "DEL", dual)));
    expect([...iptablesS(host, 4), ...iptablesS(host, 6)].filter((line) => line.includes("87"))).toEqual([]);
  });
});

describe("bad inputs: a code-7 error naming the problem, nothing changed", () => {
  const prev = syntheticPrev(["10.88.0.2/24"]);
  const BAD: [string, string, Record<string, unknown>, number, string][] = [
    ["ADD without prevResult", "ADD", firewallConf("fwnet", undefined), 7, "missing prevResult from earlier plugin"],
    ["CHECK without prevResult", "CHECK", firewallConf("fwnet", undefined), 7, "missing prevResult from earlier plugin"],
    ["an unknown backend", "ADD", firewallConf("fwnet", prev, { backend: "bogus" }), 7, '"backend"'],
    ["a backend that is not a string", "ADD", firewallConf("fwnet", prev, { backend: 1 }), 7, "backend"],
    ["an unknown ingressPolicy", "ADD", firewallConf("fwnet", prev, { ingressPolicy: "closed" }), 7, '"ingressPolicy"'],
    ["an unknown ingressPolicy on DEL", "DEL", firewallConf("fwnet", prev, { ingressPolicy: "closed" }), 7, '"ingressPolicy"'],
    ["an admin chain with a space", "ADD", firewallConf("fwnet", prev, { iptablesAdminChainName: "A B" }), 7, '"iptablesAdminChainName"'],
    ["an admin chain too long", "ADD", firewallConf("fwnet", prev, { iptablesAdminChainName: "A".repeat(29) }), 7, '"iptablesAdminChainName"'],
    ["the FORWARD chain as admin chain", "ADD", firewallConf("fwnet", prev, { iptablesAdminChainName: "FORWARD" }), 7, '"iptablesAdminChainName"'],
    ["firewalld without a system bus", "ADD", firewallConf("fwnet", prev, { backend: "firewalld" }), 7, "D-Bus"],
    [
      "same-bridge without interfaces",
      "ADD",
      firewallConf("fwnet", { cniVersion: "1.0.0", ips: [{ address: "10.88.0.2/24" }] }, { ingressPolicy: "same-bridge", backend: "iptables" }),
      7,
      'interface needs to be set for ingress policy "same-bridge"',
    ],
    ["same-bridge with an empty bridge name", "ADD", firewallConf("fwnet", syntheticPrev(["10.88.0.2/24"], ""), { ingressPolicy: "same-bridge", backend: "iptables" }), 7, "got empty bridge name"],
    ["same-bridge with a wildcard bridge name", "ADD", firewallConf("fwnet", syntheticPrev(["10.88.0.2/24"], "br+"), { ingressPolicy: "same-bridge", backend: "iptables" }), 7, "prevResult.interfaces[0].name"],
    ["cniVersion 0.3.1", "ADD", firewallConf("fwnet", prev, {}, "0.3.1"), 1, "incompatible CNI versions"],
  ];
  for (const [label, command, conf, code, words] of BAD) {
    it(label, () => {
      const host = dockerLikeHost("fw-bad-h", "ACCEPT");
      const before = [iptablesS(host, 4), iptablesS(host, 6), nftTable(host)];
      const error = failed(runPlugin(FIREWALL, call(host, command, conf)));
      expect(error.code).toBe(code);
      expect(error.msg + (error.details ?? "")).toContain(words);
      expect([iptablesS(host, 4), iptablesS(host, 6), nftTable(host)]).toEqual(before);
    });
  }

  it("firewalld running (system bus socket and /run/firewalld, on a throwaway machine): unset and firewalld backends fail with code 7", () => {
    const conf = (backend: string | undefined): string => JSON.stringify(firewallConf("fwnet", syntheticPrev(["10.94.0.2/24"]), backend === undefined ? {} : { backend }));
    const script = [
      "mkdir -p /run/dbus /run/firewalld && touch /run/dbus/system_bus_socket",
      // each answer on one line
      `echo '${conf(undefined)}' | CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=${BIN_DIR} ${FIREWALL} | tr -d '\\n'; echo`,
      `echo '${conf("firewalld")}' | CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=${BIN_DIR} ${FIREWALL} | tr -d '\\n'; echo`,
      "iptables -S | grep -c CNI- || true",
    ].join("\n");
    const run = runIsolated(script, ["/run"], { PATH: process.env.PATH });
    expect(run.stderr).toBe("");
    const [unset, firewalld, chains] = run.stdout.trim().split("\n");
    expect(JSON.parse(unset ?? "")).toMatchObject({ code: 7, msg: expect.stringContaining('"backend" is unset and firewalld is running') });
    expect(JSON.parse(firewalld ?? "")).toMatchObject({ code: 7, msg: expect.stringContaining("no firewalld (D-Bus) client") });
    expect(chains).toBe("0");
  });

  it("STATUS and DEL with backend firewalld: STATUS fails naming D-Bus, DEL has nothing to undo", () => {
    const host = dockerLikeHost("fw-fwd-h", "ACCEPT");
    const conf = firewallConf("fwnet", undefined, { backend: "firewalld" }, "1.1.0");
    expect(failed(runPlugin(FIREWALL, { command: "STATUS", path: BIN_DIR, stdin: conf, hostNetns: host })).code).toBe(7);
    succeeded(runPlugin(FIREWALL, call(host, "DEL", conf)));
  });
});
