// `ptp` is a name of veth: a Go `"type": "ptp"` conflist runs unchanged. The same conflist goes through
// cnitool (libcni) twice, with CNI_PATH=bin/ (our ptp and host-local) and CNI_PATH=/usr/lib/cni (Debian's
// Go ptp and host-local), each with its "host" in a throwaway namespace: same result, same kernel state,
// same leases, and after DEL nothing left. Masquerade differs by design (ours: nftables, Go 1.1.1:
// iptables), so each is looked for in its own backend.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { iptablesChains, nftRules } from "./lib/leftovers";
import { addrs, cleanupAll, createHostNetns, createNetns, inNetns, ipJson, linkNamesButLo, type TestNetns } from "./lib/netns";
import { BIN_DIR, GO_BIN_DIR, goPlugin, ourPlugin } from "./lib/plugin";

/** ptp and cnitool are names of the multi-call executable: `./build.sh --separate` makes neither. */
const SEPARATE_BUILD = !existsSync(join(BIN_DIR, "cni-plugins"));
const NETWORK = "ptpnet";
const CONTAINER_ID = "ptp-ctr-1";

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-ptp-"));
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

/** The Go ptp conflist of cni.dev's docs, as a user has it in /etc/cni/net.d (nothing of ours in it). */
function goConflist(dataDir: string): object {
  return {
    cniVersion: "1.0.0",
    name: NETWORK,
    plugins: [
      {
        type: "ptp",
        ipMasq: true,
        mtu: 1400,
        ipam: { type: "host-local", subnet: "10.97.0.0/24", routes: [{ dst: "0.0.0.0/0" }], dataDir },
        dns: { nameservers: ["10.97.0.1"] },
      },
    ],
  };
}

interface Side {
  cniPath: string;
  host: TestNetns;
  container: TestNetns;
  netconf: string;
  dataDir: string;
  cache: string;
}

function side(label: string, cniPath: string): Side {
  const dir = join(work, label);
  const netconf = join(dir, "net.d");
  mkdirSync(netconf, { recursive: true });
  const dataDir = join(dir, "ipam");
  writeFileSync(join(netconf, "10-ptpnet.conflist"), JSON.stringify(goConflist(dataDir)));
  const host = createHostNetns(`ptp-host-${label}`);
  // a new namespace copies the machine's forwarding setting: start from off, to see ptp turn it on
  inNetns(host, "sysctl", ["-qw", "net.ipv4.ip_forward=0"]);
  return { cniPath, host, container: createNetns(`ptp-ctr-${label}`), netconf, dataDir, cache: join(dir, "cache") };
}

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** cnitool VERB ptpnet NETNS as a runtime runs it, in the side's host namespace. */
function cnitool(s: Side, verb: string): ToolRun {
  const r = spawnSync("ip", ["netns", "exec", s.host.name, ourPlugin("cnitool"), verb, NETWORK, s.container.path], {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env.PATH, NETCONFPATH: s.netconf, CNI_PATH: s.cniPath, CNI_CACHE_DIR: s.cache, CNI_CONTAINERID: CONTAINER_ID },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Route {
  dst: string;
  gateway?: string;
  dev: string;
  scope?: string;
  prefsrc?: string;
  protocol?: string;
}

/** Everything ADD put in place, with the host end's random name replaced by `HOST-VETH`. */
function state(s: Side, hostVeth: string): Record<string, unknown> {
  const globalAddresses = (ns: TestNetns, dev: string): string[] =>
    addrs(ns, dev).flatMap((link) => link.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`));
  const routes = (ns: TestNetns, dev: string): string[] =>
    ipJson<Route[]>(ns, ["-4", "route", "show", "dev", dev])
      .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""} scope ${r.scope ?? "global"}${r.prefsrc ? ` src ${r.prefsrc}` : ""}`)
      .sort();
  const leaseDir = join(s.dataDir, NETWORK);
  const leases = readdirSync(leaseDir)
    .filter((f) => /^\d/.test(f))
    .map((f) => `${f}=${readFileSync(join(leaseDir, f), "utf8")}`);
  return {
    container: {
      eth0: globalAddresses(s.container, "eth0"),
      mtu: addrs(s.container, "eth0")[0]?.mtu,
      routes: routes(s.container, "eth0"),
    },
    host: {
      addresses: globalAddresses(s.host, hostVeth),
      mtu: addrs(s.host, hostVeth)[0]?.mtu,
      routes: routes(s.host, hostVeth),
      forwarding: inNetns(s.host, "cat", ["/proc/sys/net/ipv4/ip_forward"]).trim(),
    },
    leases,
  };
}

interface AddResult {
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  [key: string]: unknown;
}

/** The result with what differs per run by nature (names, MACs, namespace paths) replaced by placeholders. */
function comparable(result: AddResult, s: Side): unknown {
  const hostVeth = result.interfaces[0]?.name ?? "";
  const text = JSON.stringify(result).replaceAll(hostVeth, "HOST-VETH").replaceAll(s.container.path, "NETNS");
  return JSON.parse(text.replace(/"mac":"[0-9a-f:]{17}"/g, '"mac":"MAC"')) as unknown;
}

describe.skipIf(SEPARATE_BUILD)("ptp: a Go ptp conflist through bin/ptp and through Debian's /usr/lib/cni/ptp", () => {
  it("ADD, CHECK and DEL give the same result and the same state; DEL leaves nothing", () => {
    goPlugin("ptp"); // Debian's containernetworking-plugins: the reference
    const ours = side("ours", BIN_DIR);
    const go = side("go", GO_BIN_DIR);
    const outcomes: Record<string, unknown>[] = [];
    for (const s of [ours, go]) {
      const add = cnitool(s, "add");
      expect({ stderr: add.stderr, status: add.status }).toEqual({ stderr: "", status: 0 });
      const result = JSON.parse(add.stdout) as AddResult;
      const hostVeth = result.interfaces[0]?.name ?? "";
      expect(hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
      const check = cnitool(s, "check");
      expect({ stderr: check.stderr, status: check.status }).toEqual({ stderr: "", status: 0 });
      outcomes.push({ result: comparable(result, s), state: state(s, hostVeth) });
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toMatchObject({
      state: { container: { eth0: ["10.97.0.2/24"], mtu: 1400 }, host: { addresses: ["10.97.0.1/32"], forwarding: "1" } },
    });

    // masquerade: ours in nftables, Go 1.1.1's in iptables
    expect(nftRules(ours.host).filter((r) => r.includes(NETWORK))).toHaveLength(1);
    expect(iptablesChains(go.host)).toHaveLength(1);

    for (const s of [ours, go]) {
      const del = cnitool(s, "del");
      expect({ stderr: del.stderr, status: del.status }).toEqual({ stderr: "", status: 0 });
      expect(linkNamesButLo(s.host)).toEqual([]);
      expect(linkNamesButLo(s.container)).toEqual([]);
      expect(readdirSync(join(s.dataDir, NETWORK)).filter((f) => /^\d/.test(f))).toEqual([]);
      expect(readdirSync(join(s.cache, "results"))).toEqual([]);
    }
    expect(nftRules(ours.host)).toEqual([]);
    expect(iptablesChains(go.host)).toEqual([]);
  });

  it("bin/ptp is bin/veth (one plugin, two names)", () => {
    const ptp = spawnSync(ourPlugin("ptp"), [], { encoding: "utf8", env: { CNI_COMMAND: "VERSION" } });
    const veth = spawnSync(ourPlugin("veth"), [], { encoding: "utf8", env: { CNI_COMMAND: "VERSION" } });
    expect(ptp.status).toBe(0);
    expect(ptp.stdout).toBe(veth.stdout);
  });
});
