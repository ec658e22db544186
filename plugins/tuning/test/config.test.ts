// The tuning plugin's pure logic: config keys and their precedence, sysctl key rules, duplicate keys in the
// config's text, the allowlist's expressions, the backup file's format. No kernel.
import { describe, expect, it } from "vitest";
import { ErrorCode, parseNetConf, type CmdArgs } from "@cni/skel";
import { cniErrorOf } from "../../../packages/plugin-kit/test/expect-error";
import { compileGoRegexp, parseAllowlist, requireAllowed } from "../src/allowlist";
import { formatBackup, parseBackup } from "../src/backup";
import { DEFAULT_DATA_DIR, readDataDir, readTuningConfig } from "../src/config";
import { rawMemberNames } from "../src/raw-json";
import { sysctlPath } from "../src/sysctl-keys";

/** CmdArgs of a call whose stdin is exactly `text` (so duplicate keys in it are seen). */
function argsOfText(text: string, cniArgs = "", ifName = "eth0"): CmdArgs {
  const config = parseNetConf(JSON.parse(text));
  return { command: "ADD", containerId: "c", netns: "/x", ifName, args: cniArgs, path: [], stdinData: Buffer.from(text), config, env: {} };
}
function args(raw: Record<string, unknown>, cniArgs = "", ifName = "eth0"): CmdArgs {
  return argsOfText(JSON.stringify({ cniVersion: "1.1.0", name: "n", type: "tuning", ...raw }), cniArgs, ifName);
}

describe("sysctl keys", () => {
  it("dots and slashes name the same file; IFNAME (the first) becomes CNI_IFNAME after the split", () => {
    expect(sysctlPath("net.core.somaxconn", "eth0")).toBe("net/core/somaxconn");
    expect(sysctlPath("net/core/somaxconn", "eth0")).toBe("net/core/somaxconn");
    expect(sysctlPath("net.ipv4.conf.IFNAME.arp_filter", "d0.5")).toBe("net/ipv4/conf/d0.5/arp_filter");
    expect(sysctlPath("net/ipv6/conf/IFNAME/accept_ra", "eth1")).toBe("net/ipv6/conf/eth1/accept_ra");
    expect(sysctlPath("net/ipv4/conf/eth0.100/rp_filter", "eth0")).toBe("net/ipv4/conf/eth0.100/rp_filter");
    expect(sysctlPath("net.ipv4.conf.eth0/100.rp_filter", "eth0")).toBe("net/ipv4/conf/eth0.100/rp_filter");
    expect(sysctlPath("net.ipv4.conf.IFNAME.IFNAME", "e0")).toBe("net/ipv4/conf/e0/IFNAME");
  });

  it.each([
    ["kernel.hostname"],
    ["net/../kernel/hostname"],
    ["net/ipv4/../ipv4/ip_forward"],
    ["/proc/sys/net/ipv4/ip_forward"],
    ["/net/ipv4/ip_forward"],
    ["net..ipv4.ip_forward"],
    ["net"],
    ["net/./core/somaxconn"],
    ["network.x"],
    [""],
  ])("refuses %j with code 7 naming it", (key) => {
    const error = cniErrorOf(() => sysctlPath(key, "eth0"));
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(error.message).toBe(`invalid net sysctl key: ${JSON.stringify(key)}`);
  });
});

describe("rawMemberNames", () => {
  it("lists names as written, repeats included, through case-insensitive steps", () => {
    const text = '{"a":1,"Sysctl":{"x":"1", "y" : "2","x":"3"},"args":{"cni":{"sysctl":{"q":"\\"}","q":"1"}}}}';
    expect(rawMemberNames(text, ["sysctl"])).toEqual(["x", "y", "x"]);
    expect(rawMemberNames(text, ["args", "cni", "sysctl"])).toEqual(["q", "q"]);
    expect(rawMemberNames(text, ["nope"])).toBeUndefined();
    expect(rawMemberNames(text, ["a"])).toBeUndefined();
    expect(rawMemberNames(' {"s":{"k\\u0041":[1,{"z":2}],"b":null}}', ["s"])).toEqual(["kA", "b"]);
  });
});

describe("readTuningConfig", () => {
  it("reads every key with its default", () => {
    expect(readTuningConfig(args({}), "ADD")).toEqual({ sysctls: [], link: { promisc: false }, dataDir: DEFAULT_DATA_DIR });
    expect(readTuningConfig(args({ mac: "0A-58-00-00-00-01", mtu: 1400, promisc: true, allmulti: false, txQLen: 0, dataDir: "/d" }), "ADD")).toEqual({
      sysctls: [],
      link: { mac: "0a:58:00:00:00:01", mtu: 1400, promisc: true, allmulti: false, txQLen: 0 },
      dataDir: "/d",
    });
    expect(readTuningConfig(args({ mtu: 0, dataDir: "" }), "ADD")).toEqual({ sysctls: [], link: { promisc: false }, dataDir: DEFAULT_DATA_DIR });
  });

  it("takes the MAC from args.cni, then runtimeConfig, then CNI_ARGS, then mac", () => {
    const mac = (raw: Record<string, unknown>, cniArgs = ""): string | undefined => readTuningConfig(args(raw, cniArgs), "ADD").link.mac;
    const all = { mac: "02:00:00:00:00:04", runtimeConfig: { mac: "02:00:00:00:00:02" }, args: { cni: { mac: "02:00:00:00:00:01" } } };
    expect(mac(all, "MAC=02:00:00:00:00:03")).toBe("02:00:00:00:00:01");
    expect(mac({ ...all, args: undefined }, "MAC=02:00:00:00:00:03")).toBe("02:00:00:00:00:02");
    expect(mac({ mac: all.mac }, "MAC=02:00:00:00:00:03")).toBe("02:00:00:00:00:03");
    expect(mac({ mac: all.mac })).toBe("02:00:00:00:00:04");
    // an explicit empty args.cni.mac means none (the reference's pointer semantics)
    expect(mac({ mac: all.mac, args: { cni: { mac: "" } } })).toBeUndefined();
    // only the winner is parsed
    expect(mac({ mac: "not-a-mac", args: { cni: { mac: "02:00:00:00:00:01" } } })).toBe("02:00:00:00:00:01");
  });

  it("lets args.cni override mtu, promisc, allmulti and txQLen", () => {
    const conf = readTuningConfig(args({ mtu: 1400, promisc: true, allmulti: true, txQLen: 5, args: { cni: { mtu: 0, promisc: false, allmulti: false, txQLen: 9 } } }), "ADD");
    expect(conf.link).toEqual({ promisc: false, allmulti: false, txQLen: 9 });
  });

  it("merges args.cni.sysctl over sysctl by the file named, in order; alone it works too", () => {
    const conf = readTuningConfig(
      args({ sysctl: { "net.core.somaxconn": "500", "net.ipv4.conf.IFNAME.arp_filter": "1" }, args: { cni: { sysctl: { "net/core/somaxconn": "600", "net.ipv4.ip_forward": "1" } } } }),
      "ADD",
    );
    expect(conf.sysctls).toEqual([
      { key: "net/core/somaxconn", path: "net/core/somaxconn", value: "600" },
      { key: "net.ipv4.conf.IFNAME.arp_filter", path: "net/ipv4/conf/eth0/arp_filter", value: "1" },
      { key: "net.ipv4.ip_forward", path: "net/ipv4/ip_forward", value: "1" },
    ]);
    // the reference panics here (T13)
    expect(readTuningConfig(args({ args: { cni: { sysctl: { "net.core.somaxconn": "7" } } } }), "ADD").sysctls).toHaveLength(1);
  });

  it("refuses a key written twice, or two spellings of one file, in one map", () => {
    const text = '{"cniVersion":"1.1.0","name":"n","type":"tuning","sysctl":{"net.core.somaxconn":"510","net.core.somaxconn":"520"}}';
    const twice = cniErrorOf(() => readTuningConfig(argsOfText(text), "ADD"));
    expect(twice.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(twice.message).toContain("duplicated sysctl keys are not allowed");
    expect(twice.message).toContain("net.core.somaxconn");
    const spelled = cniErrorOf(() => readTuningConfig(args({ sysctl: { "net.core.somaxconn": "1", "net/core/somaxconn": "2" } }), "CHECK"));
    expect(spelled.message).toContain("duplicated sysctl keys are not allowed");
    const ifname = cniErrorOf(() => readTuningConfig(args({ sysctl: { "net.ipv4.conf.IFNAME.arp_filter": "1", "net.ipv4.conf.eth0.arp_filter": "0" } }), "ADD"));
    expect(ifname.message).toContain("/proc/sys/net/ipv4/conf/eth0/arp_filter");
  });

  it.each([
    [{ sysctl: { "net.core.somaxconn": 5 } }, "sysctl.net.core.somaxconn"],
    [{ sysctl: { "net.core.somaxconn": "" } }, "net.core.somaxconn"],
    [{ sysctl: { "kernel.hostname": "x" } }, "kernel.hostname"],
    [{ sysctl: ["net.core.somaxconn"] }, "sysctl"],
    [{ args: { cni: { sysctl: { "net/../kernel/x": "1" } } } }, "net/../kernel/x"],
    [{ mac: "zz:00" }, "mac"],
    [{ mac: "01:00:5e:00:00:01" }, "mac"],
    [{ mac: "00:00:00:00:00:00" }, "mac"],
    [{ runtimeConfig: { mac: "0a:58" } }, "runtimeConfig.mac"],
    [{ args: { cni: { mac: 7 } } }, "mac"],
    [{ mtu: -5 }, "mtu"],
    [{ mtu: "1500" }, "mtu"],
    [{ args: { cni: { mtu: -1 } } }, "args.cni.mtu"],
    [{ txQLen: -1 }, "txQLen"],
    [{ txQLen: 2 ** 32 }, "txQLen"],
    [{ promisc: "true" }, "promisc"],
    [{ allmulti: 1 }, "allmulti"],
    [{ args: { cni: { allmulti: "no" } } }, "allmulti"],
  ])("refuses %j with code 7 naming %s", (raw, mention) => {
    const error = cniErrorOf(() => readTuningConfig(args(raw), "ADD"));
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(`${error.message} ${error.details}`).toContain(mention);
  });

  it("reads CNI_ARGS as the reference: MAC known, the rest only with IgnoreUnknown (code 4)", () => {
    expect(cniErrorOf(() => readTuningConfig(args({}, "K8S_POD_NAME=x"), "ADD")).message).toBe('ARGS: unknown args ["K8S_POD_NAME=x"]');
    expect(readTuningConfig(args({}, "IgnoreUnknown=1;K8S_POD_NAME=x;MAC=0a:00:00:00:00:01"), "ADD").link.mac).toBe("0a:00:00:00:00:01");
    expect(cniErrorOf(() => readTuningConfig(args({}, "MAC=nope"), "ADD")).code).toBe(ErrorCode.InvalidEnvironment);
  });

  it("DEL reads only dataDir", () => {
    expect(readDataDir(args({ dataDir: "/x", mtu: "junk", sysctl: { "kernel.x": 1 } }))).toBe("/x");
    expect(readDataDir(args({}))).toBe(DEFAULT_DATA_DIR);
  });
});

describe("allowlist", () => {
  const list = parseAllowlist("  ^net\\.core\\.somaxconn$ \n\n^net.ipv4.conf.IFNAME.[a-z_]*$\n(?i)^NET\\.IPV6\\.\n", "/a");

  it("matches unanchored Go expressions against the key as written", () => {
    expect(list.patterns).toEqual(["^net\\.core\\.somaxconn$", "^net.ipv4.conf.IFNAME.[a-z_]*$", "(?i)^NET\\.IPV6\\."]);
    requireAllowed(list, "net.core.somaxconn");
    requireAllowed(list, "net.ipv4.conf.IFNAME.arp_filter");
    requireAllowed(list, "net.ipv6.conf.all.forwarding");
    const refused = cniErrorOf(() => requireAllowed(list, "net.ipv4.conf.eth0.arp_filter"));
    expect(refused.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(refused.message).toBe(
      "Sysctl net.ipv4.conf.eth0.arp_filter is not allowed. Only the following sysctls are allowed: [^net\\.core\\.somaxconn$ ^net.ipv4.conf.IFNAME.[a-z_]*$ (?i)^NET\\.IPV6\\.]",
    );
    expect(compileGoRegexp("somaxconn", "t").test("net.core.somaxconn")).toBe(true);
  });

  it("translates what RE2 and JavaScript write differently", () => {
    expect(compileGoRegexp("\\Anet\\.core\\.[[:alpha:]]+\\z", "t").test("net.core.somaxconn")).toBe(true);
    expect(compileGoRegexp("\\Anet\\.core\\.[[:alpha:]]+\\z", "t").test("net.core.somaxconn2")).toBe(false);
    expect(compileGoRegexp("(?P<top>net)\\.", "t").exec("net.x")?.groups?.top).toBe("net");
  });

  it("names the file and line of an expression that is not one", () => {
    const error = cniErrorOf(() => parseAllowlist("ok\n(unclosed\n", "/etc/cni/tuning/allowlist.conf"));
    expect(error.message).toContain("/etc/cni/tuning/allowlist.conf line 2");
    expect(cniErrorOf(() => compileGoRegexp("(?U)a+", "t")).details).toContain("ungreedy");
  });
});

describe("backup file", () => {
  it("is Go's MarshalIndent: one-space indent, Go's key order, no trailing newline", () => {
    expect(formatBackup({ txQLen: 1000, allmulti: false, mtu: 1500, promisc: false, mac: "6e:69:3a:14:29:6e" })).toBe(
      '{\n "mac": "6e:69:3a:14:29:6e",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false,\n "txQLen": 1000\n}',
    );
    expect(formatBackup({ mtu: 1450 })).toBe('{\n "mtu": 1450\n}');
  });

  it("parses what it can use", () => {
    expect(parseBackup('{"mac":"aa:bb:cc:dd:ee:ff","promisc":true,"mtu":1500,"allmulti":true,"txQLen":0,"x":1}')).toEqual({
      mac: "aa:bb:cc:dd:ee:ff",
      promisc: true,
      mtu: 1500,
      allmulti: true,
      txQLen: 0,
    });
    expect(parseBackup("{not json")).toEqual({});
    expect(parseBackup('{"mtu":"1500","promisc":1}')).toEqual({});
  });
});
