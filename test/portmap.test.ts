// Black-box tests of bin/portmap chained after bin/bridge, as a runtime runs them, with real packets: a
// "host" namespace (bridge, portmap's rules), container namespaces running a TCP+UDP echo server, and a
// client namespace wired to the host by a veth (192.0.2.0/24, 2001:db8:1::/64). Side by side with Debian's
// Go portmap (1.1.1, iptables) on the same configs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runIsolated } from "./lib/isolated";
import { cleanupAll, createHostNetns, createNetns, inNetns, setSysctls, sysctl, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { BIN_DIR, goPlugin, ourPlugin, runPlugin, type PluginCall } from "./lib/plugin";

const BRIDGE = ourPlugin("bridge");
const PORTMAP = ourPlugin("portmap");
const NETWORK = "pmnet";
const HOST_V4 = "192.0.2.1";
const HOST_V4_OTHER = "192.0.2.11";
const CLIENT_V4 = "192.0.2.2";
const HOST_V6 = "2001:db8:1::1";
const CLIENT_V6 = "2001:db8:1::2";

interface Result {
  cniVersion: string;
  interfaces?: { name: string; sandbox?: string }[];
  ips?: { address: string; interface?: number }[];
}
interface Mapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}
interface Container {
  id: string;
  ns: TestNetns;
  result: Result;
  address: string;
}

// The echo server: TCP and UDP on the given ports, any address of either family; answers
// "<tag> <peer address>" to whatever it receives.
const SERVER = `
import socket, sys, threading
tag, tcp_port, udp_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def peer(addr):
    host = addr[0]
    return host[7:] if host.startswith("::ffff:") else host
def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", tcp_port)); s.listen(16)
    while True:
        c, addr = s.accept()
        try:
            c.recv(100); c.sendall(("%s %s" % (tag, peer(addr))).encode())
        finally:
            c.close()
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", udp_port))
    while True:
        data, addr = s.recvfrom(100)
        s.sendto(("%s %s" % (tag, peer(addr))).encode(), addr)
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
tcp()
`;

// The client: one request, prints the answer or "FAIL <reason>".
const CLIENT = `
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(family, kind)
s.settimeout(3)
try:
    if len(sys.argv) > 4:
        s.bind((sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0))
    s.connect((host, port)); s.send(b"hi")
    print(s.recv(100).decode())
except Exception as e:
    print("FAIL %s" % type(e).__name__)
`;

let work: string;
let host: TestNetns;
let client: TestNetns;
let servers: ChildProcess[] = [];
let containerCount = 0;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-portmap-"));
  writeFileSync(join(work, "server.py"), SERVER);
  writeFileSync(join(work, "client.py"), CLIENT);
  host = createHostNetns("pm-host");
  client = createNetns("pm-cli");
  containerCount = 0;
  inNetns(host, "ip", ["link", "set", "lo", "up"]);
  inNetns(client, "ip", ["link", "set", "lo", "up"]);
  inNetns(host, "ip", ["link", "add", "kh0", "type", "veth", "peer", "name", "kk0", "netns", client.name]);
  for (const [ns, dev, v4, v6] of [
    [host, "kh0", `${HOST_V4}/24`, `${HOST_V6}/64`],
    [client, "kk0", `${CLIENT_V4}/24`, `${CLIENT_V6}/64`],
  ] as const) {
    inNetns(ns, "ip", ["addr", "add", v4, "dev", dev]);
    inNetns(ns, "ip", ["addr", "add", v6, "dev", dev, "nodad"]);
    inNetns(ns, "ip", ["link", "set", dev, "up"]);
  }
  inNetns(host, "ip", ["addr", "add", `${HOST_V4_OTHER}/24`, "dev", "kh0"]);
  inNetns(client, "ip", ["route", "add", "default", "via", HOST_V4]);
  inNetns(client, "ip", ["-6", "route", "add", "default", "via", HOST_V6]);
  setSysctls(host, { "net/ipv4/ip_forward": "1", "net/ipv6/conf/all/forwarding": "1" });
});
afterEach(() => {
  for (const server of servers) server.kill();
  servers = [];
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

function bridgeConfig(): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: NETWORK,
    type: "bridge",
    bridge: "pmbr0",
    isDefaultGateway: true,
    hairpinMode: true,
    ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: [[{ subnet: "10.66.0.0/24" }], [{ subnet: "fd66::/64" }]] },
  };
}

function portmapConfig(prevResult: Result | undefined, mappings: Mapping[] | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: NETWORK,
    type: "portmap",
    capabilities: { portMappings: true },
    ...(mappings !== undefined ? { runtimeConfig: { portMappings: mappings } } : {}),
    ...(prevResult !== undefined ? { prevResult } : {}),
    ...extra,
  };
}

function call(command: string, containerId: string, netns: string, stdin: unknown): PluginCall {
  return { command, containerId, netns, ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host };
}

/** A container on the bridge with an echo server (TCP 80, UDP 53) answering with its id. */
async function addContainer(): Promise<Container> {
  containerCount++;
  const id = `ctr-${containerCount}`;
  const ns = createNetns(`pm-c${containerCount}`);
  inNetns(ns, "ip", ["link", "set", "lo", "up"]);
  const result = succeeded<Result>(runPlugin(BRIDGE, call("ADD", id, ns.path, bridgeConfig())));
  const v4 = result.ips?.find((ip) => !ip.address.includes(":"));
  if (v4 === undefined) throw new Error("no IPv4 address");
  const server = spawn("ip", ["netns", "exec", ns.name, "python3", join(work, "server.py"), id, "80", "53"], { stdio: ["ignore", "pipe", "inherit"] });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once("data", () => resolve());
    server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  return { id, ns, result, address: v4.address.split("/")[0] as string };
}

function portmap(binary: string, command: string, container: Container, mappings: Mapping[] | undefined, extra: Record<string, unknown> = {}) {
  return runPlugin(binary, call(command, container.id, container.ns.path, portmapConfig(container.result, mappings, extra)));
}

/** One request from `from`; the answer ("<container id> <peer>") or "FAIL <reason>". */
function probe(from: TestNetns, protocol: "tcp" | "udp", address: string, port: number, ...bind: string[]): string {
  return inNetns(from, "python3", [join(work, "client.py"), protocol, address, String(port), ...bind]).trim();
}

/** The nftables rules carrying the container id, and the iptables DNAT chains (CNI-DN-…) and rules naming any. */
function rulesOf(containerId: string): string[] {
  const found: string[] = [];
  for (const line of inNetns(host, "nft", ["list", "ruleset"]).split("\n")) if (line.includes(`"${containerId}"`)) found.push(line.trim());
  for (const binary of ["iptables", "ip6tables"]) found.push(...natLines(binary).filter((line) => line.includes("CNI-DN-")));
  return found;
}

/** `iptables -t nat -S` in the host namespace. */
function natLines(binary: string): string[] {
  return inNetns(host, binary, ["-t", "nat", "-S"]).split("\n").filter((line) => line !== "");
}

const WEB: Mapping = { hostPort: 8080, containerPort: 80, protocol: "tcp" };
const DNS: Mapping = { hostPort: 5353, containerPort: 53, protocol: "udp" };

describe.each([
  { name: "ours (nftables)", binary: () => PORTMAP, extra: {}, checks: true },
  { name: "ours (iptables)", binary: () => PORTMAP, extra: { backend: "iptables" }, checks: true },
  // 1.1.1's CHECK also looks for the IPv4 rules in ip6tables and fails (reference-chained-plugins.md §1.6)
  { name: "Go 1.1.1 (iptables)", binary: () => goPlugin("portmap"), extra: {}, checks: false },
])("reachability: $name", ({ binary, extra, checks }) => {
  it("tcp and udp from a client, IPv4 and IPv6; from the host itself; 127.0.0.1; hairpin; then DEL leaves nothing reachable", async () => {
    const ctr = await addContainer();
    const bridgeIP = "10.66.0.1";
    const added = succeeded<Result>(portmap(binary(), "ADD", ctr, [WEB, DNS], extra));
    expect(added).toMatchObject(ctr.result); // Go adds "dns": {}

    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${CLIENT_V4}`);
    expect(probe(client, "udp", HOST_V4, 5353)).toBe(`${ctr.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V6, 8080)).toBe(`${ctr.id} ${CLIENT_V6}`);
    expect(probe(client, "udp", HOST_V6, 5353)).toBe(`${ctr.id} ${CLIENT_V6}`);
    // the unmapped protocol of a mapped port is not forwarded
    expect(probe(client, "udp", HOST_V4, 8080)).toMatch(/^FAIL/);
    // from the host: its own address, and 127.0.0.1 (masqueraded to the bridge's address)
    expect(probe(host, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${HOST_V4}`);
    expect(probe(host, "tcp", "127.0.0.1", 8080)).toBe(`${ctr.id} ${bridgeIP}`);
    expect(sysctl(host, "net/ipv4/conf/pmbr0/route_localnet")).toBe("1");
    expect(probe(host, "tcp", HOST_V6, 8080)).toBe(`${ctr.id} ${HOST_V6}`);
    // hairpin: the container reaches itself through the host's address, IPv4 and IPv6
    expect(probe(ctr.ns, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${bridgeIP}`);
    expect(probe(ctr.ns, "udp", HOST_V4, 5353)).toBe(`${ctr.id} ${bridgeIP}`);
    expect(probe(ctr.ns, "tcp", HOST_V6, 8080)).toBe(`${ctr.id} fd66::1`);

    if (checks) succeeded(portmap(binary(), "CHECK", ctr, [WEB, DNS], extra));
    succeeded(portmap(binary(), "DEL", ctr, [WEB, DNS], extra));
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
    expect(probe(client, "udp", HOST_V4, 5353)).toMatch(/^FAIL/);
    expect(probe(client, "tcp", HOST_V6, 8080)).toMatch(/^FAIL/);
    expect(probe(host, "tcp", "127.0.0.1", 8080)).toMatch(/^FAIL/);
    expect(rulesOf(ctr.id)).toEqual([]);
    // idempotent
    succeeded(portmap(binary(), "DEL", ctr, [WEB, DNS], extra));
  });

  it("udp: a flow tracked before the mapping (same source port) reaches the container after ADD", async () => {
    const ctr = await addContainer();
    // a first mapping makes the host namespace track connections (nat hooks registered)
    succeeded(portmap(binary(), "ADD", ctr, [WEB], extra));
    const source = [CLIENT_V4, "40053"];
    expect(probe(client, "udp", HOST_V4, 5353, ...source)).toMatch(/^FAIL/);
    expect(inNetns(host, "cat", ["/proc/net/nf_conntrack"])).toMatch(/udp .*dport=5353/);
    succeeded(portmap(binary(), "ADD", ctr, [WEB, DNS], extra));
    expect(probe(client, "udp", HOST_V4, 5353, ...source)).toBe(`${ctr.id} ${CLIENT_V4}`);
    succeeded(portmap(binary(), "DEL", ctr, [WEB, DNS], extra));
  });

  it("hostIP: only that address forwards", async () => {
    const ctr = await addContainer();
    succeeded(portmap(binary(), "ADD", ctr, [{ ...WEB, hostIP: HOST_V4_OTHER }], extra));
    expect(probe(client, "tcp", HOST_V4_OTHER, 8080)).toBe(`${ctr.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
    succeeded(portmap(binary(), "DEL", ctr, [{ ...WEB, hostIP: HOST_V4_OTHER }], extra));
  });

  it("two containers with different ports; the same hostPort twice: the first added wins until its DEL", async () => {
    const first = await addContainer();
    const second = await addContainer();
    succeeded(portmap(binary(), "ADD", first, [WEB], extra));
    succeeded(portmap(binary(), "ADD", second, [{ ...WEB, hostPort: 8081 }, { ...WEB, hostPort: 8080 }], extra));
    expect(probe(client, "tcp", HOST_V4, 8081)).toBe(`${second.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${first.id} ${CLIENT_V4}`);
    succeeded(portmap(binary(), "DEL", first, [WEB], extra));
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${second.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V4, 8081)).toBe(`${second.id} ${CLIENT_V4}`);
    succeeded(portmap(binary(), "DEL", second, [WEB], extra));
  });
});

describe("ours only", () => {
  it.each([["nftables", {}], ["iptables", { backend: "iptables" }]])(
    "udp (%s): after DEL, a flow that was forwarded to the container no longer reaches it (the reference's #1190)",
    async (_, extra) => {
      const ctr = await addContainer();
      const other = await addContainer();
      succeeded(portmap(PORTMAP, "ADD", ctr, [DNS], extra));
      succeeded(portmap(PORTMAP, "ADD", other, [{ ...DNS, hostPort: 5354 }], extra));
      const source = [CLIENT_V4, "40054"];
      const otherSource = [CLIENT_V4, "40055"];
      expect(probe(client, "udp", HOST_V4, 5353, ...source)).toBe(`${ctr.id} ${CLIENT_V4}`);
      expect(probe(client, "udp", HOST_V4, 5354, ...otherSource)).toBe(`${other.id} ${CLIENT_V4}`);
      succeeded(portmap(PORTMAP, "DEL", ctr, [DNS], extra));
      expect(probe(client, "udp", HOST_V4, 5353, ...source)).toMatch(/^FAIL/);
      // another container's flow is left alone
      expect(inNetns(host, "cat", ["/proc/net/nf_conntrack"])).toMatch(/udp .*sport=40055 dport=5354/);
      expect(probe(client, "udp", HOST_V4, 5354, ...otherSource)).toBe(`${other.id} ${CLIENT_V4}`);
    },
  );

  it("a neighbour on the bridge reaches a published port through the host's address (nftables)", async () => {
    const first = await addContainer();
    const second = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", first, [WEB]));
    expect(probe(second.ns, "tcp", HOST_V4, 8080)).toBe(`${first.id} 10.66.0.1`);
  });

  it("the reference nftables backend's table (as its nft -f writes it): our ADD keeps its entry rules, our DEL removes its container's rules", async () => {
    const theirs = await addContainer();
    const ours = await addContainer();
    const entry = "fib daddr type local jump hostports_all";
    const table = (family: string, dnatTo: string, masquerade: string) => `
      table ${family} cni_hostport {
        comment "CNI portmap plugin"
        chain hostports { tcp dport 8080 dnat to ${dnatTo}:80 comment "${theirs.id}"; }
        chain hostip_hostports { }
        chain hostports_all { jump hostip_hostports; jump hostports; }
        chain prerouting { type nat hook prerouting priority -100; ${entry}; }
        chain output { type nat hook output priority -100; ${entry}; }
        chain masquerading { type nat hook postrouting priority 100; ${masquerade}; }
      }`;
    const v4 = theirs.address;
    writeFileSync(
      join(work, "reference.nft"),
      table("ip", v4, `ip saddr ${v4} ip daddr ${v4} masquerade comment "${theirs.id}"; ip saddr 127.0.0.1 ip daddr ${v4} masquerade comment "${theirs.id}"`) +
        table("ip6", "[fd66::2]", `ip6 saddr fd66::2 ip6 daddr fd66::2 masquerade comment "${theirs.id}"`),
    );
    inNetns(host, "nft", ["-f", join(work, "reference.nft")]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${theirs.id} ${CLIENT_V4}`);
    const handles = () => inNetns(host, "nft", ["-a", "list", "chain", "ip", "cni_hostport", "prerouting"]);
    const before = handles();
    succeeded(portmap(PORTMAP, "ADD", ours, [{ ...WEB, hostPort: 8081 }]));
    expect(handles()).toBe(before);
    expect(probe(client, "tcp", HOST_V4, 8081)).toBe(`${ours.id} ${CLIENT_V4}`);
    succeeded(portmap(PORTMAP, "DEL", theirs, [WEB]));
    expect(rulesOf(theirs.id)).toEqual([]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
    expect(probe(client, "tcp", HOST_V4, 8081)).toBe(`${ours.id} ${CLIENT_V4}`);
  });

  it("an ADD the kernel refuses leaves no rule, in either family", async () => {
    const ctr = await addContainer();
    // a chain of ours that exists with another type: the transaction fails as a whole
    inNetns(host, "nft", ["add table ip cni_hostport; add chain ip cni_hostport prerouting { type filter hook prerouting priority 0; }"]);
    const error = failed(portmap(PORTMAP, "ADD", ctr, [WEB, DNS]));
    expect(error.msg).toMatch(/unable to set up nftables rules for port mappings/);
    expect(rulesOf(ctr.id)).toEqual([]);
    expect(inNetns(host, "nft", ["list", "tables"])).not.toContain("ip6 cni_hostport");
    expect(probe(client, "tcp", HOST_V6, 8080)).toMatch(/^FAIL/);
  });

  it("an iptables ADD that fails leaves no rule", async () => {
    const ctr = await addContainer();
    const error = failed(portmap(PORTMAP, "ADD", ctr, [WEB], { backend: "iptables", externalSetMarkChain: "NO-SUCH-CHAIN" }));
    expect(error.msg).toMatch(/iptables-restore/);
    expect(rulesOf(ctr.id)).toEqual([]);
  });

  it("masqAll: every forwarded connection reaches the container from the bridge's address; snat false: hairpin and 127.0.0.1 do not work", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB], { masqAll: true }));
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} 10.66.0.1`);
    expect(probe(client, "tcp", HOST_V6, 8080)).toBe(`${ctr.id} fd66::1`);
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB], { snat: false }));
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${CLIENT_V4}`);
    expect(probe(ctr.ns, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
    expect(probe(host, "tcp", "127.0.0.1", 8080)).toMatch(/^FAIL/);
    expect(inNetns(host, "nft", ["list", "chain", "ip", "cni_hostport", "masquerading"])).not.toContain(ctr.id);
  });

  it("a repeated ADD commits nothing new; a re-ADD with other ports replaces the old ones", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB]));
    const once = inNetns(host, "nft", ["list", "ruleset"]);
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB]));
    expect(inNetns(host, "nft", ["list", "ruleset"])).toBe(once);
    succeeded(portmap(PORTMAP, "ADD", ctr, [{ ...WEB, hostPort: 9090 }]));
    expect(probe(client, "tcp", HOST_V4, 9090)).toBe(`${ctr.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
  });

  it("the reference's nftables shapes: tables, chains, comments", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB, { ...DNS, hostIP: HOST_V4 }]));
    const ruleset = inNetns(host, "nft", ["list", "ruleset"]);
    for (const family of ["ip", "ip6"]) expect(ruleset).toContain(`table ${family} cni_hostport {`);
    expect(ruleset).toContain(`tcp dport 8080 dnat to ${ctr.address}:80 comment "${ctr.id}"`);
    expect(ruleset).toContain(`ip daddr ${HOST_V4} udp dport 5353 dnat to ${ctr.address}:53 comment "${ctr.id}"`);
    expect(ruleset).toContain(`tcp dport 8080 dnat to [fd66::2]:80 comment "${ctr.id}"`);
    expect(ruleset).toContain(`ip saddr 127.0.0.1 ip daddr ${ctr.address} masquerade comment "${ctr.id}"`);
    expect(ruleset).toContain("fib daddr type local jump hostports_all");
  });

  it("CHECK fails when a rule is gone; DEL without prevResult or netns removes everything; GC removes stale attachments", async () => {
    const first = await addContainer();
    const second = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", first, [WEB]));
    succeeded(portmap(PORTMAP, "ADD", second, [{ ...WEB, hostPort: 8081 }]));
    inNetns(host, "nft", ["flush", "chain", "ip", "cni_hostport", "masquerading"]);
    expect(failed(portmap(PORTMAP, "CHECK", first, [WEB])).msg).toMatch(/missing hostport rules in "masquerading"/);
    // DEL the way a runtime does after the container is gone
    succeeded(runPlugin(PORTMAP, call("DEL", first.id, "", portmapConfig(undefined, undefined))));
    expect(rulesOf(first.id)).toEqual([]);
    expect(rulesOf(second.id)).not.toEqual([]);
    const gc = (valid: string[]) =>
      runPlugin(PORTMAP, {
        command: "GC",
        path: BIN_DIR,
        hostNetns: host,
        stdin: { ...portmapConfig(undefined, undefined), cniVersion: "1.1.0", "cni.dev/valid-attachments": valid.map((id) => ({ containerID: id, ifname: "eth0" })) },
      });
    succeeded(gc([second.id]));
    expect(probe(client, "tcp", HOST_V4, 8081)).toBe(`${second.id} ${CLIENT_V4}`);
    succeeded(gc([]));
    expect(rulesOf(second.id)).toEqual([]);
    expect(probe(client, "tcp", HOST_V4, 8081)).toMatch(/^FAIL/);
  });
});

describe("config and prevResult", () => {
  const prevResult: Result = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x" }],
    ips: [{ address: "10.66.0.9/24", interface: 0 }],
  };
  const add = (stdin: unknown) => runPlugin(PORTMAP, call("ADD", "ctr-x", "/var/run/netns/x", stdin));

  it.each([
    [{ hostPort: 0, containerPort: 80, protocol: "tcp" }, /portMappings\[0\]\.hostPort.*port 0/],
    [{ hostPort: 70000, containerPort: 80, protocol: "tcp" }, /portMappings\[0\]\.hostPort.*70000/],
    [{ hostPort: 80, containerPort: -1, protocol: "tcp" }, /portMappings\[0\]\.containerPort/],
    [{ hostPort: 80, containerPort: 80, protocol: "icmp" }, /portMappings\[0\]\.protocol.*icmp/],
    [{ hostPort: 80, containerPort: 80 }, /portMappings\[0\]\.protocol/],
    [{ hostPort: 80, containerPort: 80, protocol: "tcp", hostIP: "nope" }, /portMappings\[0\]\.hostIP/],
    [{ hostPort: 80, containerPort: 80, protocol: "tcp", hostIP: "2001:db8::1" }, /portMappings\[0\]\.hostIP.*no IPv6 address/],
    [{ hostPort: "80", containerPort: 80, protocol: "tcp" }, /portMappings\[0\]\.hostPort/],
  ])("mapping %j: code 7 naming the field, no rule", (mapping, message) => {
    const error = failed(add(portmapConfig(prevResult, [mapping as Mapping])));
    expect(error.code).toBe(7);
    expect(error.msg).toMatch(message);
    expect(inNetns(host, "nft", ["list", "ruleset"])).toBe("");
  });

  it.each([
    [{ markMasqBit: 32 }, /markMasqBit/],
    [{ markMasqBit: -1 }, /markMasqBit/],
    [{ markMasqBit: 5, externalSetMarkChain: "X" }, /markMasqBit.*externalSetMarkChain/],
    [{ snat: "yes" }, /snat/],
    [{ backend: "ebpf" }, /backend/],
    [{ backend: "nftables", externalSetMarkChain: "X" }, /externalSetMarkChain/],
    [{ backend: "nftables", conditionsV4: ["-s", "10.0.0.0/8"] }, /conditionsV4/],
    [{ conditionsV4: ["ip", "saddr", "!=", "nope"] }, /conditionsV4\[3\]/],
    [{ conditionsV4: ["tcp", "flags", "syn"] }, /conditionsV4\[0\]/],
  ])("%j: code 7 naming the field, no rule", (extra, message) => {
    const error = failed(add(portmapConfig(prevResult, [WEB], extra)));
    expect(error.code).toBe(7);
    expect(error.msg).toMatch(message);
    expect(inNetns(host, "nft", ["list", "ruleset"])).toBe("");
  });

  it("without prevResult: ADD and CHECK are code 7; without mappings: prevResult passes through unchanged", () => {
    expect(failed(add(portmapConfig(undefined, [WEB])))).toMatchObject({ code: 7, msg: "must be called as chained plugin" });
    expect(failed(runPlugin(PORTMAP, call("CHECK", "ctr-x", "/var/run/netns/x", portmapConfig(undefined, [WEB]))))).toMatchObject({ code: 7 });
    expect(succeeded(add(portmapConfig(prevResult, undefined)))).toEqual(prevResult);
    expect(succeeded(add(portmapConfig(prevResult, [])))).toEqual(prevResult);
    expect(inNetns(host, "nft", ["list", "ruleset"])).toBe("");
  });

  it("nftables conditions go into the container's own rules", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB], { conditionsV4: ["ip", "saddr", "!=", `${CLIENT_V4}/32`] }));
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
    expect(probe(host, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${HOST_V4}`);
    expect(probe(client, "tcp", HOST_V6, 8080)).toBe(`${ctr.id} ${CLIENT_V6}`);
  });
});

describe("iptables backend against Go 1.1.1", () => {
  const mappings: Mapping[] = [WEB, { ...WEB, hostPort: 8443, containerPort: 443, hostIP: HOST_V4 }, DNS, { ...WEB, hostPort: 9090, containerPort: 90, hostIP: HOST_V6 }];
  const GO = () => goPlugin("portmap");
  const IPTABLES = { backend: "iptables" };

  it.each([
    ["defaults", {}],
    ["markMasqBit 5", { markMasqBit: 5 }],
    ["snat false", { snat: false }],
    ["externalSetMarkChain", { externalSetMarkChain: "KUBE-MARK-MASQ" }],
    ["conditions", { conditionsV4: ["!", "-d", "198.51.100.0/24"], conditionsV6: ["!", "-s", "2001:db8:9::/64"] }],
  ])("%s: the same chains, rules and comments as Go's, in both families", async (_, options) => {
    const ctr = await addContainer();
    for (const binary of ["iptables", "ip6tables"]) inNetns(host, binary, ["-t", "nat", "-N", "KUBE-MARK-MASQ"]);
    succeeded(portmap(GO(), "ADD", ctr, mappings, options));
    const go = { v4: natLines("iptables"), v6: natLines("ip6tables") };
    succeeded(portmap(GO(), "DEL", ctr, mappings, options));
    expect(rulesOf(ctr.id)).toEqual([]);
    // what Go leaves (shared chains and jumps) stays; ours finds them in place
    succeeded(portmap(PORTMAP, "ADD", ctr, mappings, { ...IPTABLES, ...options }));
    expect(natLines("iptables")).toEqual(go.v4);
    expect(natLines("ip6tables")).toEqual(go.v6);
    expect(go.v4).toContain("-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT");
    // a second ADD adds nothing
    succeeded(portmap(PORTMAP, "ADD", ctr, mappings, { ...IPTABLES, ...options }));
    expect(natLines("iptables")).toEqual(go.v4);
    succeeded(portmap(PORTMAP, "CHECK", ctr, mappings, { ...IPTABLES, ...options }));
  });

  it("from an empty table, ours writes what Go writes", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, mappings, IPTABLES));
    const ours = { v4: natLines("iptables"), v6: natLines("ip6tables") };
    succeeded(portmap(PORTMAP, "DEL", ctr, mappings, IPTABLES));
    for (const binary of ["iptables", "ip6tables"]) for (const flag of ["-F", "-X"]) inNetns(host, binary, ["-t", "nat", flag]);
    succeeded(portmap(GO(), "ADD", ctr, mappings));
    expect(natLines("iptables")).toEqual(ours.v4);
    expect(natLines("ip6tables")).toEqual(ours.v6);
  });

  it("Go's DEL removes ours and ours removes Go's", async () => {
    const ctr = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", ctr, [WEB, DNS], IPTABLES));
    expect(rulesOf(ctr.id)).not.toEqual([]);
    succeeded(portmap(GO(), "DEL", ctr, [WEB, DNS]));
    expect(rulesOf(ctr.id)).toEqual([]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);

    succeeded(portmap(GO(), "ADD", ctr, [WEB, DNS]));
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${ctr.id} ${CLIENT_V4}`);
    succeeded(portmap(PORTMAP, "CHECK", ctr, [WEB, DNS], IPTABLES));
    succeeded(runPlugin(PORTMAP, call("DEL", ctr.id, "", portmapConfig(undefined, undefined, IPTABLES))));
    expect(rulesOf(ctr.id)).toEqual([]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
  });

  it("a host moving from Go's portmap to ours (nftables by default): our DEL removes Go's iptables chains", async () => {
    const ctr = await addContainer();
    succeeded(portmap(GO(), "ADD", ctr, [WEB, DNS]));
    expect(rulesOf(ctr.id)).not.toEqual([]);
    succeeded(portmap(PORTMAP, "DEL", ctr, [WEB, DNS]));
    expect(rulesOf(ctr.id)).toEqual([]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toMatch(/^FAIL/);
  });

  it("GC removes the chains of containers no longer valid, of this network only", async () => {
    const first = await addContainer();
    const second = await addContainer();
    succeeded(portmap(PORTMAP, "ADD", first, [WEB], IPTABLES));
    succeeded(portmap(GO(), "ADD", second, [{ ...WEB, hostPort: 8081 }]));
    const gc = (network: string, valid: string[]) =>
      succeeded(
        runPlugin(PORTMAP, {
          command: "GC",
          path: BIN_DIR,
          hostNetns: host,
          stdin: { ...portmapConfig(undefined, undefined, IPTABLES), name: network, cniVersion: "1.1.0", "cni.dev/valid-attachments": valid.map((id) => ({ containerID: id, ifname: "eth0" })) },
        }),
      );
    gc("othernet", []);
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${first.id} ${CLIENT_V4}`);
    gc(NETWORK, [first.id]);
    expect(probe(client, "tcp", HOST_V4, 8080)).toBe(`${first.id} ${CLIENT_V4}`);
    expect(probe(client, "tcp", HOST_V4, 8081)).toMatch(/^FAIL/);
    gc(NETWORK, []);
    expect(rulesOf(first.id)).toEqual([]);
  });
});

describe("through cnitool", () => {
  it("a bridge → portmap conflist with CAP_ARGS portMappings: published on ADD, gone on DEL", () => {
    const netd = join(work, "net.d");
    mkdirSync(netd);
    writeFileSync(
      join(netd, "10-pmtool.conflist"),
      JSON.stringify({
        cniVersion: "1.1.0",
        name: "pmtool",
        plugins: [
          { type: "bridge", bridge: "br-pmtool", isDefaultGateway: true, ipam: { type: "host-local", subnet: "10.32.0.0/24" } },
          { type: "portmap", capabilities: { portMappings: true } },
        ],
      }),
    );
    const r = runIsolated(
      `
      cnitool netns add c1 >/dev/null
      CAP_ARGS='{"portMappings":[{"hostPort":18080,"containerPort":8080,"protocol":"tcp"}]}' cnitool add pmtool /var/run/netns/c1 >/dev/null; echo "add=$?"
      cnitool netns exec c1 ip link set lo up
      ip netns exec c1 python3 $WORK/server.py c1 8080 5300 > $WORK/server.out 2>&1 &
      server=$!
      for i in $(seq 50); do grep -q ready $WORK/server.out 2>/dev/null && break; sleep 0.1; done
      echo "local: $(python3 $WORK/client.py tcp 127.0.0.1 18080)"
      echo "gateway: $(python3 $WORK/client.py tcp 10.32.0.1 18080)"
      CAP_ARGS='{"portMappings":[{"hostPort":18080,"containerPort":8080,"protocol":"tcp"}]}' cnitool check pmtool /var/run/netns/c1; echo "check=$?"
      cnitool del pmtool /var/run/netns/c1; echo "del=$?"
      echo "after: $(python3 $WORK/client.py tcp 127.0.0.1 18080)"
      echo "rules: $(nft list ruleset | grep -c 'comment "cnitool-')"
      kill $server; wait $server 2>/dev/null; cnitool netns del c1`,
      ["/var/lib/cni", "/var/run/netns"],
      { PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NETCONFPATH: netd, CNI_PATH: BIN_DIR, WORK: work },
    );
    expect(r.stderr).toBe("");
    for (const line of ["add=0", "local: c1 10.32.0.1", "gateway: c1 10.32.0.1", "check=0", "del=0", "rules: 0"]) expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/after: FAIL/);
  });
});
