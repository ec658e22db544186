// Black-box tests of bin/bridge (IPAM: bin/host-local, in-process), run as a runtime runs it, with its
// "host" side inside a throwaway namespace. Side-by-side and concurrency tests: bridge-interop.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { leaseNames } from "./host-local-helpers";
import { addrs, cleanupAll, createHostNetns, createNetns, deleteNetns, inNetns, ipJson, linkNamesButLo, sysctl, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { BIN_DIR, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const BRIDGE = ourPlugin("bridge");
const NETWORK = "brnet";
const BR = "kbr0";
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

type Stack = "v4" | "v6" | "dual";
const SUBNETS: Record<Stack, { subnet: string }[][]> = {
  v4: [[{ subnet: "10.97.0.0/24" }]],
  v6: [[{ subnet: "fd97::/64" }]],
  dual: [[{ subnet: "10.97.0.0/24" }], [{ subnet: "fd97::/64" }]],
};

interface ResultInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}
interface AddResult {
  cniVersion: string;
  interfaces: ResultInterface[];
  ips?: { version?: string; interface?: number; address: string; gateway?: string }[];
  routes?: { dst: string; gw?: string }[];
  dns?: unknown;
}
interface IpLinkDetail {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  promiscuity: number;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean; isolated?: boolean } };
}

let work: string;
let host: TestNetns;
let container: TestNetns;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-bridge-"));
  host = createHostNetns("br-host");
  container = createNetns("br-ctr");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

function config(cniVersion: string, stack: Stack | "l2", extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ipam = stack === "l2" ? {} : { type: "host-local", dataDir: join(work, "ipam"), ranges: SUBNETS[stack] };
  return { cniVersion, name: NETWORK, type: "bridge", bridge: BR, ipam, ...extra };
}

function call(command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: "ctr-1", netns: container.path, ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host, ...extra };
}

const added: (r: PluginOutput) => AddResult = succeeded;

/** host-local's leases of the network (files named by address). */
function leases(): string[] {
  return leaseNames(join(work, "ipam"), NETWORK);
}

function detail(ns: TestNetns, dev: string): IpLinkDetail {
  const [link] = ipJson<IpLinkDetail[]>(ns, ["-d", "link", "show", "dev", dev]);
  if (link === undefined) throw new Error(`${dev} missing`);
  return link;
}

function globalAddresses(ns: TestNetns, dev: string): string[] {
  const out: string[] = [];
  for (const link of addrs(ns, dev)) for (const a of link.addr_info) if (a.scope === "global") out.push(`${a.local}/${a.prefixlen}`);
  return out.sort();
}

function ping(from: TestNetns, to: string): boolean {
  try {
    inNetns(from, "ping", ["-c", "1", "-W", "2", to]);
    return true;
  } catch {
    return false;
  }
}

function nftRuleset(ns: TestNetns): string {
  return inNetns(ns, "nft", ["list", "ruleset"]);
}

function iptablesNat(ns: TestNetns, binary = "iptables"): string {
  return inNetns(ns, binary, ["-t", "nat", "-S"]);
}

/** Nothing of an attachment left: no links besides those given, no lease. */
function expectNothingLeft(hostLinks: string[] = []): void {
  expect(linkNamesButLo(container)).toEqual([]);
  expect(linkNamesButLo(host)).toEqual(hostLinks);
  expect(leases()).toEqual([]);
}

const VERSIONS: [string, Stack][] = [
  ["0.3.1", "v4"],
  ["0.4.0", "dual"],
  ["1.0.0", "v6"],
  ["1.1.0", "dual"],
];

describe.each(VERSIONS)("bridge at cniVersion %s, %s", (version, stack) => {
  it("ADD attaches the container to a new bridge with the gateway on it; CHECK passes; DEL removes the attachment, twice", () => {
    const conf = config(version, stack, { isDefaultGateway: true });
    const result = added(runPlugin(BRIDGE, call("ADD", conf)));
    const v4 = stack !== "v6";
    const v6 = stack !== "v4";
    const legacy = version.startsWith("0.");
    const [bridge, hostVeth, eth0] = result.interfaces;
    expect(result.interfaces).toHaveLength(3);
    expect(bridge).toEqual({ name: BR, mac: expect.stringMatching(MAC) });
    expect(hostVeth).toEqual({ name: expect.stringMatching(/^veth[0-9a-f]{8}$/), mac: expect.stringMatching(MAC) });
    expect(eth0).toEqual({ name: "eth0", mac: expect.stringMatching(MAC), sandbox: container.path });
    expect(hostVeth?.mac).not.toBe(bridge?.mac);
    const ips = [];
    const routes = [];
    if (v4) ips.push({ ...(legacy ? { version: "4" } : {}), interface: 2, address: "10.97.0.2/24", gateway: "10.97.0.1" });
    if (v6) ips.push({ ...(legacy ? { version: "6" } : {}), interface: 2, address: "fd97::2/64", gateway: "fd97::1" });
    if (v4) routes.push({ dst: "0.0.0.0/0", gw: "10.97.0.1" });
    if (v6) routes.push({ dst: "::/0", gw: "fd97::1" });
    expect(result.ips).toEqual(ips);
    expect(result.routes).toEqual(routes);

    // host: the bridge holds the gateways, pinned MAC as reported, forwarding on, the veth is its port
    expect(linkNamesButLo(host)).toEqual([BR, hostVeth?.name].sort());
    expect(globalAddresses(host, BR)).toEqual([...(v4 ? ["10.97.0.1/24"] : []), ...(v6 ? ["fd97::1/64"] : [])]);
    expect(detail(host, BR).address).toBe(bridge?.mac);
    expect(detail(host, hostVeth?.name ?? "")).toMatchObject({ master: BR, linkinfo: { info_slave_data: { hairpin: false, isolated: false } } });
    expect(sysctl(host, `net/ipv6/conf/${BR}/accept_ra`)).toBe("0");
    if (v4) expect(sysctl(host, "net/ipv4/ip_forward")).toBe("1");
    if (v6) expect(sysctl(host, "net/ipv6/conf/all/forwarding")).toBe("1");
    // container: addresses, default routes, accept_dad=0, arp_notify=1
    expect(globalAddresses(container, "eth0")).toEqual([...(v4 ? ["10.97.0.2/24"] : []), ...(v6 ? ["fd97::2/64"] : [])]);
    if (v4) expect(inNetns(container, "ip", ["-4", "route"])).toContain("default via 10.97.0.1 dev eth0");
    if (v6) expect(inNetns(container, "ip", ["-6", "route"])).toContain("default via fd97::1 dev eth0");
    if (v6) expect(sysctl(container, "net/ipv6/conf/eth0/accept_dad")).toBe("0");
    expect(sysctl(container, "net/ipv4/conf/eth0/arp_notify")).toBe("1");
    if (v4) expect(ping(container, "10.97.0.1")).toBe(true);
    if (v6) expect(ping(container, "fd97::1")).toBe(true);

    if (version !== "0.3.1") expect(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result }))).toMatchObject({ code: 0, stdout: "" });

    expect(runPlugin(BRIDGE, call("DEL", conf))).toMatchObject({ code: 0, stdout: "" });
    expectNothingLeft([BR]);
    expect(globalAddresses(host, BR)).toHaveLength(v4 && v6 ? 2 : 1); // the bridge stays, as the reference's
    expect(detail(host, BR).address).toBe(bridge?.mac); // and keeps its MAC
    expect(runPlugin(BRIDGE, call("DEL", conf))).toMatchObject({ code: 0, stdout: "" });
  });
});

describe("bridge", () => {
  it("two containers on one bridge reach each other and the gateway; mtu, hairpin, port isolation and MAC on the port", () => {
    const second = createNetns("br-ctr2");
    const conf = config("1.0.0", "v4", { isGateway: true, mtu: 1400, hairpinMode: true, runtimeConfig: { mac: "0a:58:0a:61:00:aa" } });
    const first = added(runPlugin(BRIDGE, call("ADD", conf)));
    const other = added(runPlugin(BRIDGE, call("ADD", { ...conf, runtimeConfig: {} }, { containerId: "ctr-2", netns: second.path })));
    expect(first.interfaces[2]?.mac).toBe("0a:58:0a:61:00:aa");
    expect(detail(container, "eth0")).toMatchObject({ mtu: 1400, address: "0a:58:0a:61:00:aa" });
    expect(detail(host, BR).mtu).toBe(1400);
    expect(detail(host, first.interfaces[1]?.name ?? "")).toMatchObject({ mtu: 1400, linkinfo: { info_slave_data: { hairpin: true } } });
    expect(first.interfaces[0]?.mac).toBe(other.interfaces[0]?.mac);
    expect(ping(container, "10.97.0.3")).toBe(true);
    expect(ping(second, "10.97.0.2")).toBe(true);
    expect(ping(second, "10.97.0.1")).toBe(true);
    expect(runPlugin(BRIDGE, call("DEL", conf, { containerId: "ctr-2", netns: second.path })).code).toBe(0);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    deleteNetns(second);
    expectNothingLeft([BR]);
  });

  it("promiscMode, portIsolation, enabledad, dns override; MAC from CNI_ARGS < args.cni.mac", () => {
    const dns = { nameservers: ["10.1.1.1"], search: ["example.test"] };
    const conf = config("1.1.0", "dual", { promiscMode: true, portIsolation: true, enabledad: true, dns, args: { cni: { mac: "0a:58:00:00:00:02" } } });
    const result = added(runPlugin(BRIDGE, call("ADD", conf, { args: "IgnoreUnknown=1;MAC=0a:58:00:00:00:01" })));
    expect(result.dns).toEqual(dns);
    expect(result.interfaces[2]?.mac).toBe("0a:58:00:00:00:02");
    expect(detail(host, BR).promiscuity).toBeGreaterThan(0);
    expect(detail(host, result.interfaces[1]?.name ?? "").linkinfo?.info_slave_data?.isolated).toBe(true);
    expect(sysctl(container, "net/ipv6/conf/eth0/accept_dad")).toBe("1");
    expect(sysctl(container, "net/ipv6/conf/eth0/enhanced_dad")).toBe("1");
    expect(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result })).code).toBe(0);
    // CHECK compares the bridge's promisc state with the config
    const drift = failed(runPlugin(BRIDGE, call("CHECK", { ...conf, promiscMode: false, prevResult: result })));
    expect(drift.msg).toContain(`Bridge interface ${BR} configured Promisc Mode false doesn't match current state: true`);
    // and that the host veth is still the bridge's port
    inNetns(host, "ip", ["link", "set", result.interfaces[1]?.name ?? "", "nomaster"]);
    expect(failed(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result }))).msg).toBe(`CNI veth created for bridge ${BR} was not found`);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    expectNothingLeft([BR]);
  });

  it("CHECK fails when the container's veth is gone, naming it", () => {
    const conf = config("1.0.0", "v4", { isGateway: true });
    const result = added(runPlugin(BRIDGE, call("ADD", conf)));
    inNetns(container, "ip", ["link", "del", "eth0"]);
    expect(failed(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result }))).msg).toBe("Container interface name in prevResult: eth0 not found");
    expect(failed(runPlugin(BRIDGE, call("CHECK", conf))).msg).toBe("Required prevResult missing");
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    expectNothingLeft([BR]);
  });

  it("CHECK refuses a prevResult whose ips[].interface is out of range or negative, code 7 naming it", () => {
    const conf = config("1.0.0", "v4", { isGateway: true });
    const result = added(runPlugin(BRIDGE, call("ADD", conf)));
    expect(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result })).code).toBe(0);
    for (const index of [7, -1]) {
      const prevResult = structuredClone(result);
      prevResult.ips![0]!.interface = index;
      expect(failed(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult })))).toMatchObject({
        code: 7,
        msg: `prevResult.ips[0].interface ${index} is out of range (3 interfaces)`,
      });
    }
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    expectNothingLeft([BR]);
  });

  it("L2 (ipam {}): no addresses, eth0 up, CHECK works; disableContainerInterface leaves it down; L2 at 0.2.0 fails before creating anything", () => {
    const conf = config("1.0.0", "l2");
    const result = added(runPlugin(BRIDGE, call("ADD", conf)));
    expect(result.interfaces).toHaveLength(3);
    expect(result.ips).toBeUndefined();
    expect(detail(container, "eth0").flags).toContain("UP");
    expect(runPlugin(BRIDGE, call("CHECK", { ...conf, prevResult: result })).code).toBe(0);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);

    const down = config("1.0.0", "l2", { disableContainerInterface: true });
    added(runPlugin(BRIDGE, call("ADD", down)));
    expect(detail(container, "eth0").flags).not.toContain("UP");
    expect(runPlugin(BRIDGE, call("DEL", down)).code).toBe(0);
    expectNothingLeft([BR]);

    inNetns(host, "ip", ["link", "del", BR]);
    const old = failed(runPlugin(BRIDGE, call("ADD", config("0.2.0", "l2"))));
    expect(old).toMatchObject({ code: 1, msg: "cannot convert: no valid IP addresses" });
    expectNothingLeft();
  });

  it("forceAddress replaces a different IPv4 gateway; without it the ADD fails after IPAM and leaves nothing", () => {
    inNetns(host, "ip", ["link", "add", BR, "type", "bridge"]);
    inNetns(host, "ip", ["addr", "add", "10.1.2.1/16", "dev", BR]);
    const conf = config("1.0.0", "v4", { isGateway: true });
    const refused = failed(runPlugin(BRIDGE, call("ADD", conf)));
    expect(refused).toMatchObject({ code: 999, msg: `failed to set bridge addr: "${BR}" already has an IP address different from 10.97.0.1/24` });
    expectNothingLeft([BR]);
    expect(globalAddresses(host, BR)).toEqual(["10.1.2.1/16"]); // a bridge we did not make stays as it was

    added(runPlugin(BRIDGE, call("ADD", { ...conf, forceAddress: true })));
    expect(globalAddresses(host, BR)).toEqual(["10.97.0.1/24"]);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
  });

  it("non-overlapping IPv6 gateways accumulate on the bridge; an overlapping one is refused", () => {
    inNetns(host, "ip", ["link", "add", BR, "type", "bridge"]);
    inNetns(host, "ip", ["addr", "add", "fd98::1/64", "dev", BR, "nodad"]);
    const conf = config("1.0.0", "v6", { isGateway: true });
    added(runPlugin(BRIDGE, call("ADD", conf)));
    expect(globalAddresses(host, BR)).toEqual(["fd97::1/64", "fd98::1/64"]);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    inNetns(host, "ip", ["addr", "add", "fd97::1:1/112", "dev", BR, "nodad"]);
    inNetns(host, "ip", ["addr", "del", "fd97::1/64", "dev", BR]);
    expect(failed(runPlugin(BRIDGE, call("ADD", conf))).msg).toContain("already has an IP address different from fd97::1/64");
    expectNothingLeft([BR]);
  });

  describe("a failed ADD leaves nothing behind", () => {
    it("a missing netns: code 4, before the bridge is made", () => {
      const r = failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4"), { netns: "/var/run/netns/no-such-ns" })));
      expect(r.code).toBe(4);
      expect(r.msg).toContain('failed to open netns "/var/run/netns/no-such-ns"');
      expectNothingLeft();
    });

    it("a bridge name taken by another kind of link", () => {
      inNetns(host, "ip", ["link", "add", BR, "type", "veth", "peer", "name", "kpeer0"]);
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4")))).msg).toBe(`"${BR}" already exists but is not a bridge`);
      expectNothingLeft([BR, "kpeer0"]);
    });

    it("the container interface name already taken: the bridge made for it goes again", () => {
      inNetns(container, "ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"]);
      const r = failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4"))));
      expect(r.msg).toMatch(/^container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
      inNetns(container, "ip", ["link", "del", "eth0"]);
      expectNothingLeft();
    });

    it("an IPAM failure: the veth and the new bridge go", () => {
      const r = failed(runPlugin(BRIDGE, call("ADD", { ...config("1.0.0", "v4"), ipam: { type: "no-such-ipam" } })));
      expect(r.msg).toContain("no-such-ipam");
      expectNothingLeft();
    });

    it("IPAM refusing after the spoof check is set up (two IPv4 at 0.2.0): spoof check, veth and bridge go", () => {
      const conf = {
        ...config("0.2.0", "v4", { isGateway: true, ipMasq: true, macspoofchk: true }),
        ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: [[{ subnet: "10.97.0.0/24" }], [{ subnet: "10.98.0.0/24" }]] },
      };
      expect(failed(runPlugin(BRIDGE, call("ADD", conf)))).toMatchObject({ code: 7, msg: `IPAM plugin "host-local": CNI version 0.2.0 does not support more than 1 address per family` });
      expectNothingLeft();
      expect(nftRuleset(host)).not.toContain("masquerade comment");
      expect(nftRuleset(host)).not.toContain("macspoofchk");
    });

    it.each([
      ["macspoofchk", "bridge nat", "PREROUTING", "failed to setup spoof-check"],
      ["ipMasq", "inet cni_plugins_masquerade", "postrouting", "failed to set up IP masquerade"],
    ])("%s refused by the kernel (a same-named chain of another hook): veth, lease and bridge go", (key, table, chain, message) => {
      inNetns(host, "nft", ["add", "table", ...table.split(" ")]);
      inNetns(host, "nft", ["add", "chain", ...table.split(" "), chain, "{ type filter hook input priority 0; }"]);
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { isGateway: true, [key]: true })))).msg).toContain(message);
      expectNothingLeft();
    });

    it("vlan on this kernel (no VLAN filtering): a clear error, nothing made", () => {
      const r = failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { vlan: 100 }))));
      expect(r.msg).toContain(`could not add "${BR}"`);
      expect(r.details).toContain("VLAN filtering");
      const trunk = failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "l2", { vlanTrunk: [{ minID: 101, maxID: 105 }] }))));
      expect(trunk.details).toContain("VLAN filtering");
      expectNothingLeft();
    });

    it("bad config values: code 7 naming the field, nothing made", () => {
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { vlan: 5000 }))))).toMatchObject({ code: 7, msg: expect.stringContaining('"vlan"') });
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { hairpinMode: true, promiscMode: true })))).code).toBe(7);
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { disableContainerInterface: true })))).code).toBe(7);
      expect(failed(runPlugin(BRIDGE, call("ADD", config("1.0.0", "v4", { ipMasqBackend: "pf" })))).code).toBe(7);
      expectNothingLeft();
    });
  });

  describe.each(["nftables", "iptables"])("ipMasq with the %s backend", (backend) => {
    it("a packet from the container reaches a third namespace from the host's address; DEL removes the rules", () => {
      // "the internet": a namespace wired to the host, with no route back to the container subnet
      const internet = createNetns("br-inet");
      inNetns(host, "ip", ["link", "add", "up0", "type", "veth", "peer", "name", "down0", "netns", internet.name]);
      inNetns(host, "ip", ["addr", "add", "10.200.0.1/24", "dev", "up0"]);
      inNetns(host, "ip", ["link", "set", "up0", "up"]);
      inNetns(internet, "ip", ["addr", "add", "10.200.0.2/24", "dev", "down0"]);
      inNetns(internet, "ip", ["link", "set", "down0", "up"]);
      const conf = config("1.0.0", "v4", { isDefaultGateway: true, ipMasq: true, ipMasqBackend: backend });
      added(runPlugin(BRIDGE, call("ADD", conf)));
      if (backend === "nftables") {
        expect(nftRuleset(host)).toContain(`ip saddr 10.97.0.2 ip daddr != 10.97.0.0/24 masquerade comment`);
        expect(nftRuleset(host)).toContain(`net: ${NETWORK}, if: eth0, id: ctr-1`);
      } else {
        expect(iptablesNat(host)).toMatch(/-A POSTROUTING -s 10\.97\.0\.2\/32 .*-j CNI-[0-9a-f]{24}/);
      }
      expect(ping(container, "10.200.0.2")).toBe(true);
      expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
      expect(nftRuleset(host)).not.toContain("10.97.0.2");
      if (backend === "iptables") expect(iptablesNat(host)).not.toContain("CNI-");
      deleteNetns(internet);
    });
  });

  it("DEL with no CNI_NETNS, or with the netns gone, releases the lease and removes masquerade and spoof-check rules", () => {
    const conf = config("1.1.0", "v4", { isGateway: true, ipMasq: true, macspoofchk: true });
    added(runPlugin(BRIDGE, call("ADD", conf)));
    expect(nftRuleset(host)).toContain("macspoofchk-ctr-1-eth0");
    expect(runPlugin(BRIDGE, call("DEL", conf, { netns: "" })).code).toBe(0);
    expect(leases()).toEqual([]);
    expect(nftRuleset(host)).not.toContain("masquerade comment");
    expect(nftRuleset(host)).not.toContain("macspoofchk");

    const second = createNetns("br-ctr2");
    const secondHostVeth = added(runPlugin(BRIDGE, call("ADD", conf, { containerId: "ctr-2", netns: second.path }))).interfaces[1]?.name;
    expect(linkNamesButLo(host)).toContain(secondHostVeth);
    const teardown = deleteNetns(second);
    expect(runPlugin(BRIDGE, call("DEL", conf, { containerId: "ctr-2", netns: second.path })).code).toBe(0);
    teardown.waitForPeers();
    expect(linkNamesButLo(host)).not.toContain(secondHostVeth); // the host end went with the namespace
    expect(leases()).toEqual([]);
    expect(nftRuleset(host)).not.toContain("masquerade comment");
    expect(nftRuleset(host)).not.toContain("macspoofchk");
  });

  it("macspoofchk: the reference's bridge-family rules after ADD; frames with another source MAC are dropped; gone after DEL", () => {
    const second = createNetns("br-ctr2");
    const conf = config("1.0.0", "v4", { isGateway: true, macspoofchk: true });
    const result = added(runPlugin(BRIDGE, call("ADD", conf)));
    added(runPlugin(BRIDGE, call("ADD", conf, { containerId: "ctr-2", netns: second.path })));
    const hostVeth = result.interfaces[1]?.name ?? "";
    const rules = inNetns(host, "nft", ["list", "table", "bridge", "nat"]);
    expect(rules).toContain("type filter hook prerouting priority dstnat; policy accept;");
    expect(rules).toContain(`iifname "${hostVeth}" jump cni-br-iface-ctr-1-eth0 comment "macspoofchk-ctr-1-eth0"`);
    expect(rules).toContain(`jump cni-br-iface-ctr-1-eth0-mac comment "macspoofchk-ctr-1-eth0"`);
    expect(rules).toContain(`ether saddr ${result.interfaces[2]?.mac} return comment "macspoofchk-ctr-1-eth0"`);
    expect(rules).toContain(`drop comment "macspoofchk-ctr-1-eth0"`);
    expect(ping(container, "10.97.0.3")).toBe(true);
    // a spoofed source MAC cannot leave the container any more
    inNetns(container, "ip", ["link", "set", "eth0", "address", "0a:58:00:00:00:99"]);
    inNetns(container, "ip", ["neigh", "flush", "all"]);
    expect(ping(container, "10.97.0.3")).toBe(false);
    expect(runPlugin(BRIDGE, call("DEL", conf)).code).toBe(0);
    const after = inNetns(host, "nft", ["list", "table", "bridge", "nat"]);
    expect(after).not.toContain("ctr-1");
    expect(after).toContain("macspoofchk-ctr-2-eth0");
    expect(runPlugin(BRIDGE, call("DEL", conf, { containerId: "ctr-2", netns: second.path })).code).toBe(0);
    deleteNetns(second);
  });

  it("STATUS forwards to IPAM; GC releases leases and removes masquerade and spoof-check rules of attachments no longer valid", () => {
    const second = createNetns("br-ctr2");
    const conf = config("1.1.0", "v4", { isGateway: true, ipMasq: true, macspoofchk: true });
    added(runPlugin(BRIDGE, call("ADD", conf)));
    added(runPlugin(BRIDGE, call("ADD", conf, { containerId: "ctr-2", netns: second.path })));
    expect(runPlugin(BRIDGE, call("STATUS", conf, { containerId: undefined, netns: undefined, ifName: undefined })).code).toBe(0);
    const gc = { ...conf, "cni.dev/valid-attachments": [{ containerID: "ctr-2", ifname: "eth0" }] };
    expect(runPlugin(BRIDGE, call("GC", gc, { containerId: undefined, netns: undefined, ifName: undefined }))).toMatchObject({ code: 0, stdout: "" });
    expect(leases()).toEqual(["10.97.0.3"]);
    const rules = nftRuleset(host);
    expect(rules).not.toContain("id: ctr-1");
    expect(rules).toContain("id: ctr-2");
    expect(rules).not.toContain("macspoofchk-ctr-1-eth0");
    expect(rules).toContain("macspoofchk-ctr-2-eth0");
    expect(runPlugin(BRIDGE, call("DEL", conf, { containerId: "ctr-2", netns: second.path })).code).toBe(0);
    deleteNetns(second);
  });
});
