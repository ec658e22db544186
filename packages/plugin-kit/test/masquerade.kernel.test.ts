// Masquerade against the real kernel, both backends, inside throwaway namespaces only: the "host" that
// masquerades is a namespace made here. Rules are read back with `nft -j list ruleset` and
// `iptables -t nat -S`; packets go container -> host -> outside, where outside has no route back to the
// container subnet; the Go bridge 1.1.1 (/usr/lib/cni) writes the reference iptables rules.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseCIDR, type CIDR } from "@cni/skel";
import { createMasquerade, type IpMasqBackend } from "../src/masquerade/index";
import { iptablesChainName, nftAttachmentComment } from "../src/masquerade/names";

const GO_PLUGINS = "/usr/lib/cni";
const namespaces: string[] = [];
const tempDirs: string[] = [];
let counter = 0;

afterEach(() => {
  for (const name of namespaces.splice(0)) spawnSync("ip", ["netns", "del", name]);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// A test process that died (killed worker) ran no afterEach: remove the namespaces it left, named by its pid.
beforeAll(() => {
  const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of listed.split("\n")) {
    const match = /^(emasq-(\d+)-\S+)/.exec(line);
    if (match === null || processAlive(Number(match[2]))) continue;
    spawnSync("ip", ["netns", "del", match[1] as string]);
  }
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  const result = spawnSync(command, args, { input: options.input ?? "", encoding: "utf8", env: options.env ?? process.env });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function must(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.status} ${result.stderr}`);
  return result.stdout;
}

function inNs(ns: string, command: string, args: readonly string[], input?: string): string {
  return must("ip", ["netns", "exec", ns, command, ...args], input === undefined ? {} : { input });
}

function newNs(role: string): string {
  const name = `emasq-${process.pid}-${++counter}-${role}`;
  namespaces.push(name);
  must("ip", ["netns", "add", name]);
  must("ip", ["-n", name, "link", "set", "lo", "up"]);
  return name;
}

function nsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "emasq-"));
  tempDirs.push(dir);
  return dir;
}

function cidr(text: string): CIDR {
  const parsed = parseCIDR(text);
  if (parsed === undefined) throw new Error(`bad CIDR ${text}`);
  return parsed;
}

/** `iptables -t nat -S` (or ip6tables) lines that mention a CNI- chain, sorted. */
function cniNatLines(ns: string, family: 4 | 6 = 4): string[] {
  const out = run("ip", ["netns", "exec", ns, family === 4 ? "iptables" : "ip6tables", "-t", "nat", "-S"]);
  return out.stdout.split("\n").filter((line) => line.includes("CNI-")).sort();
}

interface RulesetEntry {
  [kind: string]: Record<string, unknown>;
}

function ruleset(ns: string): RulesetEntry[] {
  const parsed = JSON.parse(inNs(ns, "nft", ["-j", "list", "ruleset"])) as { nftables: RulesetEntry[] };
  return parsed.nftables.filter((entry) => !("metainfo" in entry));
}

/** The reference's table only, handles removed (they depend on the order things were made in). */
function masqTable(ns: string): RulesetEntry[] {
  const entries: RulesetEntry[] = [];
  for (const entry of ruleset(ns)) {
    const [kind, body] = Object.entries(entry)[0] as [string, Record<string, unknown>];
    if (body.family !== "inet" || (body.table ?? body.name) !== "cni_plugins_masquerade") continue;
    const { handle: _handle, ...rest } = body;
    entries.push({ [kind]: rest });
  }
  return entries;
}

function masqComments(ns: string): string[] {
  const comments: string[] = [];
  for (const entry of masqTable(ns)) {
    const rule = entry.rule;
    if (rule !== undefined && rule.chain === "masq_checks") comments.push(String(rule.comment));
  }
  return comments.sort();
}

describe("nftables backend (default)", () => {
  it("writes the reference's table, chains, rules and comments, as nft -f of the reference's text does", () => {
    const host = newNs("host");
    const reference = newNs("ref");
    const ips = ["10.97.0.2/24", "fd97::2/64", "10.98.16.5/20"];
    createMasquerade("nftables", { netnsPath: nsPath(host) }).setup("insnet", "cid1", "eth0", ips.map(cidr));

    // what knftables sends to `nft -f` for the same call (ipmasq_nftables_linux.go)
    const comment = nftAttachmentComment("insnet", "eth0", "cid1");
    const t = "inet cni_plugins_masquerade";
    inNs(reference, "nft", ["-f", "-"], [
      `add table ${t} { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }`,
      `add chain ${t} masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }`,
      `add chain ${t} postrouting { type nat hook postrouting priority srcnat ; }`,
      `flush chain ${t} postrouting`,
      `add rule ${t} postrouting ip daddr == 224.0.0.0/4  return`,
      `add rule ${t} postrouting ip6 daddr == ff00::/8  return`,
      `add rule ${t} postrouting goto masq_checks`,
      `add rule ${t} masq_checks ip saddr == 10.97.0.2 ip daddr != 10.97.0.0/24 masquerade comment "${comment}"`,
      `add rule ${t} masq_checks ip6 saddr == fd97::2 ip6 daddr != fd97::/64 masquerade comment "${comment}"`,
      `add rule ${t} masq_checks ip saddr == 10.98.16.5 ip daddr != 10.98.16.0/20 masquerade comment "${comment}"`,
      "",
    ].join("\n"));

    const ours = masqTable(host);
    expect(ours).toEqual(masqTable(reference));
    expect(ours.length).toBe(1 + 2 + 3 + 3);
    expect(inNs(host, "nft", ["list", "table", "inet", "cni_plugins_masquerade"])).toContain(
      `ip saddr 10.97.0.2 ip daddr != 10.97.0.0/24 masquerade comment "${comment}"`,
    );

    // and our teardown finds the reference's rules by their comment
    createMasquerade("nftables", { netnsPath: nsPath(reference) }).teardown("insnet", "cid1", "eth0");
    expect(masqComments(reference)).toEqual([]);
  });

  it("a repeated ADD leaves one set of rules; teardown by (network, container id, ifname) removes only those", () => {
    const host = newNs("host");
    const masq = createMasquerade("nftables", { netnsPath: nsPath(host) });
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.3/24"), cidr("fd97::3/64")]);
    masq.setup("insnet", "cid2", "eth0", [cidr("10.97.0.4/24")]);
    const mine = nftAttachmentComment("insnet", "eth0", "cid1");
    const other = nftAttachmentComment("insnet", "eth0", "cid2");
    expect(masqComments(host)).toEqual([mine, mine, other].sort());
    const postrouting = masqTable(host).filter((e) => e.rule?.chain === "postrouting");
    expect(postrouting).toHaveLength(3);

    masq.teardown("insnet", "cid1", "eth1"); // another interface of the same container: not these rules
    expect(masqComments(host)).toHaveLength(3);
    masq.teardown("insnet", "cid1", "eth0");
    expect(masqComments(host)).toEqual([other]);
    masq.teardown("insnet", "cid1", "eth0"); // again: nothing to do, no error
    expect(masqComments(host)).toEqual([other]);
  });

  it("ADD only adds (#18): earlier rules keep their handles, a repeated ADD changes nothing, a moved address replaces only its rule", () => {
    const host = newNs("host");
    const masq = createMasquerade("nftables", { netnsPath: nsPath(host) });
    const handles = (): string[] =>
      ruleset(host).flatMap((entry) => (entry.rule === undefined ? [] : [`${String(entry.rule.chain)}#${String(entry.rule.handle)}#${String(entry.rule.comment ?? "")}`]));
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    const first = handles();
    expect(first).toHaveLength(4); // postrouting's three, cid1's one
    masq.setup("insnet", "cid2", "eth0", [cidr("10.97.0.3/24")]);
    const second = handles();
    expect(second.filter((rule) => first.includes(rule))).toEqual(first); // nothing flushed or replaced: the same handles
    expect(second).toHaveLength(5);
    masq.setup("insnet", "cid2", "eth0", [cidr("10.97.0.3/24")]);
    expect(handles()).toEqual(second);
    masq.setup("insnet", "cid2", "eth0", [cidr("10.97.0.9/24")]);
    const moved = handles();
    expect(moved.filter((rule) => first.includes(rule))).toEqual(first);
    expect(moved).toHaveLength(5);
    expect(moved.filter((rule) => !second.includes(rule))).toHaveLength(1); // cid2's rule, re-added
  });

  it("postrouting changed by hand is put back as the reference's on the next ADD", () => {
    const host = newNs("host");
    const masq = createMasquerade("nftables", { netnsPath: nsPath(host) });
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    const expected = masqTable(host);
    inNs(host, "nft", ["flush", "chain", "inet", "cni_plugins_masquerade", "postrouting"]);
    inNs(host, "nft", ["add", "rule", "inet", "cni_plugins_masquerade", "postrouting", "counter"]);
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    expect(masqTable(host)).toEqual(expected);
  });

  it("teardown with nothing ever set up succeeds and creates nothing", () => {
    const host = newNs("host");
    createMasquerade("nftables", { netnsPath: nsPath(host) }).teardown("insnet", "cid1", "eth0");
    expect(ruleset(host)).toEqual([]);
  });
});

describe.each<IpMasqBackend>(["nftables", "iptables"])("%s backend", (backend) => {
  function rulesOf(host: string): string[] {
    return backend === "nftables" ? masqComments(host) : [...cniNatLines(host, 4), ...cniNatLines(host, 6)];
  }

  it("a container's packet reaches an outside namespace with the host's address, only while set up", () => {
    const container = newNs("ctr");
    const host = newNs("host");
    const outside = newNs("out");
    must("ip", ["link", "add", "c0", "netns", container, "type", "veth", "peer", "name", "h0", "netns", host]);
    must("ip", ["link", "add", "h1", "netns", host, "type", "veth", "peer", "name", "o0", "netns", outside]);
    for (const [ns, dev, v4, v6] of [
      [container, "c0", "10.97.0.2/24", "fd97::2/64"],
      [host, "h0", "10.97.0.1/24", "fd97::1/64"],
      [host, "h1", "10.98.0.1/24", "fd98::1/64"],
      [outside, "o0", "10.98.0.2/24", "fd98::2/64"],
    ] as const) {
      must("ip", ["-n", ns, "addr", "add", v4, "dev", dev]);
      must("ip", ["-n", ns, "addr", "add", v6, "dev", dev, "nodad"]);
      must("ip", ["-n", ns, "link", "set", dev, "up"]);
    }
    must("ip", ["-n", container, "route", "add", "default", "via", "10.97.0.1"]);
    must("ip", ["-n", container, "-6", "route", "add", "default", "via", "fd97::1"]);
    inNs(host, "sysctl", ["-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
    // outside counts what arrives by source address; it has no route to 10.97.0.0/24 or fd97::/64
    inNs(outside, "nft", ["-f", "-"], [
      "table inet seen { chain input { type filter hook input priority 0; policy accept;",
      "  ip saddr 10.98.0.1 icmp type echo-request counter",
      "  ip saddr 10.97.0.2 counter",
      "  ip6 saddr fd98::1 icmpv6 type echo-request counter",
      "  ip6 saddr fd97::2 counter",
      "}",
      "}",
      "",
    ].join("\n"));
    const seen = (): number[] => {
      const entries = ruleset(outside);
      const counts: number[] = [];
      for (const entry of entries) {
        const expr = entry.rule?.expr as { counter?: { packets: number } }[] | undefined;
        if (expr === undefined) continue;
        for (const e of expr) if (e.counter !== undefined) counts.push(e.counter.packets);
      }
      return counts;
    };
    const ping = (target: string): number | null =>
      run("ip", ["netns", "exec", container, "ping", "-c1", "-W1", target]).status;

    expect(ping("10.98.0.2")).not.toBe(0); // the reply has no way back without masquerade
    const masq = createMasquerade(backend, { netnsPath: nsPath(host) });
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24"), cidr("fd97::2/64")]);
    expect(ping("10.98.0.2")).toBe(0);
    expect(ping("fd98::2")).toBe(0);
    expect(ping("10.97.0.1")).toBe(0); // inside the subnet: not masqueraded, still fine
    const [v4Host, v4Ctr, v6Host, v6Ctr] = seen();
    expect(v4Host).toBeGreaterThanOrEqual(1);
    expect(v6Host).toBeGreaterThanOrEqual(1);
    expect(v6Ctr).toBe(0);
    expect(v4Ctr).toBe(1); // the first ping, before set-up

    masq.teardown("insnet", "cid1", "eth0");
    expect(rulesOf(host)).toEqual([]);
    expect(ping("10.98.0.2")).not.toBe(0);
  });

  it("teardown by (network, container id) removes everything when the container namespace is gone", () => {
    const container = newNs("ctr");
    const host = newNs("host");
    const masq = createMasquerade(backend, { netnsPath: nsPath(host) });
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24"), cidr("10.99.0.2/16"), cidr("fd97::2/64")]);
    expect(rulesOf(host).length).toBeGreaterThan(0);
    must("ip", ["netns", "del", container]);
    masq.teardown("insnet", "cid1", "eth0");
    expect(rulesOf(host)).toEqual([]);
    expect(cniNatLines(host, 4)).toEqual([]);
    expect(cniNatLines(host, 6)).toEqual([]);
  });

  it("a repeated set-up leaves exactly one copy of the rules", () => {
    const host = newNs("host");
    const masq = createMasquerade(backend, { netnsPath: nsPath(host) });
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    const once = rulesOf(host);
    masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
    expect(rulesOf(host)).toEqual(once);
  });

  it("GC keeps exactly the valid attachments of the network, and other networks' rules", () => {
    const host = newNs("host");
    const masq = createMasquerade(backend, { netnsPath: nsPath(host) });
    masq.setup("net1", "gone", "eth0", [cidr("10.97.0.2/24")]);
    masq.setup("net1", "live", "eth0", [cidr("10.97.0.3/24")]);
    masq.setup("net2", "other", "eth0", [cidr("10.96.0.2/24")]);
    masq.gc("net1", [{ containerId: "live", ifName: "eth0" }]);
    const left = rulesOf(host).join("\n");
    if (backend === "nftables") {
      expect(masqComments(host)).toEqual(
        [nftAttachmentComment("net1", "eth0", "live"), nftAttachmentComment("net2", "eth0", "other")].sort(),
      );
    } else {
      expect(left).not.toContain(iptablesChainName("net1", "gone"));
      expect(left).toContain(iptablesChainName("net1", "live"));
      expect(left).toContain(iptablesChainName("net2", "other"));
    }
    masq.gc("net1", []);
    expect(rulesOf(host).join("\n")).not.toContain("live");
  });
});

/** Run the Go bridge 1.1.1 in `host` for `container`, host-local IPAM keeping its state in `dataDir`. */
function goBridge(command: "ADD" | "DEL", host: string, container: string, config: Record<string, unknown>): string {
  return must("ip", ["netns", "exec", host, join(GO_PLUGINS, "bridge")], {
    input: JSON.stringify(config),
    env: {
      ...process.env,
      CNI_COMMAND: command,
      CNI_CONTAINERID: "cid1",
      CNI_NETNS: nsPath(container),
      CNI_IFNAME: "eth0",
      CNI_PATH: GO_PLUGINS,
    },
  });
}

function goConfig(ipMasq: boolean, dualStack = false): Record<string, unknown> {
  const ranges = [[{ subnet: "10.97.0.0/24" }]];
  if (dualStack) ranges.push([{ subnet: "fd97::/64" }]);
  return {
    cniVersion: "1.0.0",
    name: "insnet",
    type: "bridge",
    bridge: "cnibr-e",
    isGateway: true,
    ipMasq,
    ipam: { type: "host-local", ranges, dataDir: tempDir() },
  };
}

describe("side by side with the Go bridge 1.1.1 (iptables)", () => {
  it("the iptables backend writes the very rules the Go bridge writes", () => {
    const goHost = newNs("gohost");
    const goCtr = newNs("goctr");
    const ourHost = newNs("host");
    const result = JSON.parse(goBridge("ADD", goHost, goCtr, goConfig(true, true))) as { ips: { address: string }[] };
    expect(result.ips.map((ip) => ip.address)).toEqual(["10.97.0.2/24", "fd97::2/64"]);
    createMasquerade("iptables", { netnsPath: nsPath(ourHost) }).setup(
      "insnet",
      "cid1",
      "eth0",
      result.ips.map((ip) => cidr(ip.address)),
    );
    const go4 = cniNatLines(goHost, 4);
    const go6 = cniNatLines(goHost, 6);
    expect(go4).toHaveLength(4);
    expect(go6).toHaveLength(4);
    expect(cniNatLines(ourHost, 4)).toEqual(go4);
    expect(cniNatLines(ourHost, 6)).toEqual(go6);
  });

  it.each<IpMasqBackend>(["nftables", "iptables"])("%s teardown removes the Go bridge's rules, found by chain name", (backend) => {
    const host = newNs("host");
    const container = newNs("ctr");
    goBridge("ADD", host, container, goConfig(true));
    expect(cniNatLines(host)).toHaveLength(4);
    must("ip", ["netns", "del", container]); // the container and its addresses are gone
    createMasquerade(backend, { netnsPath: nsPath(host) }).teardown("insnet", "cid1", "eth0");
    expect(cniNatLines(host)).toEqual([]);
  });

  it.each<IpMasqBackend>(["nftables", "iptables"])("%s GC removes the Go bridge's rules of a stale container", (backend) => {
    const host = newNs("host");
    const container = newNs("ctr");
    goBridge("ADD", host, container, goConfig(true));
    const masq = createMasquerade(backend, { netnsPath: nsPath(host) });
    masq.gc("insnet", [{ containerId: "cid1", ifName: "eth0" }]);
    expect(cniNatLines(host)).toHaveLength(4);
    masq.gc("othernet", []);
    expect(cniNatLines(host)).toHaveLength(4);
    masq.gc("insnet", []);
    expect(cniNatLines(host)).toEqual([]);
  });

  it("the Go bridge's DEL removes the iptables backend's rules", () => {
    const host = newNs("host");
    const container = newNs("ctr");
    const config = goConfig(false);
    const result = JSON.parse(goBridge("ADD", host, container, config)) as { ips: { address: string }[] };
    createMasquerade("iptables", { netnsPath: nsPath(host) }).setup(
      "insnet",
      "cid1",
      "eth0",
      result.ips.map((ip) => cidr(ip.address)),
    );
    expect(cniNatLines(host)).toHaveLength(4);
    goBridge("DEL", host, container, { ...config, ipMasq: true });
    expect(cniNatLines(host)).toEqual([]);
  });
});

/**
 * Put logging wrappers for the iptables binaries first on PATH while `work` runs (nsenter and the Go
 * plugin find them there). A wrapper exits 1 instead when `<dir>/fail-<name>` exists.
 */
function withIptablesWrappers(work: (calls: () => string[], clear: () => void, dir: string) => void): void {
  const dir = tempDir();
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  for (const name of ["iptables", "ip6tables", "iptables-restore", "ip6tables-restore"]) {
    const wrapper = join(dir, name + ".sh");
    writeFileSync(
      wrapper,
      `#!/bin/sh\necho "${name} $*" >> ${log}\n[ -e ${dir}/fail-${name} ] && exit 1\nexec /usr/sbin/${name} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    symlinkSync(wrapper, join(dir, name));
  }
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath ?? ""}`;
  try {
    work(
      () => readFileSync(log, "utf8").split("\n").filter((line) => line !== "").map((line) => line.split(" ")[0] as string),
      () => writeFileSync(log, ""),
      dir,
    );
  } finally {
    process.env.PATH = savedPath;
  }
}

describe("iptables processes", () => {
  it("nftables teardown and GC start no iptables process on a node without iptables rules, and do with them", () => {
    withIptablesWrappers((calls, clear) => {
      const host = newNs("host");
      const container = newNs("ctr");
      const masq = createMasquerade("nftables", { netnsPath: nsPath(host) });
      masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24")]);
      masq.teardown("insnet", "cid1", "eth0");
      masq.gc("insnet", []);
      expect(calls()).toEqual([]);

      goBridge("ADD", host, container, goConfig(true));
      clear(); // the Go plugin's own calls
      masq.teardown("insnet", "cid1", "eth0");
      expect(calls()).toEqual(["iptables", "iptables-restore"]);
      expect(cniNatLines(host)).toEqual([]);

      // legacy iptables leaves no trace in nftables: its nat table in /proc/net/ip_tables_names is the cue
      inNs(host, "iptables-legacy", ["-t", "nat", "-S"]);
      clear();
      masq.teardown("insnet", "cid2", "eth0");
      expect(calls()).toEqual(["iptables"]);
    });
  });

  it("a failed IPv6 set-up leaves no IPv4 rules behind", () => {
    withIptablesWrappers((_calls, _clear, dir) => {
      const host = newNs("host");
      writeFileSync(join(dir, "fail-ip6tables-restore"), "");
      const masq = createMasquerade("iptables", { netnsPath: nsPath(host) });
      expect(() => masq.setup("insnet", "cid1", "eth0", [cidr("10.97.0.2/24"), cidr("fd97::2/64")])).toThrow(
        /ip6tables-restore --noflush failed: exit status 1/,
      );
      expect(cniNatLines(host, 4)).toEqual([]);
      expect(cniNatLines(host, 6)).toEqual([]);
    });
  });
});
