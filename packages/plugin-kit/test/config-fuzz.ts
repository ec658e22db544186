// The harness of the config-reader property tests (plugins/*/test/config.fuzz.test.ts): a valid config
// with values replaced by random JSON (known keys, wrong types, edge numbers, odd strings) and random
// CNI_ARGS. Property: a reader returns a config or throws a CniError — never anything else — and what it
// returns is within the documented ranges (each plugin's test says which). FUZZ_RUNS=100000 for the long
// run (bench/fuzz.sh). Plugins import this; it imports no plugin.
import { expect } from "vitest";
import { CniError, parseNetConf, type CmdArgs, type JsonObject } from "@cni/skel";
import { readContainerMac } from "../src/index";
import { Random, STRING_SEEDS, forAll, mutateString, randomContainer, randomJson } from "../../skel/test/fuzz-random";

/** An IPAM section with every host-local key, for the plugins that delegate to it. */
export const FUZZ_IPAM: JsonObject = {
  type: "host-local",
  ranges: [[{ subnet: "10.1.0.0/24", rangeStart: "10.1.0.10", rangeEnd: "10.1.0.20", gateway: "10.1.0.1" }], [{ subnet: "fd00:1::/64" }]],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0", gw: "fd00:1::1" }],
  dataDir: "/tmp/never-used",
  subnet: "10.2.0.0/16",
};

/** Keys a mutation may add or replace: the union of what bridge, veth and host-local read. */
const KEYS = [
  "cniVersion", "name", "type", "bridge", "isGateway", "isDefaultGateway", "forceAddress", "ipMasq", "ipMasqBackend", "mtu",
  "hairpinMode", "promiscMode", "vlan", "vlanTrunk", "preserveDefaultVlan", "enabledad", "macspoofchk", "disableContainerInterface",
  "portIsolation", "ipam", "runtimeConfig", "args", "ranges", "routes", "dataDir", "subnet", "rangeStart", "rangeEnd", "gateway", "id",
  "minID", "maxID", "ipRanges", "ips", "mac", "cni", "dst", "gw", "resolvConf",
];
const ARGS_ALPHABET = "=;IPMACgnoreUnknown01:.afx ";

/** A MAC as the readers print it. */
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

interface FuzzInput {
  raw: JsonObject;
  args: string;
}

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

/**
 * The property `name` over inputs generated around `base`: `check` gets the ADD CmdArgs of each input
 * whose config skel accepts (CNI_ARGS included); FUZZ_RUNS of them.
 */
export function forAllConfigs(name: string, base: JsonObject, check: (args: CmdArgs) => void): void {
  const generate = (random: Random): FuzzInput => ({ raw: mutated(random, base), args: cniArgs(random) });
  forAll(name, generate, (input) => {
    const args = fuzzCmdArgs(input);
    if (args !== undefined) check(args);
  });
}

/** The ADD CmdArgs of an input, or undefined when skel already refuses its config. */
function fuzzCmdArgs(input: FuzzInput): CmdArgs | undefined {
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
export function readOrCniError<T>(name: string, read: () => T): T | undefined {
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

/** The reader `name` both accepted and refused some of the generated inputs. */
export function expectBothOutcomes(name: string): void {
  const counts = tally.get(name);
  expect(counts?.passed, `${name}: no generated input was accepted`).toBeGreaterThan(0);
  expect(counts?.refused, `${name}: no generated input was refused`).toBeGreaterThan(0);
}

/** The kit's MAC reader (CNI_ARGS, args.cni, runtimeConfig): a MAC in lowercase or a CniError. */
export function checkContainerMac(args: CmdArgs): void {
  const mac = readOrCniError("readContainerMac", () => readContainerMac(args));
  if (mac !== undefined) expect(mac).toMatch(MAC);
}
