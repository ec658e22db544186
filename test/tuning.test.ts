// Black-box tests of bin/tuning, run as a runtime runs it (env + stdin), against a veth named eth0 that
// iproute2 made in a throwaway container namespace (standing in for what bridge created before it in the
// chain). Interface state is read with `ip -d -j link`, sysctls from /proc/sys inside the namespace. The
// same configs go through Debian's Go tuning (1.1.1) for comparison, and each one's DEL restores what the
// other's ADD changed (they share the backup file format).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, createNetns, inNetns, ipJson, sysctl, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { goPlugin, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const TUNING = ourPlugin("tuning");
const GO_TUNING = goPlugin("tuning");
const IFNAME = "eth0";
/** The MAC eth0 starts with, so that backups of two interfaces can be compared byte for byte. */
const START_MAC = "0a:58:0a:00:00:02";

interface LinkState {
  address: string;
  mtu: number;
  txqlen: number;
  flags: string[];
}
/** What tuning changes on a link, as iproute2 shows it. */
interface Attributes {
  mac: string;
  mtu: number;
  txqlen: number;
  promisc: boolean;
  allmulti: boolean;
}
interface ResultInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}
interface AddResult {
  cniVersion: string;
  interfaces?: ResultInterface[];
  ips?: Array<{ address: string; version?: string }>;
}

let work: string;
let host: TestNetns;
let container: TestNetns;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-tuning-"));
  host = createNetns("tun-host");
  container = makeContainer("tun-ctr");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

/** A namespace with eth0 (a veth whose peer stays inside), MAC START_MAC, MTU 1500, down. */
function makeContainer(prefix: string): TestNetns {
  const ns = createNetns(prefix);
  inNetns(ns, "ip", ["link", "add", IFNAME, "address", START_MAC, "type", "veth", "peer", "name", "peer0"]);
  return ns;
}

function attributes(ns: TestNetns, dev = IFNAME): Attributes {
  const [link] = ipJson<LinkState[]>(ns, ["-d", "link", "show", "dev", dev]);
  if (link === undefined) throw new Error(`${dev} missing`);
  return { mac: link.address, mtu: link.mtu, txqlen: link.txqlen, promisc: link.flags.includes("PROMISC"), allmulti: link.flags.includes("ALLMULTI") };
}
const START: Attributes = { mac: START_MAC, mtu: 1500, txqlen: 1000, promisc: false, allmulti: false };

function prevResult(ns: TestNetns, cniVersion = "1.0.0"): Record<string, unknown> {
  return {
    cniVersion,
    interfaces: [
      { name: "cni0", mac: "0a:00:00:00:00:01" },
      { name: IFNAME, mac: START_MAC, sandbox: ns.path },
    ],
    ips: [{ interface: 1, address: "10.77.0.2/24", gateway: "10.77.0.1" }],
    routes: [{ dst: "0.0.0.0/0" }],
  };
}

function config(extra: Record<string, unknown> = {}, ns: TestNetns = container, cniVersion = "1.0.0"): Record<string, unknown> {
  return { cniVersion, name: "tunnet", type: "tuning", dataDir: join(work, "tuning"), prevResult: prevResult(ns, cniVersion), ...extra };
}

function call(command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  // Go's skel wants CNI_PATH even though tuning runs nothing from it
  return { command, containerId: "ctr-1", netns: container.path, ifName: IFNAME, path: "/usr/lib/cni", stdin, hostNetns: host, ...extra };
}
const run = (command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginOutput => runPlugin(TUNING, call(command, stdin, extra));
const runGo = (command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginOutput => runPlugin(GO_TUNING, call(command, stdin, extra));

function backupFile(containerId = "ctr-1", dataDir = join(work, "tuning")): string {
  return join(dataDir, `${containerId}_${IFNAME}.json`);
}

/** /proc/sys values inside `ns`, by slash path. */
function sysctls(ns: TestNetns, paths: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const path of paths) values[path] = sysctl(ns, path);
  return values;
}

/** Set a sysctl inside `ns` with a process there (not our code). */
function setSysctl(ns: TestNetns, path: string, value: string): void {
  inNetns(ns, "sh", ["-c", `echo ${value} > /proc/sys/${path}`]);
}

const SYSCTL_PATHS = ["net/core/somaxconn", `net/ipv4/conf/${IFNAME}/arp_filter`, `net/ipv6/conf/${IFNAME}/accept_ra`];

describe("ADD, CHECK, DEL", () => {
  it("sets each field in the container, reports the new MAC, keeps Go's backup, and DEL puts everything back", () => {
    setSysctl(container, "net/core/somaxconn", "4096");
    setSysctl(container, `net/ipv4/conf/${IFNAME}/arp_filter`, "0");
    setSysctl(container, `net/ipv6/conf/${IFNAME}/accept_ra`, "1");
    const conf = config({
      mac: "0A:58:0A:00:00:99",
      mtu: 1400,
      promisc: true,
      allmulti: true,
      txQLen: 777,
      sysctl: { "net.core.somaxconn": "555", "net.ipv4.conf.IFNAME.arp_filter": "1", "net/ipv6/conf/IFNAME/accept_ra": "0" },
    });
    const result = succeeded<AddResult>(run("ADD", conf));

    expect(attributes(container)).toEqual({ mac: "0a:58:0a:00:00:99", mtu: 1400, txqlen: 777, promisc: true, allmulti: true });
    expect(sysctls(container, SYSCTL_PATHS)).toEqual({ "net/core/somaxconn": "555", "net/ipv4/conf/eth0/arp_filter": "1", "net/ipv6/conf/eth0/accept_ra": "0" });
    // prevResult, with the MAC changed on the container's entry only
    expect(result).toEqual({ ...prevResult(container), interfaces: [{ name: "cni0", mac: "0a:00:00:00:00:01" }, { name: IFNAME, mac: "0a:58:0a:00:00:99", sandbox: container.path }] });
    // Go's format: one-space indent, Go's key order, the pre-change values, no trailing newline, 0600
    expect(readFileSync(backupFile(), "utf8")).toBe(`{\n "mac": "${START_MAC}",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false,\n "txQLen": 1000\n}`);
    expect(statSync(backupFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, "tuning")).mode & 0o777).toBe(0o700);

    succeeded(run("CHECK", conf));
    succeeded(run("DEL", conf));
    expect(attributes(container)).toEqual(START);
    expect(existsSync(backupFile())).toBe(false);
    // sysctls stay as set (as the reference: the namespace goes with the container)
    expect(sysctl(container, "net/core/somaxconn")).toBe("555");
    // DEL again: nothing to do
    succeeded(run("DEL", conf));
    expect(attributes(container)).toEqual(START);
  });

  it("without options (podman's default chain) prints prevResult and touches nothing; a bad CNI_NETNS is still refused", () => {
    const conf = config();
    expect(succeeded<AddResult>(run("ADD", conf))).toEqual(prevResult(container));
    expect(attributes(container)).toEqual(START);
    expect(existsSync(join(work, "tuning"))).toBe(false);
    succeeded(run("CHECK", conf));
    succeeded(run("DEL", conf));
    const notANamespace = join(work, "plain-file");
    writeFileSync(notANamespace, "");
    for (const command of ["ADD", "DEL"]) expect(failed(run(command, conf, { netns: notANamespace }))).toMatchObject({ code: 4 });
    expect(failed(run("ADD", conf, { netns: join(work, "missing") }))).toMatchObject({ code: 4 });
    succeeded(run("DEL", conf, { netns: join(work, "missing") }));
  });

  it("changes only what is configured, and backs up only that", () => {
    succeeded(run("ADD", config({ mtu: 1450 })));
    expect(attributes(container)).toEqual({ ...START, mtu: 1450 });
    expect(readFileSync(backupFile(), "utf8")).toBe('{\n "mtu": 1500\n}');
    // only sysctls: no backup file at all
    succeeded(run("ADD", config({ sysctl: { "net.core.somaxconn": "600" } }), { containerId: "ctr-2" }));
    expect(existsSync(backupFile("ctr-2"))).toBe(false);
    succeeded(run("DEL", config()));
    expect(attributes(container)).toEqual(START);
  });

  it("promisc false never clears promisc; allmulti false clears allmulti (both as the reference)", () => {
    inNetns(container, "ip", ["link", "set", IFNAME, "promisc", "on", "allmulticast", "on"]);
    succeeded(run("ADD", config({ promisc: false, allmulti: false })));
    expect(attributes(container)).toEqual({ ...START, promisc: true, allmulti: false });
    expect(readFileSync(backupFile(), "utf8")).toBe('{\n "allmulti": true\n}');
    succeeded(run("DEL", config()));
    expect(attributes(container)).toEqual({ ...START, promisc: true, allmulti: true });
  });

  it("a second ADD keeps the first one's originals, so DEL restores the values from before either", () => {
    succeeded(run("ADD", config({ mtu: 1450 })));
    succeeded(run("ADD", config({ mtu: 1460, txQLen: 10 })));
    expect(attributes(container)).toEqual({ ...START, mtu: 1460, txqlen: 10 });
    expect(readFileSync(backupFile(), "utf8")).toBe('{\n "mtu": 1500,\n "txQLen": 1000\n}');
    succeeded(run("DEL", config()));
    expect(attributes(container)).toEqual(START);
  });

  it("takes the MAC from args.cni, runtimeConfig, CNI_ARGS, mac in that order", () => {
    const mac = (extra: Record<string, unknown>, args?: string): string => {
      succeeded(run("ADD", config(extra), args === undefined ? {} : { args }));
      return attributes(container).mac;
    };
    expect(mac({ mac: "0a:00:00:00:00:04" }, "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=0a:00:00:00:00:03")).toBe("0a:00:00:00:00:03");
    expect(mac({ mac: "0a:00:00:00:00:04", runtimeConfig: { mac: "0a:00:00:00:00:02" } }, "MAC=0a:00:00:00:00:03")).toBe("0a:00:00:00:00:02");
    expect(mac({ runtimeConfig: { mac: "0a:00:00:00:00:02" }, args: { cni: { mac: "0a:00:00:00:00:01" } } })).toBe("0a:00:00:00:00:01");
    succeeded(run("DEL", config()));
    expect(attributes(container).mac).toBe(START_MAC);
  });

  it("prints prevResult in the config's version", () => {
    const conf = { ...config({ mtu: 1400, mac: "0a:00:00:00:00:05" }, container, "0.3.1"), prevResult: prevResult(container, "0.3.1") };
    const result = succeeded<AddResult>(run("ADD", conf));
    expect(result.cniVersion).toBe("0.3.1");
    expect(result.ips).toEqual([{ version: "4", interface: 1, address: "10.77.0.2/24", gateway: "10.77.0.1" }]);
    expect(result.interfaces?.[1]).toEqual({ name: IFNAME, mac: "0a:00:00:00:00:05", sandbox: container.path });
  });

  it("an ifname with a dot stays one name in sysctl keys, through IFNAME or written out (sysctl(8)'s forms)", () => {
    inNetns(container, "ip", ["link", "add", "d0.5", "type", "veth", "peer", "name", "peer1"]);
    setSysctl(container, "net/ipv4/conf/d0.5/arp_filter", "0");
    setSysctl(container, "net/ipv4/conf/d0.5/arp_ignore", "0");
    setSysctl(container, "net/ipv4/conf/d0.5/arp_announce", "0");
    const conf = config({ sysctl: { "net.ipv4.conf.IFNAME.arp_filter": "1", "net.ipv4.conf.d0/5.arp_ignore": "1", "net/ipv4/conf/d0.5/arp_announce": "1" } });
    succeeded(run("ADD", conf, { ifName: "d0.5" }));
    expect(sysctls(container, ["net/ipv4/conf/d0.5/arp_filter", "net/ipv4/conf/d0.5/arp_ignore", "net/ipv4/conf/d0.5/arp_announce"])).toEqual({
      "net/ipv4/conf/d0.5/arp_filter": "1",
      "net/ipv4/conf/d0.5/arp_ignore": "1",
      "net/ipv4/conf/d0.5/arp_announce": "1",
    });
    succeeded(run("CHECK", conf, { ifName: "d0.5" }));
  });
});

describe("CHECK", () => {
  it("replaces IFNAME in sysctl keys (Go 1.1.1's CHECK does not) and compares every value", () => {
    const conf = config({ sysctl: { "net.ipv4.conf.IFNAME.arp_filter": "1", "net.core.somaxconn": "501" }, mtu: 1300, allmulti: true, txQLen: 50 });
    succeeded(run("ADD", conf));
    succeeded(run("CHECK", conf));
    const go = failed(runGo("CHECK", conf));
    expect(go.msg).toContain("/proc/sys/net/ipv4/conf/IFNAME/arp_filter");

    setSysctl(container, "net/core/somaxconn", "500");
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning configured value of /proc/sys/net/core/somaxconn is 501, current value is 500");
    setSysctl(container, "net/core/somaxconn", "501");
    inNetns(container, "ip", ["link", "set", IFNAME, "mtu", "1400"]);
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning configured MTU of eth0 is 1300, current value is 1400");
    inNetns(container, "ip", ["link", "set", IFNAME, "mtu", "1300", "allmulticast", "off"]);
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning configured all-multicast mode of eth0 is true, current value is false");
    inNetns(container, "ip", ["link", "set", IFNAME, "allmulticast", "on", "txqueuelen", "60"]);
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning configured Transmit Queue Length of eth0 is 50, current value is 60");
    inNetns(container, "ip", ["link", "set", IFNAME, "txqueuelen", "50", "promisc", "on"]);
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning link eth0 configured promisc is false, current value is 1");
  });

  it("compares MACs however they are written, and multi-number sysctls however they are separated", () => {
    const conf = config({ mac: "0A:58:0A:00:00:77", sysctl: { "net.ipv4.tcp_rmem": "4096 131072 6291456" } });
    succeeded(run("ADD", conf));
    succeeded(run("CHECK", conf));
    inNetns(container, "ip", ["link", "set", IFNAME, "address", "0a:58:0a:00:00:78"]);
    expect(failed(run("CHECK", conf)).msg).toBe("Error: Tuning configured Ethernet of eth0 is 0a:58:0a:00:00:77, current value is 0a:58:0a:00:00:78");
  });

  it("needs prevResult and the link", () => {
    expect(failed(run("CHECK", { ...config(), prevResult: undefined }))).toMatchObject({ code: 7, msg: "Required prevResult missing" });
    expect(failed(run("CHECK", config(), { ifName: "eth9" })).msg).toBe("Cannot find container link eth9");
  });
});

describe("DEL", () => {
  it("succeeds and drops the backup when the namespace, the link or a readable backup is gone", () => {
    const conf = config({ mtu: 1400 });
    succeeded(run("ADD", conf));
    succeeded(run("DEL", conf, { netns: "" }));
    expect(existsSync(backupFile())).toBe(false);

    succeeded(run("ADD", conf));
    inNetns(container, "ip", ["link", "del", IFNAME]);
    succeeded(run("DEL", conf));
    expect(existsSync(backupFile())).toBe(false);

    writeFileSync(backupFile(), "{not json");
    succeeded(run("DEL", conf, { netns: join(work, "gone") }));
    expect(existsSync(backupFile())).toBe(false);
  });

  it("reads only dataDir: a config ADD would refuse still deletes", () => {
    succeeded(run("ADD", config({ mtu: 1400 })));
    succeeded(run("DEL", config({ mtu: "junk", sysctl: { "kernel.hostname": 5 } })));
    expect(attributes(container)).toEqual(START);
  });
});

describe("side by side with Go's tuning (1.1.1)", () => {
  // Go 1.1.1 has no txQLen and speaks up to 1.0.0 (the configs here); everything else is common.
  const common = {
    mac: "0a:58:0a:00:00:55",
    mtu: 1420,
    promisc: true,
    allmulti: true,
    sysctl: { "net.core.somaxconn": "321", "net.ipv4.conf.IFNAME.arp_filter": "1" },
  };

  it("leaves the same interface state, sysctls and backup file after ADD", () => {
    const goContainer = makeContainer("tun-go");
    const ours = succeeded<AddResult>(run("ADD", config(common)));
    const go = succeeded<AddResult>(runGo("ADD", { ...config(common, goContainer), dataDir: join(work, "go") }, { netns: goContainer.path }));
    expect(attributes(container)).toEqual(attributes(goContainer));
    const paths = ["net/core/somaxconn", `net/ipv4/conf/${IFNAME}/arp_filter`];
    expect(sysctls(container, paths)).toEqual(sysctls(goContainer, paths));
    expect(readFileSync(backupFile(), "utf8")).toBe(readFileSync(backupFile("ctr-1", join(work, "go")), "utf8"));
    // the results differ only in the sandbox path, and Go's empty "dns": {} (which ours leaves out)
    const { dns, ...goWithoutDns } = go as AddResult & { dns?: unknown };
    expect(dns).toEqual({});
    expect(JSON.stringify(ours).replaceAll(container.path, "NS")).toBe(JSON.stringify(goWithoutDns).replaceAll(goContainer.path, "NS"));
  });

  it("Go's DEL restores what our ADD changed, and ours what Go's ADD changed", () => {
    succeeded(run("ADD", config({ ...common, txQLen: 99 })));
    succeeded(runGo("DEL", config()));
    // Go 1.1.1 knows no txQLen: it restores the rest
    expect(attributes(container)).toEqual({ ...START, txqlen: 99 });
    expect(existsSync(backupFile())).toBe(false);

    succeeded(runGo("ADD", config(common)));
    expect(attributes(container)).toEqual({ mac: common.mac, mtu: 1420, txqlen: 99, promisc: true, allmulti: true });
    succeeded(run("DEL", config()));
    expect(attributes(container)).toEqual({ ...START, txqlen: 99 });
    expect(existsSync(backupFile())).toBe(false);
  });
});

describe("bad input: a code-7 error naming the field, and nothing changed", () => {
  function expectUntouched(before: Record<string, string>): void {
    expect(attributes(container)).toEqual(START);
    expect(sysctls(container, SYSCTL_PATHS)).toEqual(before);
    expect(existsSync(join(work, "tuning"))).toBe(false);
  }

  it.each([
    ["no prevResult", { prevResult: undefined }, 7, "Required prevResult missing"],
    ["a sysctl outside net", { sysctl: { "net.core.somaxconn": "1", "kernel.hostname": "x" } }, 7, 'invalid net sysctl key: "kernel.hostname"'],
    ["a path escape", { sysctl: { "net/../kernel/hostname": "x" } }, 7, "net/../kernel/hostname"],
    ["an absolute path", { sysctl: { "/proc/sys/net/core/somaxconn": "1" } }, 7, "/proc/sys/net/core/somaxconn"],
    ["a number as a sysctl value", { sysctl: { "net.core.somaxconn": 5 } }, 7, "net.core.somaxconn"],
    ["two spellings of one sysctl", { sysctl: { "net.core.somaxconn": "1", "net/core/somaxconn": "2" } }, 7, "duplicated sysctl keys"],
    ["a sysctl that does not exist", { sysctl: { "net.core.somaxconn": "9", "net.ipv4.nosuch": "1" } }, 7, "net.ipv4.nosuch"],
    ["a value the kernel refuses", { sysctl: { "net.core.somaxconn": "9", "net.ipv4.conf.IFNAME.arp_filter": "banana" } }, 7, "net.ipv4.conf.IFNAME.arp_filter"],
    ["a malformed MAC", { mtu: 1400, mac: "zz:00" }, 7, "mac"],
    ["a multicast MAC", { mtu: 1400, mac: "01:00:5e:00:00:01" }, 7, "mac"],
    ["a malformed runtimeConfig.mac", { runtimeConfig: { mac: "0a:58" } }, 7, "runtimeConfig.mac"],
    ["an MTU above the link's maximum", { sysctl: { "net.core.somaxconn": "9" }, mac: "0a:00:00:00:00:05", mtu: 70000 }, 7, "mtu"],
    ["a negative MTU", { mtu: -5 }, 7, "mtu"],
    ["an MTU as a string", { mtu: "1500" }, 7, "mtu"],
    ["a negative txQLen", { txQLen: -1 }, 7, "txQLen"],
    ["promisc as a string", { promisc: "true" }, 7, "promisc"],
    ["allmulti as a number", { allmulti: 1 }, 7, "allmulti"],
    ["a bad args.cni.mtu", { args: { cni: { mtu: -1 } } }, 7, "args.cni.mtu"],
  ])("%s", (_title, extra, code, mention) => {
    setSysctl(container, "net/core/somaxconn", "4096");
    const before = sysctls(container, SYSCTL_PATHS);
    const error = failed(run("ADD", config(extra)));
    expect(error.code).toBe(code);
    expect(`${error.msg} ${error.details ?? ""}`).toContain(mention);
    expectUntouched(before);
  });

  it("a key written twice in the config's text (JSON keeps the last) is refused", () => {
    const text = JSON.stringify(config()).replace(/}$/, ',"sysctl":{"net.core.somaxconn":"510","net.core.somaxconn":"520"}}');
    const error = failed(run("ADD", text));
    expect(error.code).toBe(7);
    expect(error.msg).toContain("duplicated sysctl keys are not allowed");
  });

  it("args.cni.sysctl without a top-level sysctl works (Go's tuning panics)", () => {
    const conf = config({ args: { cni: { sysctl: { "net.core.somaxconn": "700" } } } });
    succeeded(run("ADD", conf));
    expect(sysctl(container, "net/core/somaxconn")).toBe("700");
    const go = runGo("ADD", conf);
    expect(go.code).toBe(2);
  });

  it("a missing link fails before the sysctls are written", () => {
    setSysctl(container, "net/core/somaxconn", "4096");
    const error = failed(run("ADD", config({ sysctl: { "net.core.somaxconn": "9" }, mtu: 1400 }), { ifName: "eth9" }));
    expect(error.msg).toBe('failed to get "eth9": Link not found');
    expect(sysctl(container, "net/core/somaxconn")).toBe("4096");
  });

  it("a failure after the sysctls were written (the backup cannot be saved) puts them back", () => {
    setSysctl(container, "net/core/somaxconn", "4096");
    const before = sysctls(container, SYSCTL_PATHS);
    const notADirectory = join(work, "file");
    writeFileSync(notADirectory, "");
    const error = failed(run("ADD", config({ sysctl: { "net.core.somaxconn": "9", "net.ipv4.conf.IFNAME.arp_filter": "1" }, mtu: 1400, dataDir: notADirectory })));
    expect(error.code).toBe(5);
    expect(error.msg).toContain(notADirectory);
    expect(attributes(container)).toEqual(START);
    expect(sysctls(container, SYSCTL_PATHS)).toEqual(before);
  });
});

describe("a kernel refusal midway through the link attributes", () => {
  it("undoes every change made before it: MAC, promisc, sysctls and the backup file", () => {
    // a vxlan over peer0 reports a maximum MTU of 65535 but refuses more than peer0's MTU minus its headers
    inNetns(container, "ip", ["link", "add", "vx0", "address", START_MAC, "type", "vxlan", "id", "5", "dstport", "4789", "dev", "peer0"]);
    setSysctl(container, "net/core/somaxconn", "4096");
    const before = attributes(container, "vx0");
    const error = failed(run("ADD", config({ sysctl: { "net.core.somaxconn": "9" }, mac: "0a:00:00:00:00:42", promisc: true, mtu: 1480 }), { ifName: "vx0" }));
    expect(error.code).toBe(999);
    expect(error.msg).toContain('failed to set the MTU of "vx0" to 1480');
    expect(attributes(container, "vx0")).toEqual(before);
    expect(sysctl(container, "net/core/somaxconn")).toBe("4096");
    expect(existsSync(join(work, "tuning", "ctr-1_vx0.json"))).toBe(false);
  });
});

describe("the allowlist /etc/cni/tuning/allowlist.conf (in a private mount namespace)", () => {
  /** Run `binary` with a tmpfs over /etc/cni holding `allowlist` as tuning/allowlist.conf, seen by it alone. */
  function withAllowlist(binary: string, allowlist: string, command: string, stdin: unknown): PluginOutput {
    const script = 'mount -t tmpfs tmpfs /etc/cni && mkdir /etc/cni/tuning && printf "%s" "$ALLOWLIST" > /etc/cni/tuning/allowlist.conf && exec "$0"';
    return runPlugin("unshare", {
      ...call(command, stdin),
      hostNetns: undefined,
      argv: ["--mount", "--propagation", "private", "sh", "-c", script, binary],
      env: { ALLOWLIST: allowlist },
    });
  }
  const ALLOWLIST = "^net\\.core\\.somaxconn$\n\n  ^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$  \n";

  it("allows the keys one of its expressions matches (IFNAME as written), as Go's HEAD; CHECK does not consult it", () => {
    expect(existsSync("/etc/cni/tuning")).toBe(false);
    const conf = config({ sysctl: { "net.core.somaxconn": "600", "net.ipv4.conf.IFNAME.arp_filter": "1" } });
    succeeded(withAllowlist(TUNING, ALLOWLIST, "ADD", conf));
    expect(sysctl(container, "net/core/somaxconn")).toBe("600");
    succeeded(withAllowlist(TUNING, "^nothing$", "CHECK", conf));
  });

  it("refuses any other key with code 7 before anything changes", () => {
    setSysctl(container, "net/core/somaxconn", "4096");
    const conf = config({ sysctl: { "net.core.somaxconn": "600", "net.ipv4.conf.eth0.arp_filter": "1" } });
    const error = failed(withAllowlist(TUNING, ALLOWLIST, "ADD", conf));
    expect(error.code).toBe(7);
    expect(error.msg).toBe(
      "Sysctl net.ipv4.conf.eth0.arp_filter is not allowed. Only the following sysctls are allowed: [^net\\.core\\.somaxconn$ ^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$]",
    );
    expect(sysctl(container, "net/core/somaxconn")).toBe("4096");
    // Go 1.1.1 predates the allowlist: the same config passes there
    succeeded(withAllowlist(GO_TUNING, ALLOWLIST, "ADD", conf));
    expect(existsSync("/etc/cni/tuning")).toBe(false);
  });

  it("an expression that is not one is an error naming the file and line", () => {
    const error = failed(withAllowlist(TUNING, "ok\n(unclosed\n", "ADD", config({ sysctl: { "net.core.somaxconn": "600" } })));
    expect(error.msg).toContain("/etc/cni/tuning/allowlist.conf line 2");
  });
});

it("the plugin runs as `tuning` from the multi-call executable and names itself", () => {
  const version = spawnSync(TUNING, [], { env: { CNI_COMMAND: "VERSION" }, input: "", encoding: "utf8" });
  expect(JSON.parse(version.stdout).supportedVersions).toContain("1.1.0");
  const about = spawnSync(TUNING, [], { env: {}, input: "", encoding: "utf8" });
  expect(about.stderr + about.stdout).toContain("CNI tuning plugin");
});
