// Bad input against every plugin executable, as a runtime runs them (env + stdin), its "host" side inside a
// throwaway namespace: every case must end in a CNI error on stdout (right code, a message naming the
// problem), exit 1, no hang, and nothing created — no link in either namespace, no lease file, no nft table.
// The cases are data (built per plugin below) and run with limited parallelism; the assertions per case
// then read the stored outputs. Codes follow docs/protocol.md §5 (and the Go reference where it is debatable).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inNetns, links, type TestNetns } from "./lib/netns";
import { BIN_DIR, ourPlugin } from "./lib/plugin";

type PluginName = "loopback" | "host-local" | "bridge" | "veth" | "tuning" | "portmap" | "firewall";
const ALL_PLUGINS: readonly PluginName[] = ["loopback", "host-local", "bridge", "veth", "tuning", "portmap", "firewall"];
/** BAD_INPUT_ONLY=bridge,veth narrows a run while working on one executable. */
const PLUGINS: readonly PluginName[] = ALL_PLUGINS.filter((p) => (process.env.BAD_INPUT_ONLY ?? p).split(",").includes(p));
const VERBS = ["ADD", "DEL", "CHECK"] as const;

/** One bad invocation: env changes on top of the valid base, the stdin, and what must come back. */
interface BadCase {
  title: string;
  command: string | undefined;
  /** overrides of the base environment; undefined removes the variable */
  env: Record<string, string | undefined>;
  /** a config object (JSON-encoded) or the raw bytes to send; STDIN_IS_A_DIRECTORY / STDIN_IS_DEV_NULL as said */
  stdin: unknown;
  code: number;
  /** what the message (msg + details) must name */
  mention: string | RegExp;
}

interface CaseOutput {
  status: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** stdin opened on a directory: reading it fails (EISDIR), an I/O error (code 5) */
const STDIN_IS_A_DIRECTORY = Symbol("stdin is a directory");
/** stdin at /dev/null, as when a runtime gives none: an empty config (code 6) */
const STDIN_IS_DEV_NULL = Symbol("stdin is /dev/null");

/** The spawn timeout: the bound for "no hang", not a timing assertion. */
const SPAWN_TIMEOUT_MS = 20_000;
const TEN_MB = 10 * 1024 * 1024;

// Names fixed when the file loads, so the cases (data) can be built before the namespaces exist.
// Each executable gets its own "host" and container namespace and data directory: the groups run at
// the same time, and a leftover is then attributable to one executable.
const RUN_ID = `${process.pid}-${randomBytes(3).toString("hex")}`;
const workDir = join(tmpdir(), `cni-bad-input-${RUN_ID}`);
function netnsFor(role: string, plugin: PluginName): TestNetns {
  const name = `pbad-${role}-${plugin}-${RUN_ID}`;
  return { name, path: `/var/run/netns/${name}` };
}
const hostOf = (plugin: PluginName): TestNetns => netnsFor("h", plugin);
const containerOf = (plugin: PluginName): TestNetns => netnsFor("c", plugin);
const dataDirOf = (plugin: PluginName): string => join(workDir, `data-${plugin}`);
const NOT_A_NETNS_TARGETS: Record<string, string> = {
  "a regular file": join(workDir, "regular-file"),
  "a directory": join(workDir, "directory"),
  "a FIFO": join(workDir, "fifo"),
  "a unix socket": join(workDir, "socket"),
  "/dev/null": "/dev/null",
  "a missing path": join(workDir, "no-such-netns"),
};
/** netns paths that are not network namespaces, by what they are */
const notNetns: Record<string, string> = {};
for (const [what, path] of Object.entries(NOT_A_NETNS_TARGETS)) {
  notNetns[what] = path;
  notNetns[`a symlink to ${what}`] = join(workDir, `link-to-${what.replace(/[^a-z]+/g, "-")}`);
}
notNetns["a mount namespace"] = "/proc/self/ns/mnt";
notNetns["a relative path"] = "netns-relative";
notNetns["an overlong path"] = `/${"n".repeat(5000)}`;

let socketServer: Server | undefined;
let totalCases = 0;

const OUTPUTS = new Map<PluginName, CaseOutput[]>();

beforeAll(async () => {
  for (const plugin of PLUGINS) {
    execFileSync("ip", ["netns", "add", hostOf(plugin).name]);
    execFileSync("ip", ["netns", "add", containerOf(plugin).name]);
    mkdirSync(dataDirOf(plugin), { recursive: true });
  }
  writeFileSync(NOT_A_NETNS_TARGETS["a regular file"]!, "not a namespace\n");
  mkdirSync(NOT_A_NETNS_TARGETS["a directory"]!);
  execFileSync("mkfifo", [NOT_A_NETNS_TARGETS["a FIFO"]!]);
  const server = createServer();
  socketServer = server;
  await new Promise<void>((done) => server.listen(NOT_A_NETNS_TARGETS["a unix socket"]!, done));
  for (const [what, path] of Object.entries(NOT_A_NETNS_TARGETS)) symlinkSync(path, notNetns[`a symlink to ${what}`]!);
  // One executable after another within a group (cases that get past validation share a bridge and
  // an IPAM range); the groups at once.
  await Promise.all(
    PLUGINS.map(async (plugin) => {
      const cases = CASES.get(plugin)!;
      totalCases += cases.length;
      OUTPUTS.set(plugin, await runGroup(plugin, cases));
    }),
  );
}, 600_000);

afterAll(async () => {
  for (const ns of PLUGINS.flatMap((plugin) => [hostOf(plugin), containerOf(plugin)])) {
    try {
      execFileSync("ip", ["netns", "del", ns.name], { stdio: "ignore" });
    } catch {
      // never created
    }
  }
  const server = socketServer;
  if (server) await new Promise<void>((done) => server.close(() => done()));
  rmSync(workDir, { recursive: true, force: true });
  console.log(`bad-input matrix: ${totalCases} cases against ${PLUGINS.length} executables`);
});

// ---------------------------------------------------------------- base configs (valid)

function ipamSection(plugin: PluginName): Record<string, unknown> {
  return { type: "host-local", ranges: [[{ subnet: "10.222.0.0/24" }]], dataDir: dataDirOf(plugin) };
}

function baseConfig(plugin: PluginName, version = "1.1.0"): Record<string, unknown> {
  const common = { cniVersion: version, name: "badnet" };
  switch (plugin) {
    case "loopback":
      return { ...common, type: "loopback" };
    case "host-local":
      return { ...common, type: "host-local", ipam: ipamSection(plugin) };
    case "bridge":
      return { ...common, type: "bridge", bridge: "badbr0", isGateway: true, ipMasq: true, ipam: ipamSection(plugin) };
    case "veth":
      return { ...common, type: "veth", ipMasq: true, ipam: ipamSection(plugin) };
    case "tuning":
      // chained: prevResult is part of a valid config; the sysctl needs no link, so ADD succeeds without one
      return { ...common, type: "tuning", dataDir: dataDirOf(plugin), sysctl: { "net.core.somaxconn": "512" }, prevResult: prevResultIn(containerOf(plugin).path) };
    case "firewall":
      // chained; the nftables backend starts no process and writes only in the test's host namespace
      return { ...common, type: "firewall", backend: "nftables", prevResult: prevResultIn(containerOf(plugin).path) };
    case "portmap":
      return {
        ...common,
        type: "portmap",
        capabilities: { portMappings: true },
        runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
        prevResult: prevResultIn(containerOf(plugin).path),
      };
  }
}

/** A prevResult that parses and names `netns`, for CHECK cases that must get past "prevResult missing". */
function prevResultIn(netns: string): Record<string, unknown> {
  return {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", sandbox: netns }],
    ips: [{ interface: 0, address: "10.222.0.2/24", gateway: "10.222.0.1" }],
  };
}

function withKey(config: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(config);
  const parts = path.split(".");
  let at: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]!] = value;
  return copy;
}

// ---------------------------------------------------------------- the cases

/** Keys each plugin reads and a value of the wrong JSON type for each (reference-plugins.md §1.2, §1.3, §1.5). */
const COMMON_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["cniVersion", 110],
  ["name", 42],
  ["type", ["bridge"]],
  ["ipam", "host-local"],
  ["dns", ["8.8.8.8"]],
  ["dns.nameservers", "8.8.8.8"],
  ["dns.domain", 7],
  ["dns.search", "example.com"],
  ["dns.options", [1]],
  ["runtimeConfig", true],
  ["prevResult", "none"],
];
const IPAM_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["ipam.type", 1],
  ["ipam.ranges", { subnet: "10.222.0.0/24" }],
  ["ipam.ranges", ["10.222.0.0/24"]],
  ["ipam.routes", { dst: "0.0.0.0/0" }],
  ["ipam.routes", [{ dst: 0 }]],
  ["ipam.dataDir", false],
  ["ipam.resolvConf", 5],
  ["ipam.subnet", 10],
  ["ipam.rangeStart", []],
  ["ipam.gateway", {}],
  ["args", "IP=10.222.0.9"],
  ["args.cni", ["ips"]],
  ["args.cni.ips", "10.222.0.9"],
  ["args.cni.ips", [10]],
  ["runtimeConfig.ips", "10.222.0.9"],
  ["runtimeConfig.ipRanges", "10.222.0.0/24"],
  ["runtimeConfig.ipRanges", [{ subnet: "10.222.0.0/24" }]],
];
const MASQ_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["ipMasq", "true"],
  ["ipMasqBackend", 1],
  ["mtu", "1500"],
  ["mtu", 1500.5],
  ["enabledad", 1],
  ["runtimeConfig.mac", 5],
  ["args.cni.mac", true],
];
const BRIDGE_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["bridge", 0],
  ["isGateway", "yes"],
  ["isDefaultGateway", 1],
  ["forceAddress", "no"],
  ["hairpinMode", "on"],
  ["promiscMode", 0],
  ["vlan", "10"],
  ["vlan", 1.5],
  ["vlanTrunk", { id: 10 }],
  ["vlanTrunk", [10]],
  ["vlanTrunk", [{ id: "10" }]],
  ["vlanTrunk", [{ minID: "1", maxID: 3 }]],
  ["preserveDefaultVlan", "false"],
  ["macspoofchk", 1],
  ["disableContainerInterface", "true"],
  ["portIsolation", []],
];

const PORTMAP_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["runtimeConfig.portMappings", { hostPort: 8080 }],
  ["runtimeConfig.portMappings", [8080]],
  ["runtimeConfig.portMappings", [{ hostPort: "8080", containerPort: 80, protocol: "tcp" }]],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80.5, protocol: "tcp" }]],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80, protocol: 6 }]],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: 1 }]],
  ["snat", "yes"],
  ["masqAll", 1],
  ["markMasqBit", "13"],
  ["externalSetMarkChain", true],
  ["conditionsV4", "! -d 10.0.0.0/8"],
  ["conditionsV6", [1]],
  ["backend", 1],
];

/** Values of the right type that the plugin must refuse, with what the message names. */
const BRIDGE_BAD_VALUES: Array<[key: string, value: unknown, mention: string]> = [
  ["vlan", 4095, "vlan"],
  ["vlan", -1, "vlan"],
  ["vlanTrunk", [{ id: 0 }], "vlanTrunk"],
  ["vlanTrunk", [{ id: 5000 }], "vlanTrunk"],
  ["vlanTrunk", [{ minID: 10, maxID: 5 }], "vlanTrunk"],
  ["vlanTrunk", [{ minID: 10 }], "vlanTrunk"],
  ["vlanTrunk", [{ maxID: 10 }], "vlanTrunk"],
  ["mtu", -1, "mtu"],
  ["ipMasqBackend", "pf", "ipMasqBackend"],
  ["bridge", "a-bridge-name-too-long", "bridge"],
  ["bridge", "br/0", "bridge"],
  ["runtimeConfig.mac", "zz:zz:zz:zz:zz:zz", "runtimeConfig.mac"],
  ["runtimeConfig.mac", "01:00:5e:00:00:01", "runtimeConfig.mac"],
  ["args.cni.mac", "0a:58", "args.cni.mac"],
];
const TUNING_WRONG_TYPES: Array<[key: string, value: unknown]> = [
  ["sysctl", ["net.core.somaxconn"]],
  ["sysctl", { "net/core/somaxconn": 512 }],
  ["mac", 5],
  ["mtu", "1500"],
  ["mtu", 1500.5],
  ["promisc", "true"],
  ["allmulti", 1],
  ["txQLen", "10"],
  ["dataDir", false],
  ["runtimeConfig.mac", 5],
  ["args", "MAC=0a:00:00:00:00:01"],
  ["args.cni", ["mtu"]],
  ["args.cni.mac", true],
  ["args.cni.mtu", "1400"],
  ["args.cni.sysctl", []],
];
/** Refused before the container's link is looked up (the bad-input container has none). */
const TUNING_BAD_VALUES: Array<[key: string, value: unknown, mention: string]> = [
  ["sysctl", { "kernel.hostname": "x" }, "kernel.hostname"],
  ["sysctl", { "net/../kernel/hostname": "x" }, "net/../kernel/hostname"],
  ["sysctl", { "/proc/sys/net/core/somaxconn": "1" }, "/proc/sys/net/core/somaxconn"],
  ["sysctl", { "net.core.somaxconn": "" }, "net.core.somaxconn"],
  ["sysctl", { "net.core.somaxconn": "1", "net/core/somaxconn": "2" }, "duplicated sysctl keys"],
  ["sysctl", { "net.ipv4.nosuch": "1" }, "net.ipv4.nosuch"],
  ["sysctl", { "net.core.somaxconn": "banana" }, "net.core.somaxconn"],
  ["mac", "zz:00", "mac"],
  ["mac", "01:00:5e:00:00:01", "mac"],
  ["mtu", -1, "mtu"],
  ["txQLen", -1, "txQLen"],
  ["txQLen", 2 ** 32, "txQLen"],
  ["runtimeConfig.mac", "0a:58", "runtimeConfig.mac"],
  ["args.cni.mac", "not-a-mac", "args.cni.mac"],
];
const VETH_BAD_VALUES: Array<[key: string, value: unknown, mention: string]> = [
  ["mtu", -1, "mtu"],
  ["ipMasqBackend", "pf", "ipMasqBackend"],
  ["runtimeConfig.mac", "not-a-mac", "runtimeConfig.mac"],
];
const PORTMAP_BAD_VALUES: Array<[key: string, value: unknown, mention: string]> = [
  ["runtimeConfig.portMappings", [{ hostPort: 0, containerPort: 80, protocol: "tcp" }], "portMappings[0].hostPort"],
  ["runtimeConfig.portMappings", [{ hostPort: 65536, containerPort: 80, protocol: "tcp" }], "portMappings[0].hostPort"],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: -80, protocol: "tcp" }], "portMappings[0].containerPort"],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80, protocol: "icmp" }], "portMappings[0].protocol"],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80 }], "portMappings[0].protocol"],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "10.0.0.300" }], "portMappings[0].hostIP"],
  ["runtimeConfig.portMappings", [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "fd00::1" }], "portMappings[0].hostIP"],
  ["markMasqBit", 32, "markMasqBit"],
  ["backend", "bpf", "backend"],
  ["conditionsV4", ["ip", "saddr", "banana"], "conditionsV4[2]"],
];
const IPAM_BAD_VALUES: Array<[key: string, value: unknown, mention: string | RegExp]> = [
  ["ipam.ranges", [[{ subnet: "10.222.0.1/24" }]], "host bits"],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/31" }]], "too small"],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/33" }]], "10.222.0.0/33"],
  ["ipam.ranges", [[{ subnet: "not-a-subnet" }]], "not-a-subnet"],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/24", rangeStart: "10.9.0.5" }]], /10\.9\.0\.5/],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/24", rangeEnd: "10.222.1.5" }]], /10\.222\.1\.5/],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/24", gateway: "banana" }]], "banana"],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/24" }, { subnet: "fd00:222::/64" }]], "mixed"],
  ["ipam.ranges", [[{ subnet: "10.222.0.0/24" }], [{ subnet: "10.222.0.0/25" }]], "overlap"],
  ["ipam.ranges", [[]], /range set|empty|ranges/],
  ["ipam.ranges", [], "no IP ranges"],
  ["args.cni.ips", ["10.222.0.300"], "10.222.0.300"],
  ["runtimeConfig.ips", ["fd00::zz"], "fd00::zz"],
];

const VERSION_BAD: Array<[version: unknown, code: number, mention: string | RegExp]> = [
  ["9.9.9", 1, "9.9.9"],
  ["1.0", 1, "1.0"],
  ["v1.0.0", 1, "v1.0.0"],
  ["1.0.0.0", 1, "1.0.0.0"],
  ["1.1.0 ", 1, "1.1.0 "],
  ["0.5.0", 1, "0.5.0"],
  ["1.2.0", 1, "1.2.0"],
  ["-1", 1, "-1"],
  [1.1, 7, "cniVersion"],
  [["1.1.0"], 7, "cniVersion"],
];

function buildCases(plugin: PluginName): BadCase[] {
  const cases: BadCase[] = [];
  const base = baseConfig(plugin);
  const host = hostOf(plugin);
  const PREV_RESULT = prevResultIn(containerOf(plugin).path);
  const add = (title: string, partial: Partial<BadCase> & Pick<BadCase, "code" | "mention">): void => {
    cases.push({ title, command: "ADD", env: {}, stdin: base, ...partial });
  };
  const delegates = plugin === "bridge" || plugin === "veth";
  // loopback, portmap and firewall never read CNI_ARGS (as the reference's)
  const readsCniArgs = plugin !== "loopback" && plugin !== "portmap" && plugin !== "firewall";
  const usesIpam = plugin === "host-local" || delegates;

  // -- the environment, for every per-container verb
  for (const verb of VERBS) {
    const stdin = verb === "CHECK" ? { ...base, prevResult: PREV_RESULT } : base;
    const v = (title: string, env: BadCase["env"], code: number, mention: string | RegExp): void =>
      add(`${verb}: ${title}`, { command: verb, env, stdin, code, mention });
    v("CNI_CONTAINERID unset", { CNI_CONTAINERID: undefined }, 4, "CNI_CONTAINERID");
    v("CNI_CONTAINERID empty", { CNI_CONTAINERID: "" }, 4, "CNI_CONTAINERID");
    v("CNI_CONTAINERID starting with -", { CNI_CONTAINERID: "-c1" }, 4, "containerID");
    v("CNI_CONTAINERID with a /", { CNI_CONTAINERID: "../../etc" }, 4, "containerID");
    v("CNI_CONTAINERID with a space", { CNI_CONTAINERID: "c 1" }, 4, "containerID");
    v("CNI_CONTAINERID non-ASCII", { CNI_CONTAINERID: "cöntainer" }, 4, "containerID");
    v("CNI_CONTAINERID overlong, bad at the end", { CNI_CONTAINERID: `${"c".repeat(100_000)};` }, 4, "containerID");
    v("CNI_IFNAME unset", { CNI_IFNAME: undefined }, 4, "CNI_IFNAME");
    v("CNI_IFNAME empty", { CNI_IFNAME: "" }, 4, "CNI_IFNAME");
    v("CNI_IFNAME 16 bytes", { CNI_IFNAME: "eth0123456789abc" }, 4, "too long");
    v("CNI_IFNAME overlong", { CNI_IFNAME: "e".repeat(100_000) }, 4, "too long");
    v("CNI_IFNAME 8 two-byte chars", { CNI_IFNAME: "éééééééé" }, 4, "too long");
    v("CNI_IFNAME .", { CNI_IFNAME: "." }, 4, "interface name");
    v("CNI_IFNAME ..", { CNI_IFNAME: ".." }, 4, "interface name");
    v("CNI_IFNAME with /", { CNI_IFNAME: "eth/0" }, 4, "interface name");
    v("CNI_IFNAME with :", { CNI_IFNAME: "eth:0" }, 4, "interface name");
    v("CNI_IFNAME with a tab", { CNI_IFNAME: "eth\t0" }, 4, "interface name");
    v("every variable unset", { CNI_CONTAINERID: undefined, CNI_NETNS: undefined, CNI_IFNAME: undefined }, 4,
      verb === "DEL" ? "CNI_CONTAINERID,CNI_IFNAME" : "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME");
    if (verb !== "DEL") {
      v("CNI_NETNS unset", { CNI_NETNS: undefined }, 4, "CNI_NETNS");
      v("CNI_NETNS empty", { CNI_NETNS: "" }, 4, "CNI_NETNS");
    }
    if (readsCniArgs && !(plugin === "tuning" && verb === "DEL")) {
      v("CNI_ARGS without =", { CNI_ARGS: "garbage" }, 4, "garbage");
      v("CNI_ARGS unknown key", { CNI_ARGS: "FOO=bar" }, 4, "FOO=bar");
      v("CNI_ARGS empty key", { CNI_ARGS: "=x" }, 4, "=x");
      v("CNI_ARGS bad IgnoreUnknown", { CNI_ARGS: "IgnoreUnknown=maybe;FOO=bar" }, 4, "IgnoreUnknown");
      v("CNI_ARGS overlong unknown", { CNI_ARGS: `K8S_POD_NAME=${"p".repeat(100_000)};X` }, 4, "ARGS");
      if (verb === "ADD") {
        v("CNI_ARGS IP not an address", { CNI_ARGS: "IP=10.222.0.256" }, 4, "10.222.0.256");
        v("CNI_ARGS IP lower-case key", { CNI_ARGS: "ip=10.222.0.9" }, 4, "ip=10.222.0.9");
      }
      if (delegates && verb === "ADD") {
        v("CNI_ARGS MAC not a MAC", { CNI_ARGS: "MAC=zz:zz:zz:zz:zz:zz" }, 4, "MAC");
      }
    }
    if (delegates) {
      v("CNI_PATH unset", { CNI_PATH: undefined }, 4, "CNI_PATH");
      if (verb === "ADD") v("CNI_PATH without the IPAM plugin", { CNI_PATH: "/nonexistent/dir" }, 4, "host-local");
    }
  }

  // -- the command itself
  add("CNI_COMMAND unknown", { command: "FOO", code: 4, mention: "FOO" });
  add("CNI_COMMAND lower case", { command: "add", code: 4, mention: "add" });
  add("CNI_COMMAND with a trailing space", { command: "ADD ", code: 4, mention: "ADD " });
  add("CNI_COMMAND overlong", { command: "A".repeat(100_000), code: 4, mention: "CNI_COMMAND" });
  add("STATUS with a 1.0.0 config", { command: "STATUS", stdin: baseConfig(plugin, "1.0.0"), code: 1, mention: "STATUS" });
  add("GC with a 1.0.0 config", { command: "GC", stdin: baseConfig(plugin, "1.0.0"), code: 1, mention: "GC" });
  // firewall speaks 0.4.0 and later only (as the reference): a 0.3.1 config is an unsupported version to it,
  // refused in the latest version (test/firewall.test.ts has that case)
  if (plugin !== "firewall") add("CHECK with a 0.3.1 config", { command: "CHECK", stdin: baseConfig(plugin, "0.3.1"), code: 1, mention: "CHECK" });
  add("GC without CNI_PATH", { command: "GC", env: { CNI_PATH: undefined }, stdin: { ...base, "cni.dev/valid-attachments": [] }, code: 4, mention: "CNI_PATH" });
  // Loopback has no GC (as the reference: it succeeds without reading the list); host-local's CHECK looks
  // for the lease, not at prevResult, and host-local never opens CNI_NETNS (neither does the reference).
  // tuning keeps nothing GC could judge (as the reference, it has no GC): it does not read the list either
  if (plugin !== "loopback" && plugin !== "tuning") {
    add("GC without the attachment list", { command: "GC", code: 7, mention: "cni.dev/valid-attachments" });
    add("GC with a non-list attachments", { command: "GC", stdin: { ...base, "cni.dev/valid-attachments": {} }, code: 7, mention: "cni.dev/valid-attachments" });
    add("GC with a bad attachment", { command: "GC", stdin: { ...base, "cni.dev/valid-attachments": [{ containerID: 1, ifname: "eth0" }] }, code: 7, mention: "containerID" });
  }
  // Bridge and veth CHECK their IPAM before anything else (as the reference), so with no lease they
  // report the IPAM's "not found" first; only loopback, tuning and portmap reach the prevResult check, and
  // all but veth, host-local and portmap the netns (bridge opens it before IPAM, veth after).
  if (plugin === "loopback" || plugin === "tuning") {
    add("CHECK without prevResult", { command: "CHECK", stdin: { ...base, prevResult: undefined }, code: 7, mention: /prevResult/i });
  }
  if (plugin === "portmap") {
    add("ADD without prevResult", { stdin: { ...base, prevResult: undefined }, code: 7, mention: "chained" });
    add("CHECK without prevResult", { command: "CHECK", stdin: { ...base, prevResult: undefined }, code: 7, mention: /prevResult/i });
  }
  if (plugin === "firewall") {
    add("ADD without prevResult", { stdin: { ...base, prevResult: undefined }, code: 7, mention: /prevResult/i });
    add("CHECK without prevResult", { command: "CHECK", stdin: { ...base, prevResult: undefined }, code: 7, mention: /prevResult/i });
  }
  // portmap and firewall, like host-local, never open CNI_NETNS (their rules are the host's)
  if (plugin !== "host-local" && plugin !== "portmap" && plugin !== "firewall") {
    // -- CNI_NETNS that is not a network namespace
    for (const [what, path] of Object.entries(notNetns)) {
      add(`ADD: CNI_NETNS is ${what}`, { env: { CNI_NETNS: path }, code: 4, mention: path.slice(0, 200) });
      const stdin = { ...base, prevResult: prevResultIn(path) };
      if (plugin !== "veth") add(`CHECK: CNI_NETNS is ${what}`, { command: "CHECK", env: { CNI_NETNS: path }, stdin, code: 4, mention: path.slice(0, 200) });
      // DEL treats a path that does not exist as a namespace already gone (success); anything else is refused
      if (!/missing|relative/.test(what)) add(`DEL: CNI_NETNS is ${what}`, { command: "DEL", env: { CNI_NETNS: path }, code: 4, mention: path.slice(0, 200) });
    }
  }
  // -- CNI_NETNS that is the plugin's own
  for (const verb of VERBS) {
    const stdin = verb === "CHECK" ? { ...base, prevResult: PREV_RESULT } : base;
    add(`${verb}: CNI_NETNS is the plugin's own (by its path)`, { command: verb, env: { CNI_NETNS: host.path }, stdin, code: 8, mention: "netns" });
    add(`${verb}: CNI_NETNS is /proc/self/ns/net`, { command: verb, env: { CNI_NETNS: "/proc/self/ns/net" }, stdin, code: 8, mention: "netns" });
  }
  add("ADD: CNI_NETNS is /proc/thread-self/ns/net", { env: { CNI_NETNS: "/proc/thread-self/ns/net" }, code: 8, mention: "netns" });

  // -- stdin that is not a config
  for (const verb of ["ADD", "DEL"] as const) {
    const s = (title: string, stdin: unknown, code: number, mention: string | RegExp): void =>
      add(`${verb}: stdin ${title}`, { command: verb, stdin, code, mention });
    s("empty", "", 6, "unmarshall");
    s("/dev/null", STDIN_IS_DEV_NULL, 6, "unmarshall");
    s("a directory (unreadable)", STDIN_IS_A_DIRECTORY, 5, "stdin");
    s("whitespace only", " \n\t", 6, "unmarshall");
    s("not JSON", "{not json", 6, "unmarshall");
    s("truncated JSON", JSON.stringify(base).slice(0, 30), 6, "unmarshall");
    s("a JSON array", "[]", 6, "array");
    s("JSON null", "null", 6, "null");
    s("a JSON number", "42", 6, "number");
    s("a JSON string", '"config"', 6, "string");
    s("two JSON objects", `${JSON.stringify(base)}{}`, 6, "unmarshall");
    s("with a NUL byte between tokens", `{"cniVersion":"1.1.0",\u0000"name":"badnet"}`, 6, "unmarshall");
    s("a NUL byte in the network name", withKey(base, "name", "bad\u0000net"), 7, "network name");
    s("raw bytes that are not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 6, "unmarshall");
    s("with a byte-order mark", `\ufeff${JSON.stringify(base)}`, 6, "unmarshall");
    s("nested 100,000 deep", `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, 6, "depth");
    s("10 MB of garbage", "x".repeat(TEN_MB), 6, "unmarshall");
    s("10 MB of valid JSON with a wrong-typed name", JSON.stringify({ ...base, pad: "p".repeat(TEN_MB), name: 5 }), 7, "name");
    s("without a network name", { ...base, name: undefined }, 7, "network name");
    s("with an empty network name", { ...base, name: "" }, 7, "network name");
    s("with a / in the network name", { ...base, name: "../../etc" }, 7, "network name");
  }

  // -- versions
  for (const [version, code, mention] of VERSION_BAD) {
    add(`ADD: cniVersion ${JSON.stringify(version)}`, { stdin: { ...base, cniVersion: version }, code, mention });
  }
  add("ADD: prevResult of an unsupported version", { stdin: { ...base, prevResult: { ...PREV_RESULT, cniVersion: "9.9.9" } }, code: 1, mention: "9.9.9" });
  add("ADD: prevResult with a bad address", { stdin: { ...base, prevResult: { ...PREV_RESULT, ips: [{ address: "10.0.0.1" }] } }, code: 7, mention: /prevResult/ });

  // -- a wrong JSON type for each known key
  const wrongTypes = [...COMMON_WRONG_TYPES];
  if (usesIpam) wrongTypes.push(...IPAM_WRONG_TYPES);
  if (plugin === "portmap") wrongTypes.push(...PORTMAP_WRONG_TYPES);
  if (plugin === "bridge" || plugin === "veth") wrongTypes.push(...MASQ_WRONG_TYPES);
  if (plugin === "bridge") wrongTypes.push(...BRIDGE_WRONG_TYPES);
  if (plugin === "tuning") wrongTypes.push(...TUNING_WRONG_TYPES);
  for (const [key, value] of wrongTypes) {
    const mention = key === "prevResult" || key === "ipam" ? key : key.split(".").pop()!;
    add(`ADD: "${key}" is ${JSON.stringify(value)}`, { stdin: withKey(base, key, value), code: 7, mention });
  }
  // -- right type, refused value
  const badValues: Array<[string, unknown, string | RegExp]> = [];
  if (usesIpam) badValues.push(...IPAM_BAD_VALUES);
  if (plugin === "portmap") badValues.push(...PORTMAP_BAD_VALUES);
  if (plugin === "bridge") badValues.push(...BRIDGE_BAD_VALUES);
  if (plugin === "veth") badValues.push(...VETH_BAD_VALUES);
  if (plugin === "tuning") badValues.push(...TUNING_BAD_VALUES);
  for (const [key, value, mention] of badValues) {
    add(`ADD: "${key}" is ${JSON.stringify(value)}`, { stdin: withKey(base, key, value), code: 7, mention });
  }
  if (plugin === "bridge") {
    add("ADD: hairpinMode with promiscMode", { stdin: { ...base, hairpinMode: true, promiscMode: true }, code: 7, mention: "hairpin" });
    add("ADD: disableContainerInterface with IPAM", { stdin: { ...base, disableContainerInterface: true }, code: 7, mention: "IPAM" });
  }
  if (plugin === "veth") {
    add("ADD: no ipam", { stdin: { ...base, ipam: undefined }, code: 7, mention: "ipam" });
    add("ADD: ipam without a type", { stdin: { ...base, ipam: { ranges: [[{ subnet: "10.222.0.0/24" }]] } }, code: 7, mention: "ipam" });
  }
  if (plugin === "tuning") {
    add("ADD: no prevResult", { stdin: { ...base, prevResult: undefined }, code: 7, mention: "prevResult" });
    add("ADD: a sysctl key written twice", { stdin: JSON.stringify(base).replace('"sysctl":{', '"sysctl":{"net.core.somaxconn":"1",'), code: 7, mention: "duplicated sysctl keys" });
    add("ADD: CNI_ARGS MAC not a MAC", { env: { CNI_ARGS: "MAC=zz:zz:zz:zz:zz:zz" }, code: 4, mention: "MAC" });
    add("ADD: a link attribute for an interface that is not there", { stdin: { ...base, mtu: 1400 }, code: 999, mention: '"eth0"' });
  }
  if (plugin === "host-local") {
    add("ADD: no ipam", { stdin: { ...base, ipam: undefined }, code: 7, mention: "ipam" });
    add("ADD: 0.2.0 with two IPv4 range sets", { stdin: withKey(baseConfig(plugin, "0.2.0"), "ipam.ranges", [[{ subnet: "10.222.0.0/24" }], [{ subnet: "10.223.0.0/24" }]]), code: 7, mention: "0.2.0" });
  }
  // -- refused only when used: the data directory, resolv.conf, requested addresses, the name as a path
  if (usesIpam) {
    const dataDirFile = NOT_A_NETNS_TARGETS["a regular file"]!;
    add("ADD: ipam.dataDir is a regular file", { stdin: withKey(base, "ipam.dataDir", dataDirFile), code: 5, mention: dataDirFile });
    add("ADD: ipam.resolvConf does not exist", { stdin: withKey(base, "ipam.resolvConf", "/nonexistent/resolv.conf"), code: 5, mention: "/nonexistent/resolv.conf" });
    add("ADD: args.cni.ips outside every range", { stdin: withKey(base, "args.cni.ips", ["10.9.9.9"]), code: 102, mention: "10.9.9.9" });
    add("ADD: runtimeConfig.ips outside every range", { stdin: withKey(base, "runtimeConfig.ips", ["10.9.9.8/24"]), code: 102, mention: "10.9.9.8" });
    add("ADD: CNI_ARGS IP outside every range", { env: { CNI_ARGS: "IP=10.9.9.7" }, code: 102, mention: "10.9.9.7" });
    add("ADD: a network name too long for a directory", { stdin: { ...base, name: "n".repeat(300) }, code: 5, mention: "n".repeat(100) });
  }
  if (delegates) {
    add("ADD: CNI_IFNAME is the container's lo", { env: { CNI_IFNAME: "lo" }, code: 999, mention: '"lo"' });
    add("ADD: ipam.type not on CNI_PATH", { stdin: withKey(base, "ipam.type", "nosuch-ipam"), code: 4, mention: "nosuch-ipam" });
  }
  if (plugin === "bridge") {
    add("ADD: bridge names a link that is not a bridge", { stdin: { ...base, bridge: "lo" }, code: 999, mention: "not a bridge" });
    add("ADD: mtu above the device maximum", { stdin: { ...base, mtu: 70000 }, code: 999, mention: "mtu" });
  }
  if (delegates) {
    add("ADD: ipam.type with a /", { stdin: withKey(base, "ipam.type", "../host-local"), code: 7, mention: "../host-local" });
  }
  return cases;
}

// ---------------------------------------------------------------- running

/** The valid environment a case changes; each case its own container id, so a lease names its case. */
function baseEnv(plugin: PluginName, index: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_CONTAINERID: `bad-${plugin}-${index}`,
    CNI_NETNS: containerOf(plugin).path,
    CNI_IFNAME: "eth0",
    CNI_PATH: BIN_DIR,
  };
}

function runCase(plugin: PluginName, index: number, c: BadCase): Promise<CaseOutput> {
  const env: Record<string, string> = baseEnv(plugin, index);
  if (c.command !== undefined) env.CNI_COMMAND = c.command;
  for (const [key, value] of Object.entries(c.env)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const special = c.stdin === STDIN_IS_A_DIRECTORY || c.stdin === STDIN_IS_DEV_NULL;
  const input = special ? "" : typeof c.stdin === "string" || Buffer.isBuffer(c.stdin) ? c.stdin : JSON.stringify(c.stdin);
  const stdinFd = c.stdin === STDIN_IS_A_DIRECTORY ? openSync(workDir, "r") : c.stdin === STDIN_IS_DEV_NULL ? openSync("/dev/null", "r") : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", hostOf(plugin).name, ourPlugin(plugin)], { env, cwd: workDir, stdio: [stdinFd ?? "pipe", "pipe", "pipe"] });
    if (stdinFd !== undefined) closeSync(stdinFd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, SPAWN_TIMEOUT_MS);
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    // The plugin may fail (and close stdin) before reading 10 MB: a broken pipe is not the test's error.
    child.stdin?.on("error", () => undefined);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    child.stdin?.end(input);
  });
}

async function runGroup(plugin: PluginName, cases: readonly BadCase[]): Promise<CaseOutput[]> {
  const outputs: CaseOutput[] = [];
  for (let i = 0; i < cases.length; i++) outputs.push(await runCase(plugin, i, cases[i]!));
  return outputs;
}

interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

function parseError(stdout: string): CniErrorJson | undefined {
  try {
    const value = JSON.parse(stdout) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    return value as CniErrorJson;
  } catch {
    return undefined;
  }
}

function linkNames(ns: TestNetns): string[] {
  return links(ns).map((l) => l.ifname).sort();
}

/**
 * Lease files under a host-local data directory: files named by an address. host-local's own
 * bookkeeping (`lock`, `last_reserved_ip.N`, its `.host-local-index/`) stays, as the reference's does.
 */
function leaseFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory() || entry.parentPath.includes(".host-local-index")) continue;
    if (entry.name === "lock" || entry.name.startsWith("last_reserved_ip.")) continue;
    found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

const SUPPORTED_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** The cniVersion the error must carry: the config's when it is readable and supported, else 1.1.0. */
function errorVersionFor(c: BadCase): string {
  const stdin = c.stdin;
  if (typeof stdin !== "object" || stdin === null || Buffer.isBuffer(stdin) || Array.isArray(stdin)) return "1.1.0";
  const version = (stdin as Record<string, unknown>).cniVersion;
  if (version === undefined || version === "") return "0.1.0";
  return typeof version === "string" && SUPPORTED_VERSIONS.includes(version) ? version : "1.1.0";
}

// ---------------------------------------------------------------- the matrix, one group per executable

const CASES = new Map<PluginName, BadCase[]>();
for (const plugin of PLUGINS) CASES.set(plugin, buildCases(plugin));

for (const plugin of PLUGINS) {
  describe(`bad input: ${plugin}`, () => {
    const cases = CASES.get(plugin)!;

    it.each(cases.map((c, i) => [c.title, i] as const))("%s", (_title, i) => {
      const c = cases[i]!;
      const out = OUTPUTS.get(plugin)![i]!;
      const context = `${plugin} #${i} — ${c.title}\nstdout: ${out.stdout.slice(0, 600)}\nstderr: ${out.stderr.slice(0, 600)}`;
      expect(out.timedOut, context).toBe(false);
      expect(out.status, context).toBe(1);
      const error = parseError(out.stdout);
      expect(error, context).toBeDefined();
      expect(error!.code, context).toBe(c.code);
      expect(typeof error!.msg, context).toBe("string");
      expect(error!.msg.length, context).toBeGreaterThan(0);
      // the error speaks the config's version once that is known to be a supported one, else the newest
      expect(error!.cniVersion, context).toBe(errorVersionFor(c));
      const text = `${error!.msg} ${error!.details ?? ""}`;
      if (typeof c.mention === "string") expect(text, context).toContain(c.mention);
      else expect(text, context).toMatch(c.mention);
      expect(out.stdout + out.stderr, context).not.toMatch(/\n\s+at /);
    });

    it("left nothing behind: no link in either namespace, no lease file, no nft table, no iptables rule", () => {
      expect(OUTPUTS.get(plugin)?.length).toBe(cases.length);
      const host = hostOf(plugin);
      expect(linkNames(host)).toEqual(["lo"]);
      expect(linkNames(containerOf(plugin))).toEqual(["lo"]);
      const leases = leaseFilesUnder(dataDirOf(plugin)).map((f) => `${f}: ${readFileSync(f, "utf8").slice(0, 100)}`);
      expect(leases).toEqual([]);
      expect(inNetns(host, "nft", ["list", "ruleset"]).trim()).toBe("");
      expect(inNetns(host, "iptables-save", []).split("\n").filter((l) => l.startsWith("-A"))).toEqual([]);
    });
  });
}
