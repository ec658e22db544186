// Black-box tests of bin/veth, run as a runtime runs it, with its "host" side inside a throwaway namespace
// and IPAM delegated to host-local on CNI_PATH. The same configs go to the Go `ptp` for comparison.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { leaseNames } from "./host-local-helpers";
import { addrs, cleanupAll, createHostNetns, createNetns, deleteNetns, inNetns, ipJson, linkNamesButLo, links, sysctl, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { BIN_DIR, GO_BIN_DIR, goPlugin, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const VETH = ourPlugin("veth");
const NETWORK = "vethnet";

type Stack = "v4" | "v6" | "dual";
const SUBNETS: Record<Stack, { subnet: string }[][]> = {
  v4: [[{ subnet: "10.96.0.0/24" }]],
  v6: [[{ subnet: "fd96::/64" }]],
  dual: [[{ subnet: "10.96.0.0/24" }], [{ subnet: "fd96::/64" }]],
};
const DEFAULT_ROUTES: Record<Stack, { dst: string }[]> = {
  v4: [{ dst: "0.0.0.0/0" }],
  v6: [{ dst: "::/0" }],
  dual: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
};

interface ResultInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}
interface ResultIP {
  version?: string;
  interface?: number;
  address: string;
  gateway?: string;
}
interface AddResult {
  cniVersion: string;
  interfaces: ResultInterface[];
  ips: ResultIP[];
  routes?: { dst: string; gw?: string }[];
  dns?: unknown;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
  scope?: string;
  prefsrc?: string;
  protocol?: string;
}

let work: string;
let host: TestNetns;
let container: TestNetns;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-veth-"));
  host = createHostNetns("veth-host");
  container = createNetns("veth-ctr");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

function config(cniVersion: string, stack: Stack, extra: Record<string, unknown> = {}, dataDir = join(work, "ipam")): Record<string, unknown> {
  return {
    cniVersion,
    name: NETWORK,
    type: "veth",
    ipam: { type: "host-local", dataDir, ranges: SUBNETS[stack], routes: DEFAULT_ROUTES[stack] },
    ...extra,
  };
}

function call(command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: "ctr-1", netns: container.path, ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host, ...extra };
}

const added: (r: PluginOutput) => AddResult = succeeded;

/** host-local's leases of the network (files named by address). */
function leases(dataDir = join(work, "ipam")): string[] {
  return leaseNames(dataDir, NETWORK);
}

function routes(ns: TestNetns, family: "-4" | "-6"): IpRoute[] {
  return ipJson<IpRoute[]>(ns, [family, "route", "show"]).filter((r) => !r.dst.startsWith("fe80::") && !r.dst.startsWith("ff00::"));
}

/** Global addresses of a link as `addr/prefix`, with the tentative flag when set. */
function globalAddresses(ns: TestNetns, dev: string, showTentative = true): string[] {
  const out: string[] = [];
  for (const link of addrs(ns, dev)) {
    for (const a of link.addr_info) {
      if (a.scope !== "global") continue;
      const flags = a as unknown as { tentative?: boolean };
      out.push(`${a.local}/${a.prefixlen}${showTentative && flags.tentative ? " tentative" : ""}`);
    }
  }
  return out.sort();
}

const STATES: [string, Stack][] = [
  ["0.3.1", "v4"],
  ["0.4.0", "v6"],
  ["1.0.0", "dual"],
  ["1.1.0", "dual"],
];

describe.each(STATES)("veth at cniVersion %s, %s", (version, stack) => {
  it("ADD routes the container through the host end; CHECK passes; DEL removes everything, twice", () => {
    const conf = config(version, stack);
    const result = added(runPlugin(VETH, call("ADD", conf)));
    const hostVeth = result.interfaces[0]?.name ?? "";
    expect(hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
    const v4 = stack !== "v6";
    const v6 = stack !== "v4";
    const legacy = version.startsWith("0.");
    const ips: ResultIP[] = [];
    if (v4) ips.push({ ...(legacy ? { version: "4" } : {}), interface: 1, address: "10.96.0.2/24", gateway: "10.96.0.1" });
    if (v6) ips.push({ ...(legacy ? { version: "6" } : {}), interface: 1, address: "fd96::2/64", gateway: "fd96::1" });
    expect(result).toEqual({
      cniVersion: version,
      interfaces: [
        { name: hostVeth, mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/) },
        { name: "eth0", mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), sandbox: container.path },
      ],
      ips,
      routes: DEFAULT_ROUTES[stack],
      ...(legacy ? { dns: {} } : {}),
    });

    // container: its address with the subnet prefix, the subnet only through the gateway
    expect(globalAddresses(container, "eth0")).toEqual([...(v4 ? ["10.96.0.2/24"] : []), ...(v6 ? ["fd96::2/64"] : [])]);
    if (v4) {
      expect(routes(container, "-4")).toEqual([
        expect.objectContaining({ dst: "default", gateway: "10.96.0.1", dev: "eth0" }),
        expect.objectContaining({ dst: "10.96.0.0/24", gateway: "10.96.0.1", dev: "eth0", prefsrc: "10.96.0.2" }),
        expect.objectContaining({ dst: "10.96.0.1", dev: "eth0", scope: "link", prefsrc: "10.96.0.2" }),
      ]);
      expect(sysctl(host, "net/ipv4/ip_forward")).toBe("1");
    }
    if (v6) {
      const v6Routes = routes(container, "-6");
      expect(v6Routes).toHaveLength(3);
      expect(v6Routes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ dst: "fd96::1", dev: "eth0", prefsrc: "fd96::2" }),
          expect.objectContaining({ dst: "fd96::/64", gateway: "fd96::1", dev: "eth0", prefsrc: "fd96::2" }),
          expect.objectContaining({ dst: "default", gateway: "fd96::1", dev: "eth0" }),
        ]),
      );
      expect(sysctl(host, "net/ipv6/conf/all/forwarding")).toBe("1");
    }
    // host: the gateway as /32 (/128) on the host end, a host route to the container address
    expect(linkNamesButLo(host)).toEqual([hostVeth]);
    expect(globalAddresses(host, hostVeth)).toEqual([...(v4 ? ["10.96.0.1/32"] : []), ...(v6 ? ["fd96::1/128"] : [])]);
    if (v4) expect(routes(host, "-4")).toEqual([expect.objectContaining({ dst: "10.96.0.2", dev: hostVeth, scope: "host" })]);
    if (v6) expect(routes(host, "-6")).toContainEqual(expect.objectContaining({ dst: "fd96::2", dev: hostVeth }));
    expect(sysctl(host, `net/ipv6/conf/${hostVeth}/accept_ra`)).toBe("0");

    if (version !== "0.3.1") {
      const check = runPlugin(VETH, call("CHECK", { ...conf, prevResult: result }));
      expect(check).toMatchObject({ code: 0, stdout: "" });
    }

    expect(runPlugin(VETH, call("DEL", conf))).toMatchObject({ code: 0, stdout: "" });
    expect(linkNamesButLo(container)).toEqual([]);
    expect(linkNamesButLo(host)).toEqual([]);
    expect(leases()).toEqual([]);
    expect(runPlugin(VETH, call("DEL", conf))).toMatchObject({ code: 0, stdout: "" });
  });
});

describe("veth", () => {
  it("two containers reach each other and their gateways through the host, over both families, at once", () => {
    const second = createNetns("veth-ctr2");
    const conf = config("1.1.0", "dual");
    const first = added(runPlugin(VETH, call("ADD", conf)));
    added(runPlugin(VETH, call("ADD", conf, { containerId: "ctr-2", netns: second.path })));
    // no duplicate address detection, on either end: nothing is tentative when ADD returns
    expect(globalAddresses(container, "eth0")).toEqual(["10.96.0.2/24", "fd96::2/64"]);
    expect(sysctl(container, "net/ipv6/conf/eth0/accept_dad")).toBe("0");
    expect(sysctl(host, `net/ipv6/conf/${first.interfaces[0]?.name ?? "missing"}/accept_dad`)).toBe("0");
    for (const target of ["10.96.0.3", "fd96::3", "10.96.0.1", "fd96::1"]) inNetns(container, "ping", ["-c1", "-W5", target]);
    for (const target of ["10.96.0.2", "fd96::2"]) inNetns(second, "ping", ["-c1", "-W5", target]);
  });

  it("gives the same result, addresses, routes and host state as the Go ptp on the same config", () => {
    const goHost = createHostNetns("ptp-host");
    const goContainer = createNetns("ptp-ctr");
    const ours = { ...config("1.0.0", "dual"), mtu: 1400 };
    const theirs = { ...config("1.0.0", "dual", {}, join(work, "go-ipam")), type: "ptp", mtu: 1400 };
    const ourResult = added(runPlugin(VETH, call("ADD", ours)));
    const goResult = added(
      runPlugin(goPlugin("ptp"), call("ADD", theirs, { path: GO_BIN_DIR, netns: goContainer.path, hostNetns: goHost })),
    );
    // Go prints an empty `dns: {}` at 1.0.0 (a struct is never omitted), our skel leaves it out
    const normalise = (r: AddResult, sandbox: string): unknown =>
      JSON.parse(
        JSON.stringify({ ...r, dns: r.dns ?? {} })
          .replaceAll(r.interfaces[0]?.name ?? "", "HOSTVETH")
          .replaceAll(sandbox, "SANDBOX")
          .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"MAC"'),
      );
    expect(normalise(ourResult, container.path)).toEqual(normalise(goResult, goContainer.path));

    const state = (ctr: TestNetns, hst: TestNetns, hostVeth: string): unknown => {
      const named = (rs: IpRoute[]): IpRoute[] => rs.map((r) => ({ ...r, dev: r.dev.replace(hostVeth, "HOSTVETH") }));
      return {
        // Go's host end may still be detecting duplicates (nothing waits for it); ours never does
        containerAddresses: globalAddresses(ctr, "eth0", false),
        containerMtu: links(ctr).find((l) => l.ifname === "eth0")?.mtu,
        containerRoutes: [routes(ctr, "-4"), routes(ctr, "-6")],
        hostAddresses: globalAddresses(hst, hostVeth, false),
        hostMtu: links(hst).find((l) => l.ifname === hostVeth)?.mtu,
        hostRoutes: [named(routes(hst, "-4")), named(routes(hst, "-6"))],
        forwarding: [sysctl(hst, "net/ipv4/ip_forward"), sysctl(hst, "net/ipv6/conf/all/forwarding")],
        acceptRa: sysctl(hst, `net/ipv6/conf/${hostVeth}/accept_ra`),
      };
    };
    expect(state(container, host, ourResult.interfaces[0]?.name ?? "")).toEqual(
      state(goContainer, goHost, goResult.interfaces[0]?.name ?? ""),
    );
    runPlugin(goPlugin("ptp"), call("DEL", theirs, { path: GO_BIN_DIR, netns: goContainer.path, hostNetns: goHost }));
  });

  it("CHECK catches a removed host route, a removed gateway route and a missing prevResult", () => {
    const conf = config("1.1.0", "v4");
    const result = added(runPlugin(VETH, call("ADD", conf)));
    const hostVeth = result.interfaces[0]?.name ?? "";
    const withPrev = { ...conf, prevResult: result };
    expect(runPlugin(VETH, call("CHECK", withPrev)).code).toBe(0);
    expect(failed(runPlugin(VETH, call("CHECK", conf)))).toMatchObject({ code: 7, msg: "Required prevResult missing" });

    inNetns(host, "ip", ["route", "del", "10.96.0.2/32", "dev", hostVeth]);
    expect(failed(runPlugin(VETH, call("CHECK", withPrev))).msg).toBe(
      `Expected host route {Dst: 10.96.0.2/32 Dev: ${hostVeth}} not found in routing table`,
    );
    inNetns(host, "ip", ["route", "add", "10.96.0.2/32", "dev", hostVeth, "scope", "host"]);
    expect(runPlugin(VETH, call("CHECK", withPrev)).code).toBe(0);

    inNetns(container, "ip", ["route", "del", "10.96.0.1/32", "dev", "eth0"]);
    expect(failed(runPlugin(VETH, call("CHECK", withPrev))).msg).toBe("Expected Route {Dst: 10.96.0.1/32} not found in routing table");
  });

  it("CHECK refuses a prevResult whose ips[].interface is out of range or negative, code 7 naming it", () => {
    const conf = config("1.1.0", "v4");
    const result = added(runPlugin(VETH, call("ADD", conf)));
    for (const index of [7, -1]) {
      const prevResult = structuredClone(result);
      prevResult.ips[0]!.interface = index;
      expect(failed(runPlugin(VETH, call("CHECK", { ...conf, prevResult })))).toMatchObject({
        code: 7,
        msg: `prevResult.ips[0].interface ${index} is out of range (2 interfaces)`,
      });
    }
  });

  it("DEL releases the lease when CNI_NETNS is empty or the namespace is gone", () => {
    const conf = config("1.0.0", "dual");
    added(runPlugin(VETH, call("ADD", conf)));
    deleteNetns(container).waitForPeers();
    expect(linkNamesButLo(host)).toEqual([]); // the pair went with the namespace
    expect(leases()).toEqual(["10.96.0.2", "fd96::2"]);
    expect(runPlugin(VETH, call("DEL", conf))).toMatchObject({ code: 0, stdout: "" });
    expect(leases()).toEqual([]);

    container = createNetns("veth-ctr");
    added(runPlugin(VETH, call("ADD", conf)));
    expect(runPlugin(VETH, call("DEL", conf, { netns: undefined }))).toMatchObject({ code: 0, stdout: "" });
    expect(leases()).toEqual([]);
  });

  it("ipMasq: masquerade rules for each address in the host namespace, gone after DEL; GC and STATUS forward", () => {
    const conf = config("1.1.0", "dual", { ipMasq: true });
    added(runPlugin(VETH, call("ADD", conf)));
    const rules = (): string => inNetns(host, "nft", ["list", "ruleset"]);
    expect(rules()).toContain("ip saddr 10.96.0.2 ip daddr != 10.96.0.0/24 masquerade");
    expect(rules()).toContain("ip6 saddr fd96::2 ip6 daddr != fd96::/64 masquerade");
    expect(runPlugin(VETH, call("DEL", conf))).toMatchObject({ code: 0 });
    expect(rules()).not.toContain("saddr");

    // GC with no valid attachment releases a lease and the rules of an attachment nobody deleted
    added(runPlugin(VETH, call("ADD", conf, { containerId: "ctr-9" })));
    expect(runPlugin(VETH, call("STATUS", conf, { containerId: undefined, netns: undefined, ifName: undefined })).code).toBe(0);
    const gc = runPlugin(VETH, call("GC", { ...conf, "cni.dev/valid-attachments": [] }, { containerId: undefined, netns: undefined, ifName: undefined }));
    expect(gc).toMatchObject({ code: 0, stdout: "" });
    expect(leases()).toEqual([]);
    expect(rules()).not.toContain("saddr");
  });

  it("sets the container end's MAC from runtimeConfig, args or CNI_ARGS, and refuses a malformed one", () => {
    const conf = config("1.1.0", "v4", { runtimeConfig: { mac: "0A:58:0A:60:00:02" } });
    const result = added(runPlugin(VETH, call("ADD", conf)));
    expect(result.interfaces[1]?.mac).toBe("0a:58:0a:60:00:02");
    expect(links(container).find((l) => l.ifname === "eth0")?.address).toBe("0a:58:0a:60:00:02");
    runPlugin(VETH, call("DEL", conf));
    const viaEnv = added(runPlugin(VETH, call("ADD", config("1.1.0", "v4"), { args: "IgnoreUnknown=1;MAC=0a:58:0a:60:00:07" })));
    expect(viaEnv.interfaces[1]?.mac).toBe("0a:58:0a:60:00:07");
    runPlugin(VETH, call("DEL", config("1.1.0", "v4")));
    const bad = failed(runPlugin(VETH, call("ADD", config("1.1.0", "v4", { args: { cni: { mac: "0a:58:zz" } } }))));
    expect(bad).toMatchObject({ code: 7, msg: 'invalid MAC address "0a:58:zz" in args.cni.mac' });
    expect(leases()).toEqual([]);
  });

  it("enabledad turns duplicate address detection on for the container end", () => {
    const conf = config("1.1.0", "v6", { enabledad: true });
    added(runPlugin(VETH, call("ADD", conf)));
    expect(sysctl(container, "net/ipv6/conf/eth0/accept_dad")).toBe("1");
    expect(globalAddresses(container, "eth0")).toEqual(["fd96::2/64"]); // settled before ADD returned
  });
});

describe("veth failures leave nothing behind", () => {
  function expectNothingLeft(): void {
    expect(linkNamesButLo(host)).toEqual([]);
    expect(leases()).toEqual([]);
  }

  it.each([
    ["no ipam", { ipam: undefined }, 7, 'missing "ipam": veth needs an IPAM plugin to get its addresses'],
    ["ipam without a type", { ipam: { subnet: "10.96.0.0/24" } }, 7, 'missing "ipam.type": no IPAM plugin name provided'],
    ["a negative mtu", { mtu: -1 }, 7, 'invalid "mtu" -1: must be 0 (the kernel\'s default) or more'],
    ["a bad ipMasqBackend", { ipMasq: true, ipMasqBackend: "ebtables" }, 7, 'invalid ipMasqBackend "ebtables": must be "nftables" or "iptables"'],
  ])("%s is refused before anything is done", (_what, extra, code, msg) => {
    expect(failed(runPlugin(VETH, call("ADD", config("1.1.0", "dual", extra))))).toMatchObject({ code, msg });
    expectNothingLeft();
  });

  it("an IPAM that fails: its error is passed on", () => {
    const full = config("1.1.0", "v4", {});
    (full.ipam as Record<string, unknown>).ranges = [[{ subnet: "10.96.0.0/30" }]];
    added(runPlugin(VETH, call("ADD", full)));
    const second = createNetns("veth-ctr2");
    const r = failed(runPlugin(VETH, call("ADD", full, { containerId: "ctr-2", netns: second.path })));
    expect(r.code).toBe(100);
    expect(linkNamesButLo(second)).toEqual([]);
    expect(leases()).toEqual(["10.96.0.2"]);
  });

  it("a CNI_NETNS that is not a namespace: code 4, the lease is released", () => {
    const r = failed(runPlugin(VETH, call("ADD", config("1.1.0", "dual"), { netns: join(work, "no-such-netns") })));
    expect(r.code).toBe(4);
    expect(r.msg).toMatch(/^failed to open netns ".*no-such-netns": /);
    expectNothingLeft();
  });

  it("an IPAM result without a gateway cannot be routed: refused before any link is made", () => {
    const conf = { ...config("1.0.0", "v4"), ipam: { type: "static", addresses: [{ address: "10.96.0.5/24" }] } };
    const r = failed(runPlugin(VETH, call("ADD", conf, { path: `${BIN_DIR}:${GO_BIN_DIR}` })));
    expect(r.msg).toBe("IPAM returned 10.96.0.5/24 without a gateway of its family: veth routes every address through one");
    expectNothingLeft();
    expect(linkNamesButLo(container)).toEqual([]);
  });

  it("an mtu the kernel refuses: the lease is released", () => {
    const r = failed(runPlugin(VETH, call("ADD", config("1.1.0", "dual", { mtu: 1_000_000 }))));
    expect(r.msg).toMatch(/^failed to make veth pair: /);
    expect(r.details).toContain('"mtu" 1000000');
    expectNothingLeft();
  });

  it("an ifName that already exists in the container: the lease is released, the existing link kept", () => {
    inNetns(container, "ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "taken0"]);
    const r = failed(runPlugin(VETH, call("ADD", config("1.1.0", "dual"))));
    expect(r.msg).toMatch(/^container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
    expectNothingLeft();
    expect(linkNamesButLo(container)).toEqual(["eth0", "taken0"]);
  });

  it("an IPAM route that cannot be added in the container: the pair and the lease are removed", () => {
    const conf = config("1.1.0", "v4");
    (conf.ipam as Record<string, unknown>).routes = [{ dst: "10.200.0.0/16", gw: "10.99.0.1" }];
    const r = failed(runPlugin(VETH, call("ADD", conf)));
    expect(r.msg).toMatch(/^failed to add route '10.200.0.0\/16 via 10.99.0.1 dev eth0/);
    expectNothingLeft();
    expect(linkNamesButLo(container)).toEqual([]);
  });

  it("the gateway address refused on the host end: the pair and the lease are removed", () => {
    inNetns(host, "sysctl", ["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    const r = failed(runPlugin(VETH, call("ADD", config("1.1.0", "dual"))));
    expect(r.msg).toMatch(/^failed to add IP addr fd96::1\/128 to "veth[0-9a-f]{8}": /);
    expectNothingLeft();
    expect(linkNamesButLo(container)).toEqual([]);
  });

  it("masquerade that cannot be set up (iptables missing): rules, pair and lease are removed", () => {
    const r = failed(
      runPlugin(VETH, call("ADD", config("1.1.0", "dual", { ipMasq: true, ipMasqBackend: "iptables" }), { env: { PATH: "/usr/bin:/bin" } })),
    );
    expect(r.msg).toContain("iptables");
    expectNothingLeft();
    expect(linkNamesButLo(container)).toEqual([]);
    expect(inNetns(host, "nft", ["list", "ruleset"])).not.toContain("saddr");
  });
});
