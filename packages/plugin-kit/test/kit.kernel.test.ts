// The kit against the real kernel, in namespaces made here (prefix pkt-) and always deleted: one plays the
// host, one the container. iproute2 (`ip -j`, `sysctl`) is the independent witness of what ended up where.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { CniError, setInProcessDelegate, type CmdArgs, type Result } from "@cni/skel";
import { Netlink } from "@cni/netlink";
import {
  addVethPair,
  applyDnsOverride,
  checkContainerVeth,
  configureInterface,
  deleteLinkIfPresent,
  familiesOf,
  findContainerInterface,
  ipamAdd,
  createVeth,
  deleteLinkReturningAddresses,
  enableArpNotify,
  enableForwarding,
  ensureSysctl,
  openContainerNetns,
  requirePrevResult,
  openContainerNetnsIfPresent,
  setDuplicateAddressDetection,
  settleAddresses,
  validateExpectedInterfaceIPs,
  validateExpectedRoutes,
  waitForOperstate,
  withContainerNetns,
  withContainerNetnsIfPresent,
  withHostNetns,
  withUndo,
} from "../src/index";
import { TestNamespaces } from "../../netlink/test/kernel-namespaces";
import { addCmdArgs } from "./cmd-args";
import { cniErrorOf, cniRejection } from "./expect-error";

interface TestNamespace {
  name: string;
  path: string;
  nl: Netlink;
}

const namespaces = new TestNamespaces("pkt", (path) => Netlink.at(path));

function newNamespace(): TestNamespace {
  const { name, path, handle } = namespaces.create();
  return { name, path, nl: handle };
}

function removeAll(): void {
  namespaces.removeAll();
}

afterAll(() => namespaces.removeAllAndCheckNoneLeft());

function inNs(ns: TestNamespace, command: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns.name, command, ...args], { encoding: "utf8" });
}
function ipJson<T>(ns: TestNamespace, args: string[]): T {
  const out = inNs(ns, "ip", ["-j", ...args]).trim();
  return JSON.parse(out === "" ? "[]" : out) as T;
}
function sysctlOf(ns: TestNamespace, key: string): string {
  return inNs(ns, "sysctl", ["-n", key]).trim();
}

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  link_type: string;
  linkinfo?: { info_kind: string };
}
interface IpAddr {
  ifname: string;
  addr_info: Array<{ local: string; prefixlen: number; family: string }>;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  nexthops?: Array<{ gateway: string; dev: string }>;
}

function vethsIn(ns: TestNamespace): string[] {
  return ipJson<IpLink[]>(ns, ["-d", "link", "show", "type", "veth"]).map((l) => l.ifname);
}

let host: TestNamespace;
let container: TestNamespace;

beforeEach(() => {
  host = newNamespace();
  container = newNamespace();
});
afterEach(removeAll);

describe("the container namespace", () => {
  it("a missing or non-namespace CNI_NETNS is code 4 naming the path", () => {
    const missing = cniErrorOf(() => openContainerNetns("/var/run/netns/pkt-gone"));
    expect(missing.code).toBe(4);
    expect(missing.message).toMatch(/^failed to open netns "\/var\/run\/netns\/pkt-gone": /);
    const dir = mkdtempSync(`${tmpdir()}/pkt-`);
    try {
      writeFileSync(`${dir}/file`, "");
      const notNs = cniErrorOf(() => openContainerNetns(`${dir}/file`));
      expect(notNs.code).toBe(4);
      expect(notNs.message).toContain(`failed to open netns "${dir}/file"`);
      // for DEL only "gone" is fine; a path that is not a namespace is still an error
      expect(cniErrorOf(() => openContainerNetnsIfPresent(`${dir}/file`)).code).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("for DEL, no CNI_NETNS or a namespace that is gone is undefined, and the body is not run", () => {
    expect(openContainerNetnsIfPresent("")).toBeUndefined();
    expect(openContainerNetnsIfPresent("/var/run/netns/pkt-gone")).toBeUndefined();
    let ran = false;
    expect(withContainerNetnsIfPresent("/var/run/netns/pkt-gone", () => (ran = true))).toBeUndefined();
    expect(ran).toBe(false);
    expect(withContainerNetnsIfPresent(container.path, (ns) => ns.linkGet("lo").name)).toBe("lo");
  });

  it("the handle is closed after the body, whether it returns, throws or its promise settles", async () => {
    let kept: Netlink | undefined;
    expect(withContainerNetns(container.path, (ns) => ((kept = ns), ns.linkGet("lo").index))).toBe(1);
    expect(() => kept?.linkGet("lo")).toThrow(/closed/);
    expect(() => withContainerNetns(container.path, (ns) => ((kept = ns), ns.linkGet("nosuch0")))).toThrow(/No such device/);
    expect(() => kept?.linkGet("lo")).toThrow(/closed/);
    const pending = withContainerNetns(container.path, async (ns) => {
      kept = ns;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return ns.linkGet("lo").name; // still open while the body runs
    });
    expect(await pending).toBe("lo");
    expect(() => kept?.linkGet("lo")).toThrow(/closed/);
  });
});

describe("the host namespace", () => {
  it("withHostNetns hands the caller's own namespace and closes it after the body, sync or async", async () => {
    let kept: Netlink | undefined;
    expect(withHostNetns((ns) => ((kept = ns), ns.linkGet("lo").index))).toBe(1);
    expect(() => kept?.linkGet("lo")).toThrow(/closed/);
    const pending = withHostNetns(async (ns) => {
      kept = ns;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return ns.linkGet("lo").name; // still open while the body runs
    });
    expect(await pending).toBe("lo");
    expect(() => kept?.linkGet("lo")).toThrow(/closed/);
  });
});

describe("createVeth", () => {
  it("puts ifName in the container (down) and veth<8 hex> in the host (up, accept_ra=0), with MTU and MAC", () => {
    const pair = createVeth(container.nl, host.nl, { ifName: "eth0", mtu: 1400, mac: "02:00:00:00:00:aa" });
    expect(pair.host.name).toMatch(/^veth[0-9a-f]{8}$/);
    const [inContainer] = ipJson<IpLink[]>(container, ["-d", "link", "show", "eth0"]);
    expect(inContainer).toMatchObject({ mtu: 1400, address: "02:00:00:00:00:aa", linkinfo: { info_kind: "veth" } });
    expect(inContainer?.flags).not.toContain("UP");
    const [inHost] = ipJson<IpLink[]>(host, ["-d", "link", "show", pair.host.name]);
    expect(inHost).toMatchObject({ mtu: 1400, address: pair.host.mac, linkinfo: { info_kind: "veth" } });
    expect(inHost?.flags).toContain("UP");
    expect(pair.container).toMatchObject({ name: "eth0", mac: "02:00:00:00:00:aa", up: false, peerIndex: pair.host.index });
    expect(pair.host.peerIndex).toBe(pair.container.index);
    expect(sysctlOf(host, `net.ipv6.conf.${pair.host.name}.accept_ra`)).toBe("0");
  });

  it("sets duplicate address detection on the host end as asked, and leaves the namespace default when not", () => {
    const defaultDad = sysctlOf(host, "net.ipv6.conf.default.accept_dad");
    const untouched = createVeth(container.nl, host.nl, { ifName: "eth0" });
    expect(sysctlOf(host, `net.ipv6.conf.${untouched.host.name}.accept_dad`)).toBe(defaultDad);
    const off = createVeth(container.nl, host.nl, { ifName: "eth1", hostDuplicateAddressDetection: false });
    expect(sysctlOf(host, `net.ipv6.conf.${off.host.name}.accept_dad`)).toBe("0");
    expect(off.host.up).toBe(true);
    const on = createVeth(container.nl, host.nl, { ifName: "eth2", hostDuplicateAddressDetection: true });
    expect(sysctlOf(host, `net.ipv6.conf.${on.host.name}.accept_dad`)).toBe("1");
    expect(sysctlOf(host, `net.ipv6.conf.${on.host.name}.enhanced_dad`)).toBe("1");
  });

  it("a taken container name is the reference's error, and no second pair is left in the host", () => {
    createVeth(container.nl, host.nl, { ifName: "eth0" });
    const error = cniErrorOf(() => createVeth(container.nl, host.nl, { ifName: "eth0" }));
    expect(error.message).toMatch(/^container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
    expect(vethsIn(host)).toHaveLength(1);
  });

  it("retries with a new host name when the random one is taken", () => {
    host.nl.linkAddBridge({ name: "vethtaken0" });
    const names = ["vethtaken0", "vethtaken0", "vethfree0"];
    const pair = createVeth(container.nl, host.nl, { ifName: "eth0", nameSource: () => names.shift() ?? "vethlast0" });
    expect(pair.host.name).toBe("vethfree0");
    expect(ipJson<IpLink[]>(host, ["-d", "link", "show", "vethtaken0"])[0]?.linkinfo?.info_kind).toBe("bridge");
  });

  it("an impossible request is `failed to make veth pair` and leaves nothing", () => {
    const error = cniErrorOf(() => createVeth(container.nl, host.nl, { ifName: "eth0", mtu: 10 }));
    expect(error.message).toMatch(/^failed to make veth pair: /);
    expect(vethsIn(container)).toEqual([]);
    expect(vethsIn(host)).toEqual([]);
  });

  it("under withUndo, a failure after the veth removes it from both namespaces", async () => {
    const error = await cniRejection(
      withUndo((undo) => {
        const pair = addVethPair({ args: addCmdArgs("veth", {}), host: host.nl, container: container.nl, undo }, { ifName: "eth0" });
        expect(vethsIn(host)).toEqual([pair.host.name]);
        throw new CniError(999, "a later step failed");
      }),
    );
    expect(error.message).toBe("a later step failed");
    expect(vethsIn(container)).toEqual([]);
    expect(vethsIn(host)).toEqual([]);
  });
});

/** What a bridge ADD hands configureInterface: host veth, container iface; dual-stack with gateways. */
function dualStackResult(): Result {
  return {
    cniVersion: "1.1.0",
    interfaces: [{ name: "vethhost" }, { name: "eth0", sandbox: container.path }],
    ips: [
      { interface: 1, address: "10.7.0.2/24", gateway: "10.7.0.1" },
      { interface: 1, address: "fd00:7::2/64", gateway: "fd00:7::1" },
    ],
    routes: [
      { dst: "0.0.0.0/0" },
      { dst: "::/0" },
      { dst: "10.8.0.0/16", gw: "10.7.0.254", priority: 50 },
      { dst: "10.9.0.0/16", table: 100 },
    ],
  };
}

describe("configureInterface", () => {
  beforeEach(() => {
    createVeth(container.nl, host.nl, { ifName: "eth0" });
    setDuplicateAddressDetection(container.nl, "eth0", false); // as bridge does: no DAD wait
  });

  it("adds the addresses and routes, brings the link up; CHECK's validators then pass", async () => {
    const result = dualStackResult();
    await configureInterface(container.nl, "eth0", result);
    const [addrs] = ipJson<IpAddr[]>(container, ["addr", "show", "eth0"]);
    const global = addrs?.addr_info.filter((a) => !a.local.startsWith("fe80")).map((a) => `${a.local}/${a.prefixlen}`);
    expect(global).toEqual(["10.7.0.2/24", "fd00:7::2/64"]);
    expect(ipJson<IpLink[]>(container, ["link", "show", "eth0"])[0]?.flags).toContain("UP");
    const v4 = ipJson<IpRoute[]>(container, ["-4", "route", "show"]);
    expect(v4).toContainEqual(expect.objectContaining({ dst: "default", gateway: "10.7.0.1", dev: "eth0" }));
    expect(v4).toContainEqual(expect.objectContaining({ dst: "10.8.0.0/16", gateway: "10.7.0.254", metric: 50 }));
    const v6 = ipJson<IpRoute[]>(container, ["-6", "route", "show"]);
    expect(v6).toContainEqual(expect.objectContaining({ dst: "default", gateway: "fd00:7::1", dev: "eth0" }));
    expect(ipJson<IpRoute[]>(container, ["-4", "route", "show", "table", "100"])).toContainEqual(
      expect.objectContaining({ dst: "10.9.0.0/16", gateway: "10.7.0.1" }),
    );
    expect(sysctlOf(container, "net.ipv6.conf.eth0.keep_addr_on_down")).toBe("1");

    const eth0 = checkContainerVeth(container.nl, { name: "eth0", mac: container.nl.linkGet("eth0").mac.toUpperCase() });
    expect(eth0.kind).toBe("veth");
    validateExpectedInterfaceIPs(container.nl, "eth0", result.ips ?? []);
    validateExpectedRoutes(container.nl, result.routes ?? []);
  });

  it("CHECK's validators fail once an address, a route or the interface changed", async () => {
    const result = dualStackResult();
    await configureInterface(container.nl, "eth0", result);
    inNs(container, "ip", ["route", "del", "10.8.0.0/16"]);
    expect(() => validateExpectedRoutes(container.nl, result.routes ?? [])).toThrow(
      "Expected Route {Dst: 10.8.0.0/16 GW: 10.7.0.254} not found in routing table",
    );
    // the same destination via another gateway is not the route the result lists
    expect(() => validateExpectedRoutes(container.nl, [{ dst: "0.0.0.0/0", gw: "10.7.0.9" }])).toThrow(/not found in routing table/);
    inNs(container, "ip", ["addr", "del", "10.7.0.2/24", "dev", "eth0"]);
    expect(() => validateExpectedInterfaceIPs(container.nl, "eth0", result.ips ?? [])).toThrow("Failed to match addr 10.7.0.2/24 on interface eth0");
    expect(() => validateExpectedInterfaceIPs(container.nl, "eth1", result.ips ?? [])).toThrow("Cannot find container link eth1");
    expect(() => checkContainerVeth(container.nl, { name: "eth0", mac: "02:00:00:00:00:01" })).toThrow(/^Interface eth0 Mac 02:00:00:00:00:01 doesn't match container Mac: /);
    expect(() => checkContainerVeth(container.nl, { name: "lo" })).toThrow("Container interface lo not of type veth");
    expect(() => checkContainerVeth(container.nl, { name: "eth5" })).toThrow("Container interface name in prevResult: eth5 not found");
  });

  it("refuses an IP whose interface index is not ifName's, before touching the link", async () => {
    const result: Result = { cniVersion: "1.1.0", interfaces: [{ name: "vethhost" }, { name: "eth0" }], ips: [{ interface: 0, address: "10.7.0.2/24" }] };
    const error = await cniRejection(configureInterface(container.nl, "eth0", result));
    expect(error.message).toBe('failed to add IP addr 10.7.0.2/24 to "eth0": invalid interface index');
    expect((await cniRejection(configureInterface(container.nl, "eth0", { ...result, ips: [{ interface: 5, address: "10.7.0.2/24" }] }))).message).toMatch(
      /invalid interface index$/,
    );
    expect((await cniRejection(configureInterface(container.nl, "eth0", { cniVersion: "1.1.0", interfaces: [] }))).message).toBe("no interfaces to configure");
    expect(ipJson<IpAddr[]>(container, ["-4", "addr", "show", "eth0"])[0]?.addr_info ?? []).toEqual([]);
  });

  it("a second route to the same destination becomes another path (ECMP), an identical one is an error", async () => {
    await configureInterface(container.nl, "eth0", {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0" }],
      ips: [{ interface: 0, address: "fd00:7::2/64" }],
      routes: [
        { dst: "fd00:99::/64", gw: "fd00:7::a" },
        { dst: "fd00:99::/64", gw: "fd00:7::b" },
      ],
    });
    const [route] = ipJson<IpRoute[]>(container, ["-6", "route", "show", "fd00:99::/64"]);
    expect(route?.nexthops?.map((hop) => hop.gateway).sort()).toEqual(["fd00:7::a", "fd00:7::b"]);
    const again = await cniRejection(
      configureInterface(container.nl, "eth0", { cniVersion: "1.1.0", interfaces: [{ name: "eth0" }], routes: [{ dst: "fd00:99::/64", gw: "fd00:7::a" }] }),
    );
    expect(again.message).toMatch(/^failed to add route 'fd00:99::\/64 via fd00:7::a dev eth0 .*File exists/);
  });

  it("turns IPv6 back on for lo and the interface before adding an IPv6 address", async () => {
    inNs(container, "sysctl", ["-qw", "net.ipv6.conf.lo.disable_ipv6=1", "net.ipv6.conf.eth0.disable_ipv6=1"]);
    await configureInterface(container.nl, "eth0", { cniVersion: "1.1.0", interfaces: [{ name: "eth0" }], ips: [{ interface: 0, address: "fd00:7::2/64" }] });
    expect(sysctlOf(container, "net.ipv6.conf.lo.disable_ipv6")).toBe("0");
    expect(sysctlOf(container, "net.ipv6.conf.eth0.disable_ipv6")).toBe("0");
    expect(ipJson<IpAddr[]>(container, ["-6", "addr", "show", "eth0", "scope", "global"])[0]?.addr_info.filter((a) => a.local).map((a) => a.local)).toEqual(["fd00:7::2"]);
  });
});

describe("settleAddresses and waitForOperstate", () => {
  it("reports an IPv6 address whose duplicate address detection failed", async () => {
    const pair = createVeth(container.nl, host.nl, { ifName: "eth0" });
    host.nl.addrAdd(pair.host.name, "fd00:9::5/64", { nodad: true });
    container.nl.linkSetUp("eth0");
    expect((await waitForOperstate(container.nl, "eth0", "up", 10_000)).operstate).toBe("up");
    setDuplicateAddressDetection(container.nl, "eth0", true);
    container.nl.addrAdd("eth0", "fd00:9::5/64");
    const error = await cniRejection(settleAddresses(container.nl, "eth0", 10_000));
    expect(error.message).toBe("link eth0 has address fd00:9::5 in DADFAILED state");
  });

  it("waitForOperstate gives back the link as last seen when the state does not come", async () => {
    createVeth(container.nl, host.nl, { ifName: "eth0" });
    container.nl.linkSetUp("eth0");
    host.nl.linkSetDown(vethsIn(host)[0] ?? "");
    const link = await waitForOperstate(container.nl, "eth0", "up", 50);
    expect(link.name).toBe("eth0");
    expect(link.operstate).not.toBe("up");
  });
});

describe("deleteLinkReturningAddresses", () => {
  it("deletes the veth (both ends) and returns its global addresses; undefined once gone", () => {
    createVeth(container.nl, host.nl, { ifName: "eth0" });
    container.nl.addrAdd("eth0", "10.4.0.2/24");
    container.nl.addrAdd("eth0", "fd00:4::2/64", { nodad: true });
    container.nl.linkSetUp("eth0");
    const addresses = deleteLinkReturningAddresses(container.nl, "eth0");
    expect(addresses?.map((a) => `${a.address}/${a.prefixLength}`).sort()).toEqual(["10.4.0.2/24", "fd00:4::2/64"]);
    expect(vethsIn(container)).toEqual([]);
    expect(vethsIn(host)).toEqual([]);
    expect(deleteLinkReturningAddresses(container.nl, "eth0")).toBeUndefined();
  });
});

describe("sysctls", () => {
  // A new namespace copies ip_forward from the machine's own (on on every docker or Kubernetes host): each
  // test writes the starting values it asserts against, with sysctl(8), before the code under test runs.
  function setSysctls(ns: TestNamespace, assignments: string[]): void {
    inNs(ns, "sysctl", ["-qw", ...assignments]);
  }

  it("ensureSysctl writes only a value that differs", () => {
    setSysctls(container, ["net.ipv4.ip_forward=0"]);
    expect(ensureSysctl(container.nl, "net/ipv4/ip_forward", "0")).toBe(false);
    expect(ensureSysctl(container.nl, "net/ipv4/ip_forward", "1")).toBe(true);
    expect(sysctlOf(container, "net.ipv4.ip_forward")).toBe("1");
    expect(ensureSysctl(container.nl, "net/ipv4/ip_forward", "1")).toBe(false);
  });

  it("forwarding per family, DAD and arp_notify per interface, only inside the namespace given", () => {
    container.nl.linkAddVeth({ name: "eth0.100", peerName: "p0" });
    setSysctls(container, ["net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"]);
    setSysctls(host, ["net.ipv4.ip_forward=0"]);
    enableForwarding(container.nl, [4, 6]);
    expect(sysctlOf(container, "net.ipv4.ip_forward")).toBe("1");
    expect(sysctlOf(container, "net.ipv6.conf.all.forwarding")).toBe("1");
    expect(sysctlOf(host, "net.ipv4.ip_forward")).toBe("0");
    setDuplicateAddressDetection(container.nl, "eth0.100", true);
    expect(inNs(container, "cat", ["/proc/sys/net/ipv6/conf/eth0.100/accept_dad", "/proc/sys/net/ipv6/conf/eth0.100/enhanced_dad"])).toBe("1\n1\n");
    setDuplicateAddressDetection(container.nl, "eth0.100", false);
    enableArpNotify(container.nl, "eth0.100");
    expect(inNs(container, "cat", ["/proc/sys/net/ipv6/conf/eth0.100/accept_dad", "/proc/sys/net/ipv4/conf/eth0.100/arp_notify"])).toBe("0\n1\n");
    // an interface without the setting (here: none at all) is skipped, as the reference does
    expect(() => setDuplicateAddressDetection(container.nl, "nosuch0", false)).not.toThrow();
  });
});

describe("an ADD and CHECK put together from the kit, as the README shows", () => {
  // IPAM stands in through skel's in-process delegate; delegation still finds the file on CNI_PATH.
  let ipamDir: string;
  let ipamCalls: string[];

  beforeEach(() => {
    ipamDir = mkdtempSync(`${tmpdir()}/pkt-ipam-`);
    writeFileSync(`${ipamDir}/fake-ipam`, "");
    chmodSync(`${ipamDir}/fake-ipam`, 0o755);
    ipamCalls = [];
    setInProcessDelegate((request) => {
      ipamCalls.push(request.command);
      const lease = { cniVersion: "1.0.0", ips: [{ address: "10.6.0.2/24", gateway: "10.6.0.1" }], routes: [{ dst: "0.0.0.0/0" }] };
      return { exitCode: 0, stdout: request.command === "ADD" ? JSON.stringify(lease) : "" };
    });
  });
  afterEach(() => {
    setInProcessDelegate(undefined);
    rmSync(ipamDir, { recursive: true, force: true });
  });

  function args(command: CmdArgs["command"], prevResult?: Result): CmdArgs {
    return {
      command,
      containerId: "c1",
      netns: container.path,
      ifName: "eth0",
      args: "",
      path: [ipamDir],
      stdinData: Buffer.from("{}"),
      config: { cniVersion: "1.0.0", name: "kitnet", type: "veth", ipam: { type: "fake-ipam" }, runtimeConfig: {}, raw: {}, ...(prevResult ? { prevResult } : {}) },
      env: {},
    };
  }

  /** A veth-style ADD; `failLast` makes its final step fail after everything was created. */
  function add(addArgs: CmdArgs, failLast = false): Promise<Result> {
    return withUndo(async (undo) => {
      const result = await ipamAdd(addArgs, undo);
      enableForwarding(host.nl, familiesOf(result.ips ?? []));
      return withContainerNetns(addArgs.netns, async (netns) => {
        const veth = addVethPair({ args: addArgs, host: host.nl, container: netns, undo }, { ifName: addArgs.ifName, mtu: 1450 });
        result.interfaces = [{ name: veth.host.name, mac: veth.host.mac }, { name: addArgs.ifName, mac: veth.container.mac, sandbox: addArgs.netns }];
        for (const ip of result.ips ?? []) ip.interface = 1;
        setDuplicateAddressDetection(netns, addArgs.ifName, false);
        await configureInterface(netns, addArgs.ifName, result);
        host.nl.addrAdd(veth.host.name, "10.6.0.1/24");
        if (failLast) throw new CniError(999, "the last step failed");
        return applyDnsOverride(result, addArgs);
      });
    });
  }

  it("ADD wires the container, CHECK finds everything, and the container reaches its gateway", async () => {
    const result = await add(args("ADD"));
    expect(ipamCalls).toEqual(["ADD"]);
    const check = args("CHECK", result);
    const prev = requirePrevResult(check);
    withContainerNetns(check.netns, (netns) => {
      const { iface } = findContainerInterface(prev, check.ifName, check.netns);
      checkContainerVeth(netns, iface);
      validateExpectedInterfaceIPs(netns, check.ifName, prev.ips ?? []);
      validateExpectedRoutes(netns, prev.routes ?? []);
    });
    expect(inNs(container, "ping", ["-c", "1", "-W", "5", "10.6.0.1"])).toContain("1 received");
  });

  it("a failure after everything was created leaves no veth in either namespace and releases the lease", async () => {
    const error = await cniRejection(add(args("ADD"), true));
    expect(error.message).toBe("the last step failed");
    expect(ipamCalls).toEqual(["ADD", "DEL"]);
    expect(vethsIn(container)).toEqual([]);
    expect(vethsIn(host)).toEqual([]);
  });
});
