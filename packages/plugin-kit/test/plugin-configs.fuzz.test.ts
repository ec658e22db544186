// Property tests of each plugin's config reader on generated configs: a valid config with values
// replaced by random JSON (known keys, wrong types, edge numbers, odd strings) and random CNI_ARGS.
// Property: the reader returns a config or throws a CniError — never anything else — and what it
// returns is within the documented ranges. FUZZ_RUNS=100000 for the long run (bench/fuzz.sh).
import { describe, expect, it } from "vitest";
import { CniError, cidrContains, compareIP, formatIP, parseIP, parseNetConf, type CmdArgs, type JsonObject } from "@cni/skel";
import { readContainerMac } from "../src/index";
import { readBridgeConfig, MAX_VLAN_ID } from "../../../plugins/bridge/src/config";
import { readVethConfig } from "../../../plugins/veth/src/config";
import { loadIpamConfig } from "../../../plugins/host-local/src/config";
import { Random, STRING_SEEDS, forAll, mutateString, randomContainer, randomJson } from "../../skel/test/fuzz-random";

const IPAM: JsonObject = {
  type: "host-local",
  ranges: [[{ subnet: "10.1.0.0/24", rangeStart: "10.1.0.10", rangeEnd: "10.1.0.20", gateway: "10.1.0.1" }], [{ subnet: "fd00:1::/64" }]],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0", gw: "fd00:1::1" }],
  dataDir: "/tmp/never-used",
  subnet: "10.2.0.0/16",
};

const BASES: Record<string, JsonObject> = {
  bridge: {
    cniVersion: "1.1.0", name: "fuzznet", type: "bridge", bridge: "cni-fuzz", isGateway: true, isDefaultGateway: false,
    forceAddress: false, ipMasq: true, ipMasqBackend: "nftables", mtu: 1400, hairpinMode: false, promiscMode: false,
    vlan: 10, vlanTrunk: [{ id: 20 }, { minID: 30, maxID: 33 }], preserveDefaultVlan: false, enabledad: false,
    macspoofchk: true, disableContainerInterface: false, portIsolation: false, ipam: IPAM,
    runtimeConfig: { mac: "0a:58:00:00:00:01", ips: ["10.1.0.12"] }, args: { cni: { mac: "0a:58:00:00:00:02", ips: ["fd00:1::9"] } },
  },
  veth: {
    cniVersion: "1.0.0", name: "fuzznet", type: "veth", ipMasq: true, ipMasqBackend: "iptables", mtu: 9000, enabledad: true, ipam: IPAM,
    runtimeConfig: { mac: "0a:58:00:00:00:01" },
  },
  "host-local": {
    cniVersion: "0.3.1", name: "fuzznet", type: "host-local", ipam: IPAM,
    runtimeConfig: { ipRanges: [[{ subnet: "10.3.0.0/24" }]], ips: ["10.3.0.7/24"] }, args: { cni: { ips: ["10.1.0.15"] } },
  },
};

const KEYS = [
  ...new Set([...Object.keys(BASES.bridge!), ...Object.keys(IPAM), "rangeStart", "rangeEnd", "gateway", "id", "minID", "maxID",
    "ipRanges", "ips", "mac", "cni", "dst", "gw", "resolvConf", "ranges"]),
];
const ARGS_ALPHABET = "=;IPMACgnoreUnknown01:.afx ";

/** A base config with a few values, anywhere inside it, replaced by random JSON. */
function mutated(random: Random, base: JsonObject): JsonObject {
  const copy = structuredClone(base);
  for (let e = 0; e < 1 + random.int(3); e++) {
    const container = randomContainer(random, copy, 5);
    if (container === undefined) continue;
    const existing = Object.keys(container);
    const key = existing.length > 0 && random.bool() ? random.pick(existing) : random.pick(KEYS);
    const roll = random.int(6);
    if (roll === 0) delete container[key];
    else if (roll === 1) container[key] = random.pick(STRING_SEEDS);
    else if (roll === 2 && typeof container[key] === "string") container[key] = mutateString(random, container[key] as string, "0123456789abcdef.:/-");
    else if (roll === 3) container[key] = random.number();
    else container[key] = randomJson(random, 3, KEYS);
  }
  return copy;
}

function cniArgs(random: Random): string {
  switch (random.int(4)) {
    case 0:
      return "";
    case 1:
      return random.anyString(20);
    default:
      return mutateString(random, random.pick(["IP=10.1.0.11", "MAC=0a:58:00:00:00:03", "IgnoreUnknown=1;K8S_POD_NAME=x;IP=fd00:1::5"]), ARGS_ALPHABET);
  }
}

interface Input {
  raw: JsonObject;
  args: string;
}

function cmdArgs(input: Input): CmdArgs | undefined {
  let config;
  try {
    config = parseNetConf(input.raw);
  } catch (thrown) {
    if (thrown instanceof CniError) return undefined;
    throw thrown;
  }
  return {
    command: "ADD", containerId: "c1", netns: "/var/run/netns/x", ifName: "eth0", args: input.args, path: ["/opt/cni/bin"],
    stdinData: Buffer.from(JSON.stringify(input.raw)), config, env: {},
  };
}

/** Accepted and refused inputs per reader: a property whose inputs all land on one side tests little. */
const tally = new Map<string, { passed: number; refused: number }>();

/** Run `read`; only a CniError (code 4 or 7, with a message) may come out of it. */
function readOrCniError<T>(name: string, read: () => T): T | undefined {
  const counts = tally.get(name) ?? { passed: 0, refused: 0 };
  tally.set(name, counts);
  try {
    const value = read();
    counts.passed++;
    return value;
  } catch (thrown) {
    if (!(thrown instanceof CniError)) throw thrown;
    expect(thrown.code === 4 || thrown.code === 7, `code ${thrown.code}: ${thrown.message}`).toBe(true);
    expect(thrown.message.length).toBeGreaterThan(0);
    counts.refused++;
    return undefined;
  }
}

function expectBothOutcomes(name: string): void {
  const counts = tally.get(name);
  expect(counts?.passed, `${name}: no generated input was accepted`).toBeGreaterThan(0);
  expect(counts?.refused, `${name}: no generated input was refused`).toBeGreaterThan(0);
}

const generator = (base: JsonObject) => (random: Random): Input => ({ raw: mutated(random, base), args: cniArgs(random) });
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

describe("plugin config readers on generated configs", () => {
  it("bridge: readBridgeConfig and the MAC reader give a config in range or a CniError", () => {
    forAll("bridge config", generator(BASES.bridge!), (input) => {
      const args = cmdArgs(input);
      if (args === undefined) return;
      const conf = readOrCniError("readBridgeConfig", () => readBridgeConfig(args));
      if (conf !== undefined) {
        expect(conf.vlan).toBeGreaterThanOrEqual(0);
        expect(conf.vlan).toBeLessThanOrEqual(MAX_VLAN_ID);
        for (const vid of conf.vlanTrunk) expect(vid >= 1 && vid <= MAX_VLAN_ID).toBe(true);
        expect(conf.mtu === undefined || conf.mtu > 0).toBe(true);
        expect(conf.bridge.length).toBeGreaterThan(0);
        expect(["nftables", "iptables"]).toContain(conf.ipMasqBackend);
      }
      const mac = readOrCniError("readContainerMac", () => readContainerMac(args));
      if (mac !== undefined) expect(mac).toMatch(MAC);
    });
    expectBothOutcomes("readBridgeConfig");
    expectBothOutcomes("readContainerMac");
  });

  it("veth: readVethConfig and the MAC reader give a config in range or a CniError", () => {
    forAll("veth config", generator(BASES.veth!), (input) => {
      const args = cmdArgs(input);
      if (args === undefined) return;
      const conf = readOrCniError("readVethConfig", () => readVethConfig(args));
      if (conf !== undefined) {
        expect(conf.ipamType.length).toBeGreaterThan(0);
        expect(conf.mtu === undefined || conf.mtu > 0).toBe(true);
      }
      const mac = readOrCniError("readContainerMac", () => readContainerMac(args));
      if (mac !== undefined) expect(mac).toMatch(MAC);
    });
    expectBothOutcomes("readVethConfig");
  });

  it("host-local: loadIpamConfig gives checked ranges or a CniError", () => {
    forAll("host-local config", generator(BASES["host-local"]!), (input) => {
      const args = cmdArgs(input);
      if (args === undefined) return;
      const conf = readOrCniError("loadIpamConfig", () => loadIpamConfig(args.config, input.args));
      if (conf === undefined) return;
      expect(conf.rangeSets.length).toBeGreaterThan(0);
      expect(conf.dataDir.length).toBeGreaterThan(0);
      // every accepted range hands out addresses of its own subnet, start <= end, no overlap across sets
      for (const set of conf.rangeSets) {
        expect(set.length).toBeGreaterThan(0);
        for (const range of set) {
          expect(cidrContains(range.subnet, range.rangeStart)).toBe(true);
          expect(cidrContains(range.subnet, range.rangeEnd)).toBe(true);
          expect(compareIP(range.rangeStart, range.rangeEnd)).toBeLessThanOrEqual(0);
          expect(range.subnet.ip.family).toBe(set[0]!.subnet.ip.family);
        }
      }
      for (const ip of conf.requestedIPs) expect(parseIP(formatIP(ip))).toBeDefined();
    });
    expectBothOutcomes("loadIpamConfig");
  });
});
