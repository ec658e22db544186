// Property tests of skel's pure parts on generated inputs: addresses and CIDRs, CNI_ARGS, the config
// decoder, results of every version, and a whole in-process plugin call. Properties: nothing throws
// anything but a CniError; what parses prints back to text that parses to the same thing.
// A small seeded run by default; FUZZ_RUNS=100000 for the long one (bench/fuzz.sh).
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import {
  ALL_VERSIONS,
  CniError,
  cidrContains,
  compareIP,
  definePlugin,
  formatCIDR,
  formatIP,
  formatResult,
  ipFromBytes,
  ipToBytes,
  lastAddressOf,
  networkOf,
  nextIP,
  parseCIDR,
  parseCniArgs,
  parseIP,
  parseNetConf,
  parseResult,
  prevIP,
  sameIP,
  type JsonObject,
  type Result,
} from "../src/index";
import { FUZZ_RUNS, Random, STRING_SEEDS, forAll, forAllAsync, mutateString, randomContainer, randomJson } from "./fuzz-random";

const IP_ALPHABET = "0123456789abcdefABCDEF.:/%x -+\u0000\u0660";
const VALID_ADDRESSES = [
  "0.0.0.0", "10.1.2.3", "255.255.255.255", "192.168.0.1", "::", "::1", "fd00::1", "2001:db8::ff00:42:8329",
  "::ffff:10.1.2.3", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "::ffff:0:0", "64:ff9b::1.2.3.4",
];

/** What a CniError looks like from outside: the only kind of exception a pure part may throw. */
function onlyCniErrors(body: () => void, tally?: Tally): void {
  try {
    body();
    if (tally) tally.passed++;
  } catch (thrown) {
    if (!(thrown instanceof CniError)) throw thrown;
    expect(Number.isInteger(thrown.code)).toBe(true);
    expect(thrown.message.length).toBeGreaterThan(0);
    if (tally) tally.refused++;
  }
}

/** How many generated inputs were accepted and refused: a property whose inputs all land on one side tests little. */
interface Tally {
  passed: number;
  refused: number;
}
function expectBothOutcomes(tally: Tally): void {
  expect(tally.passed, "no generated input was accepted").toBeGreaterThan(0);
  expect(tally.refused, "no generated input was refused").toBeGreaterThan(0);
}

function addressText(random: Random): string {
  switch (random.int(4)) {
    case 0:
      return random.stringFrom(IP_ALPHABET, 20);
    case 1:
      return `${random.int(300)}.${random.int(300)}.${random.int(300)}.${random.int(300)}`;
    default:
      return mutateString(random, random.pick(VALID_ADDRESSES), IP_ALPHABET);
  }
}

function cidrText(random: Random): string {
  if (random.int(4) === 0) return random.stringFrom(IP_ALPHABET, 24);
  const prefix = random.int(5) === 0 ? random.stringFrom("0123456789-+ x", 4) : String(random.int(140));
  const text = `${random.pick(VALID_ADDRESSES)}/${prefix}`;
  return random.bool() ? text : mutateString(random, text, IP_ALPHABET);
}

describe("addresses (ip.ts)", () => {
  it("parseIP never throws, agrees with node:net on what is an address, and its output reparses to itself", () => {
    forAll("parseIP", addressText, (text) => {
      const ip = parseIP(text);
      // Go's ParseIP (our model) takes no zone; otherwise it accepts exactly what node:net does.
      if (!text.includes("%")) expect(ip !== undefined, `parseIP(${JSON.stringify(text)})`).toBe(isIP(text) !== 0);
      if (ip === undefined) return;
      const printed = formatIP(ip);
      const again = parseIP(printed);
      expect(again).toBeDefined();
      expect(sameIP(again!, ip)).toBe(true);
      expect(formatIP(again!)).toBe(printed);
    });
  });

  it("parseCIDR never throws; a CIDR's network and last address contain it, and it reparses to itself", () => {
    forAll("parseCIDR", cidrText, (text) => {
      const cidr = parseCIDR(text);
      if (cidr === undefined) return;
      const printed = formatCIDR(cidr);
      const again = parseCIDR(printed);
      expect(again, printed).toBeDefined();
      expect(formatCIDR(again!)).toBe(printed);
      const network = networkOf(cidr);
      expect(cidrContains(network, cidr.ip)).toBe(true);
      expect(cidrContains(network, network.ip)).toBe(true);
      expect(cidrContains(network, lastAddressOf(cidr))).toBe(true);
      expect(compareIP(network.ip, lastAddressOf(cidr))).toBeLessThanOrEqual(0);
    });
  });

  it("bytes round-trip, and nextIP/prevIP undo each other", () => {
    forAll(
      "ip bytes",
      (random) => {
        const length = random.pick([4, 16, 4, 16, random.int(20)]);
        const bytes = new Uint8Array(length);
        for (let i = 0; i < length; i++) bytes[i] = random.pick([0, 255, random.int(256)]);
        return Array.from(bytes);
      },
      (list) => {
        const ip = ipFromBytes(Uint8Array.from(list));
        if (list.length !== 4 && list.length !== 16) return;
        expect(ip).toBeDefined();
        const back = parseIP(formatIP(ip!));
        expect(back && sameIP(back, ip!)).toBe(true);
        expect(ipFromBytes(ipToBytes(ip!)) && sameIP(ipFromBytes(ipToBytes(ip!))!, ip!)).toBe(true);
        const allOnes = list.every((b) => b === 255);
        const allZeros = list.every((b) => b === 0);
        if (!allOnes) expect(sameIP(prevIP(nextIP(ip!)), ip!)).toBe(true);
        if (!allZeros) expect(sameIP(nextIP(prevIP(ip!)), ip!)).toBe(true);
      },
    );
  });
});

describe("CNI_ARGS (cniargs.ts)", () => {
  const KNOWN = ["IP", "MAC", "K8S_POD_NAME"] as const;
  it("parses or throws CniError code 4; what parses holds only known keys, and re-joined parses the same", () => {
    const tally: Tally = { passed: 0, refused: 0 };
    forAll(
      "parseCniArgs",
      (random) =>
        random.int(3) === 0
          ? random.anyString(40)
          : mutateString(random, random.pick(["IP=10.1.2.3", "IgnoreUnknown=1;FOO=bar", "MAC=0a:58:00:00:00:01;IP=fd00::2", "K8S_POD_NAME=a=b;;IP="]), "=;IPMACgnore01 \u0000"),
      (text) => {
        let parsed: Record<string, string>;
        try {
          parsed = parseCniArgs(text, KNOWN);
        } catch (thrown) {
          expect(thrown).toBeInstanceOf(CniError);
          expect((thrown as CniError).code).toBe(4);
          tally.refused++;
          return;
        }
        tally.passed++;
        for (const key of Object.keys(parsed)) expect(KNOWN as readonly string[]).toContain(key);
        const rejoined = Object.entries(parsed)
          .filter(([, v]) => !v.includes(";"))
          .map(([k, v]) => `${k}=${v}`)
          .join(";");
        const again = parseCniArgs(rejoined, KNOWN);
        for (const [k, v] of Object.entries(again)) expect(parsed[k]).toBe(v);
      },
    );
    expectBothOutcomes(tally);
  });
});

// ---------------------------------------------------------------- configs

const CONFIG_KEYS = [
  "cniVersion", "name", "type", "ipam", "dns", "nameservers", "domain", "search", "options", "runtimeConfig",
  "prevResult", "interfaces", "ips", "routes", "address", "gateway", "dst", "gw", "version", "interface", "mac",
  "sandbox", "mtu", "ip4", "ip6", "ip", "args", "cni", "subnet", "ranges", "cni.dev/valid-attachments",
  // keys every object inherits: a lookup that reads obj[key] without an own-property check finds these
  "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf",
];

const BASE_CONFIG: JsonObject = {
  cniVersion: "1.1.0",
  name: "fuzznet",
  type: "bridge",
  ipam: { type: "host-local", ranges: [[{ subnet: "10.1.0.0/24" }]] },
  dns: { nameservers: ["10.0.0.53"], search: ["example.com"] },
  runtimeConfig: { mac: "0a:58:00:00:00:01", ips: ["10.1.0.9"] },
  prevResult: {
    cniVersion: "0.4.0",
    interfaces: [{ name: "eth0", mac: "0a:58:00:00:00:01", sandbox: "/var/run/netns/x" }],
    ips: [{ version: "4", interface: 0, address: "10.1.0.9/24", gateway: "10.1.0.1" }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
    dns: {},
  },
};

/** A valid config with a few values somewhere inside replaced by random JSON. */
function mutatedJson(random: Random, base: unknown, keys: readonly string[]): unknown {
  const copy = structuredClone(base);
  const edits = 1 + random.int(3);
  for (let e = 0; e < edits; e++) {
    // a random place, then replace or add a key there
    const container = randomContainer(random, copy, 4);
    if (container === undefined) continue;
    const existing = Object.keys(container);
    const key = Array.isArray(container)
      ? String(random.int(existing.length + 1))
      : existing.length > 0 && random.bool() ? random.pick(existing) : random.pick(keys);
    if (random.int(8) === 0) delete container[key];
    else container[key] = random.int(4) === 0 ? random.pick(STRING_SEEDS) : randomJson(random, 3, keys);
  }
  return copy;
}

describe("the config (config.ts)", () => {
  it("parseNetConf takes any JSON object to a NetConf or a CniError", () => {
    const tally: Tally = { passed: 0, refused: 0 };
    forAll("parseNetConf", (random) => mutatedJson(random, BASE_CONFIG, CONFIG_KEYS) as JsonObject, (raw) => {
      onlyCniErrors(() => {
        const conf = parseNetConf(raw);
        expect(typeof conf.name).toBe("string");
        parseNetConf(raw, { badPrevResult: "drop" });
      }, tally);
    });
    expectBothOutcomes(tally);
  });
});

// ---------------------------------------------------------------- results

const RESULT_SAMPLES: unknown[] = [
  BASE_CONFIG.prevResult,
  {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", mac: "0a:58:00:00:00:01", mtu: 1500, sandbox: "/x", socketPath: "/s", pciID: "0000:00:01.0" }],
    ips: [{ interface: 0, address: "fd00::9/64", gateway: "fd00::1" }, { address: "10.1.0.9/24" }],
    routes: [{ dst: "::/0", gw: "fd00::1", mtu: 1400, advmss: 1300, priority: 10, table: 100, scope: 0 }],
    dns: { nameservers: ["10.0.0.53"], domain: "d", search: ["s"], options: ["o"] },
  },
  {
    cniVersion: "0.2.0",
    ip4: { ip: "10.1.0.9/24", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0" }] },
    ip6: { ip: "fd00::9/64", routes: [{ dst: "::/0", gw: "fd00::1" }] },
    dns: { nameservers: ["10.0.0.53"] },
  },
];

/** A well-formed result in the current shape, built from parts (the round-trip's domain). */
function generatedResult(random: Random): Result {
  const result: Result = { cniVersion: "1.1.0" };
  const interfaceCount = random.int(3);
  if (interfaceCount > 0) {
    result.interfaces = [];
    for (let i = 0; i < interfaceCount; i++) {
      result.interfaces.push({
        name: `eth${i}`,
        ...(random.bool() ? { mac: "0a:58:00:00:00:0" + i } : {}),
        ...(random.bool() ? { sandbox: "/var/run/netns/x" } : {}),
        ...(random.int(3) === 0 ? { mtu: 1500 + i, socketPath: "/run/s", pciID: "0000:00:0" + i + ".0" } : {}),
      });
    }
  }
  const ipCount = random.int(4);
  if (ipCount > 0) {
    result.ips = [];
    for (let i = 0; i < ipCount; i++) {
      const v6 = random.bool();
      result.ips.push({
        address: v6 ? `fd00::${random.int(0xffff).toString(16)}/64` : `10.${random.int(256)}.${random.int(256)}.${random.int(256)}/${8 + random.int(25)}`,
        ...(random.bool() ? { gateway: v6 ? "fd00::1" : "10.0.0.1" } : {}),
        ...(interfaceCount > 0 && random.bool() ? { interface: random.int(interfaceCount) } : {}),
      });
    }
  }
  const routeCount = random.int(3);
  if (routeCount > 0) {
    result.routes = [];
    for (let i = 0; i < routeCount; i++) {
      const v6 = random.bool();
      result.routes.push({
        dst: v6 ? "::/0" : `10.${i}.0.0/16`,
        ...(random.bool() ? { gw: v6 ? "fd00::1" : "10.0.0.1" } : {}),
        ...(random.int(4) === 0 ? { mtu: 1400, priority: random.int(100) } : {}),
      });
    }
  }
  if (random.bool()) {
    result.dns = {
      ...(random.bool() ? { nameservers: ["10.0.0.53", "fd00::53"].slice(0, 1 + random.int(2)) } : {}),
      ...(random.bool() ? { domain: "example.com" } : {}),
      ...(random.bool() ? { search: ["a", "b"] } : {}),
      ...(random.bool() ? { options: ["ndots:5"] } : {}),
    };
  }
  return result;
}

/** Format `result` in `version`, or undefined when that version cannot hold it (a CniError). */
function formatOrNothing(result: Result, version: string): string | undefined {
  try {
    return formatResult(result, version);
  } catch (thrown) {
    if (!(thrown instanceof CniError)) throw thrown;
    return undefined;
  }
}

/** The round-trip property: printed in `version`, parsed back and printed again, the text is the same. */
function expectStableIn(result: Result, version: string): void {
  const text = formatOrNothing(result, version);
  if (text === undefined) return;
  const parsed = parseResult(text);
  expect(formatResult(parsed, version), `${version}:\n${text}`).toBe(text);
  // and through the current shape: 1.1.0 holds everything every version can say
  const widened = parseResult(formatResult(parsed, "1.1.0"));
  expect(formatResult(widened, version)).toBe(text);
}

describe("results (result.ts)", () => {
  it("parseResult takes any JSON to a Result or a CniError; what parses re-formats stably in every version", () => {
    const tally: Tally = { passed: 0, refused: 0 };
    forAll("parseResult", (random) => mutatedJson(random, random.pick(RESULT_SAMPLES), CONFIG_KEYS), (json) => {
      let result: Result;
      try {
        result = parseResult(json);
      } catch (thrown) {
        if (!(thrown instanceof CniError)) throw thrown;
        tally.refused++;
        return;
      }
      tally.passed++;
      for (const version of ALL_VERSIONS) expectStableIn(result, version);
    });
    expectBothOutcomes(tally);
  });

  it("a well-formed result converts to every version and back without changing", () => {
    forAll(
      "result round-trip",
      (random) => ({ result: generatedResult(random), from: random.pick(ALL_VERSIONS), to: random.pick(ALL_VERSIONS) }),
      ({ result, from, to }) => {
        // 1.1.0 holds it all: parse(format(r)) is r itself, addresses in canonical form.
        const text = formatResult(result, "1.1.0");
        expect(formatResult(parseResult(text), "1.1.0")).toBe(text);
        for (const version of ALL_VERSIONS) {
          expectStableIn(result, version);
          if (formatOrNothing(result, version) === undefined) {
            // only 0.1/0.2 may refuse a well-formed result, and only for having no address
            expect(version === "0.1.0" || version === "0.2.0").toBe(true);
            expect(result.ips?.length ?? 0).toBe(0);
          }
        }
        // one conversion between two versions, stable in the target
        const inVersion = formatOrNothing(result, from);
        if (inVersion !== undefined) expectStableIn(parseResult(inVersion), to);
      },
    );
  });

  it("parseResult of arbitrary text is a Result or a CniError", () => {
    forAll(
      "parseResult text",
      (random) => {
        const sample = JSON.stringify(random.pick(RESULT_SAMPLES));
        return random.int(3) === 0 ? random.anyString(60) : mutateString(random, sample, '{}[]":,0123456789.-/abcdefnulltrue\\\u0000');
      },
      (text) => onlyCniErrors(() => void parseResult(text)),
    );
  });
});

// ---------------------------------------------------------------- a whole call, in process

const VERBS = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION", "", "add", "FOO"];

interface CallInput {
  env: Record<string, string | undefined>;
  stdin: string;
}

function generatedCall(random: Random): CallInput {
  const env: Record<string, string | undefined> = {
    CNI_COMMAND: random.pick(VERBS),
    CNI_CONTAINERID: random.int(4) === 0 ? random.anyString(8) : "ctr-1",
    CNI_NETNS: random.int(4) === 0 ? random.anyString(10) : "/var/run/netns/does-not-exist-fuzz",
    CNI_IFNAME: random.int(4) === 0 ? random.anyString(18) : "eth0",
    CNI_ARGS: random.int(3) === 0 ? random.anyString(20) : undefined,
    CNI_PATH: random.int(5) === 0 ? undefined : "/opt/cni/bin",
    CNI_NETNS_OVERRIDE: "1",
  };
  for (const key of Object.keys(env)) if (random.int(10) === 0) delete env[key];
  const base = { ...BASE_CONFIG, "cni.dev/valid-attachments": [{ containerID: "c", ifname: "eth0" }] };
  const depth = 5000 + random.int(15_000);
  const stdin =
    random.int(40) === 0
      ? `{"cniVersion":"1.1.0","name":"n","${random.pick(CONFIG_KEYS)}":${"[".repeat(depth)}${"]".repeat(depth)}}`
      : random.int(5) === 0
      ? random.anyString(80)
      : random.bool()
        ? JSON.stringify(mutatedJson(random, base, CONFIG_KEYS))
        : mutateString(random, JSON.stringify(base), '{}[]":,0123456789.-/\u0000\\');
  return { env, stdin };
}

describe("a whole plugin call (plugin.ts)", () => {
  const plugin = definePlugin({
    about: "CNI fuzz plugin",
    add: (args) => args.config.prevResult ?? { cniVersion: "1.1.0", ips: [{ address: "10.1.0.9/24" }] },
    del: () => undefined,
    check: () => undefined,
  });

  it("exits 0, or 1 with one CNI error JSON on stdout; never throws", async () => {
    const tally: Tally = { passed: 0, refused: 0 };
    await forAllAsync("plugin.run", generatedCall, async ({ env, stdin }) => {
      let stdout = "";
      const code = await plugin.run({
        env,
        readStdin: () => Buffer.from(stdin),
        writeStdout: (text) => (stdout += text),
        writeStderr: () => undefined,
      });
      expect([0, 1]).toContain(code);
      if (code === 0) {
        tally.passed++;
        return;
      }
      tally.refused++;
      const error = JSON.parse(stdout) as { code: unknown; msg: unknown; cniVersion: unknown };
      expect(Number.isInteger(error.code)).toBe(true);
      expect(typeof error.msg).toBe("string");
      expect(typeof error.cniVersion).toBe("string");
    }, Math.max(1, Math.floor(FUZZ_RUNS / 3)));
    expectBothOutcomes(tally);
  });
});
