// Delegation through CNI_PATH, against a fake IPAM plugin (a shell script) in a temp directory.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CniError,
  DELEGATION_DEPTH_ENV,
  MAX_DELEGATION_DEPTH,
  definePlugin,
  delegate,
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGC,
  delegateStatus,
  findPlugin,
  absolutePath,
  parseNetConf,
  parsePluginError,
  setInProcessDelegate,
  type CmdArgs,
} from "../src/index";
import { envFor, invoke } from "./helpers";

let root: string;
let bin: string;
let record: string;

/** The fake plugin records its stdin and env per verb, then behaves as $FAKE_MODE says. */
const FAKE_IPAM = `#!/bin/sh
cat > "$FAKE_RECORD/stdin.$CNI_COMMAND"
env > "$FAKE_RECORD/env.$CNI_COMMAND"
case "$FAKE_MODE" in
  error) printf '{"cniVersion":"1.0.0","code":11,"msg":"store is busy","details":"lock held"}'; exit 1 ;;
  error-no-details) printf '{"code":3,"msg":"gone"}'; exit 1 ;;
  crash) echo "panic: something broke" >&2; exit 2 ;;
  silent-fail) exit 3 ;;
  garbage) echo "not json at all"; exit 1 ;;
  bad-result) printf '{"cniVersion":"1.0.0","ips":[{"address":"nope"}]}' ;;
  no-version) printf '{"ips":[{"version":"4","address":"10.0.0.2/24","gateway":"10.0.0.1"}],"dns":{}}' ;;
  *) if [ "$CNI_COMMAND" = ADD ]; then
       printf '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.99.0.7/16","gateway":"10.99.0.1"},{"version":"6","address":"fd99::7/64"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.99.0.1"]}}'
     fi
     echo "log line from ipam" >&2 ;;
esac
`;

function writeExecutable(path: string, text: string, mode = 0o755): void {
  writeFileSync(path, text);
  chmodSync(path, mode);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "skel-delegate-"));
  bin = join(root, "bin");
  record = join(root, "record");
  mkdirSync(bin);
  mkdirSync(record);
  writeExecutable(join(bin, "fake-ipam"), FAKE_IPAM);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => setInProcessDelegate(undefined));

const STDIN = Buffer.from('{"cniVersion":"1.1.0","name":"net1","type":"bridge","ipam":{"type":"fake-ipam"},"note":"\u00e9 \\u00fc"}\r\n  \t', "utf8");

function cmdArgs(overrides: { mode?: string; path?: string[]; stdin?: Buffer; env?: Record<string, string> } = {}): CmdArgs {
  const stdinData = overrides.stdin ?? STDIN;
  const env = {
    PATH: process.env.PATH,
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "ctr-9",
    CNI_NETNS: "/var/run/netns/x",
    CNI_IFNAME: "eth0",
    CNI_ARGS: "IgnoreUnknown=1",
    CNI_PATH: (overrides.path ?? [bin]).join(":"),
    FAKE_RECORD: record,
    FAKE_MODE: overrides.mode ?? "ok",
    ...overrides.env,
  };
  return {
    command: "ADD",
    containerId: "ctr-9",
    netns: "/var/run/netns/x",
    ifName: "eth0",
    args: "IgnoreUnknown=1",
    path: overrides.path ?? [bin],
    stdinData,
    config: parseNetConf(JSON.parse(stdinData.toString("utf8"))),
    env,
  };
}

async function rejection(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error("did not reject");
}

function recordedEnv(verb: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(record, `env.${verb}`), "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

describe("delegation", () => {
  it("ADD returns the child's result in the current shape", async () => {
    expect(await delegateAdd("fake-ipam", cmdArgs())).toEqual({
      cniVersion: "1.1.0",
      ips: [{ address: "10.99.0.7/16", gateway: "10.99.0.1" }, { address: "fd99::7/64" }],
      routes: [{ dst: "0.0.0.0/0" }],
      dns: { nameservers: ["10.99.0.1"] },
    });
  });

  it("passes the exact stdin bytes and the environment with CNI_COMMAND set to the verb", async () => {
    const args = cmdArgs();
    const verbs: Array<[string, (t: string, a: CmdArgs) => Promise<unknown>]> = [
      ["ADD", delegateAdd], ["DEL", delegateDel], ["CHECK", delegateCheck], ["STATUS", delegateStatus], ["GC", delegateGC],
    ];
    for (const [verb, fn] of verbs) {
      await fn("fake-ipam", args);
      expect(readFileSync(join(record, `stdin.${verb}`)).equals(STDIN)).toBe(true);
      expect(recordedEnv(verb)).toMatchObject({
        CNI_COMMAND: verb, CNI_CONTAINERID: "ctr-9", CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0",
        CNI_ARGS: "IgnoreUnknown=1", CNI_PATH: bin,
      });
    }
  });

  it("a result without cniVersion is read in the config's version", async () => {
    // 0.4.0-shaped output; the config says 0.4.0 too
    const stdin = Buffer.from('{"cniVersion":"0.4.0","name":"n","ipam":{"type":"fake-ipam"}}');
    expect(await delegateAdd("fake-ipam", cmdArgs({ mode: "no-version", stdin }))).toEqual({
      cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1" }],
    });
  });

  it("the child's CNI error is rethrown with the same code and details, its message naming the child", async () => {
    expect(await rejection(delegateAdd("fake-ipam", cmdArgs({ mode: "error" })))).toMatchObject({
      code: 11, message: 'IPAM plugin "fake-ipam": store is busy', details: "lock held",
    });
    expect(await rejection(delegateDel("fake-ipam", cmdArgs({ mode: "error-no-details" })))).toMatchObject({ code: 3, message: 'IPAM plugin "fake-ipam": gone', details: "" });
  });

  it("parsePluginError: a code must be an integer above 0 (else 999), msg a string", () => {
    expect(parsePluginError('{"code":11,"msg":"busy","details":"d"}')).toEqual({ code: 11, msg: "busy", details: "d" });
    for (const code of ["0", "-3", "2.5", '"7"', "null"]) expect(parsePluginError(`{"code":${code},"msg":"m"}`)?.code).toBe(999);
    expect(parsePluginError('{"code":7}')).toBeUndefined();
    expect(parsePluginError("not json")).toBeUndefined();
  });

  it("a child that fails without a CNI error is code 999 carrying its stderr or exit status", async () => {
    const crash = await rejection(delegateAdd("fake-ipam", cmdArgs({ mode: "crash" })));
    expect(crash).toMatchObject({ code: 999, message: 'plugin "fake-ipam" failed' });
    expect(crash.details).toContain("panic: something broke");
    expect(crash.details).toContain("exit status 2");
    expect(await rejection(delegateCheck("fake-ipam", cmdArgs({ mode: "silent-fail" })))).toMatchObject({
      code: 999, message: 'plugin "fake-ipam" failed with no error message', details: "exit status 3",
    });
    const garbage = await rejection(delegateDel("fake-ipam", cmdArgs({ mode: "garbage" })));
    expect(garbage).toMatchObject({ code: 999, message: 'plugin "fake-ipam" failed and its error output could not be parsed' });
    expect(garbage.details).toContain("not json at all");
  });

  it("an unparsable result is code 6 naming the key", async () => {
    expect(await rejection(delegateAdd("fake-ipam", cmdArgs({ mode: "bad-result" })))).toMatchObject({
      code: 6, message: 'invalid result from plugin "fake-ipam": "ips[0].address" must be an IP address with a prefix length',
    });
  });

  it("no CNI_PATH is code 4 naming CNI_PATH", async () => {
    const err = await rejection(delegateAdd("fake-ipam", cmdArgs({ path: [] })));
    expect(err).toMatchObject({ code: 4, message: "required env variables [CNI_PATH] missing" });
    expect(err.details).toContain("fake-ipam");
  });

  it("a plugin not on CNI_PATH is code 4", async () => {
    expect(await rejection(delegateAdd("nope", cmdArgs({ path: ["/nonexistent", bin] })))).toMatchObject({
      code: 4, message: `failed to find plugin "nope" in path [/nonexistent ${bin}]`,
    });
  });

  it("CNI_PATH entry \".\": the plugin found there is the one run, by its absolute path (not one found on PATH)", async () => {
    const cwd = process.cwd();
    const decoy = join(root, "decoy");
    mkdirSync(decoy, { recursive: true });
    writeExecutable(join(decoy, "fake-ipam"), "#!/bin/sh\necho decoy-ran > \"$FAKE_RECORD/decoy\"\nexit 1\n");
    process.chdir(bin);
    try {
      expect(findPlugin("fake-ipam", ["."])).toBe(join(bin, "fake-ipam"));
      const args = cmdArgs({ path: ["."], env: { PATH: `${decoy}:${process.env.PATH ?? ""}` } });
      expect((await delegateAdd("fake-ipam", args)).ips).toHaveLength(2);
      expect(existsSync(join(record, "decoy"))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it("a delegating plugin as its own IPAM type is refused with code 7 naming it, before anything runs", async () => {
    const stdin = Buffer.from('{"cniVersion":"1.1.0","name":"n","type":"fake-ipam","ipam":{"type":"fake-ipam"}}');
    rmSync(join(record, "stdin.DEL"), { force: true });
    const err = await rejection(delegateDel("fake-ipam", cmdArgs({ stdin })));
    expect(err).toMatchObject({ code: 7, message: expect.stringContaining('invalid IPAM type "fake-ipam"') });
    expect(existsSync(join(record, "stdin.DEL"))).toBe(false);
  });

  it("each delegation level is counted in the child's environment; past the bound it is refused with code 7", async () => {
    await delegateStatus("fake-ipam", cmdArgs());
    expect(recordedEnv("STATUS")[DELEGATION_DEPTH_ENV]).toBe("1");
    // (a plugin two levels down delegating to a plugin that is not its config's IPAM type)
    const other = Buffer.from('{"cniVersion":"1.1.0","name":"n","type":"bridge","ipam":{"type":"other"}}');
    await delegateStatus("fake-ipam", cmdArgs({ env: { [DELEGATION_DEPTH_ENV]: "2" }, stdin: other }));
    expect(recordedEnv("STATUS")[DELEGATION_DEPTH_ENV]).toBe("3");
    // a plugin delegated to that delegates to its config's IPAM type again would call itself
    const nested = await rejection(delegateStatus("fake-ipam", cmdArgs({ env: { [DELEGATION_DEPTH_ENV]: "1" }, stdin: Buffer.from('{"cniVersion":"1.1.0","name":"n","type":"bridge","ipam":{"type":"fake-ipam"}}') })));
    expect(nested).toMatchObject({ code: 7, message: expect.stringContaining('invalid IPAM type "fake-ipam"') });
    const deep = await rejection(delegateStatus("fake-ipam", cmdArgs({ env: { [DELEGATION_DEPTH_ENV]: String(MAX_DELEGATION_DEPTH) }, stdin: other })));
    expect(deep).toMatchObject({ code: 7, message: expect.stringContaining(`at most ${MAX_DELEGATION_DEPTH}`) });
  });

  it.each([[""], ["../bin/fake-ipam"], ["a/b"], [".."]])("plugin name %j is code 7", async (name) => {
    expect((await rejection(delegate(name, "ADD", cmdArgs()))).code).toBe(7);
  });
});

describe("findPlugin", () => {
  it("takes the first directory holding a regular executable file by that name", () => {
    const a = join(root, "a");
    const b = join(root, "b");
    const c = join(root, "c");
    mkdirSync(join(a, "tool"), { recursive: true }); // a directory, not a file
    mkdirSync(b);
    mkdirSync(c);
    writeExecutable(join(b, "tool"), "#!/bin/sh\n", 0o644); // not executable
    writeExecutable(join(c, "tool"), "#!/bin/sh\n");
    expect(findPlugin("tool", [a, b, c])).toBe(join(c, "tool"));
  });
  it("gives an absolute, normalised path, as node:path's resolve does, for entries relative or not", () => {
    const cases: [string, string][] = [
      ["/opt/cni/bin", "bridge"],
      ["/opt//cni/./bin/", "bridge"],
      ["/opt/cni/../lib/cni", "host-local"],
      [".", "host-local"],
      ["bin", "x"],
      ["../bin/./", "x"],
      ["/..", "x"],
      ["", "x"],
    ];
    for (const [dir, name] of cases) expect(absolutePath(dir, name), `${dir} + ${name}`).toBe(resolve(dir, name));
  });
});

describe("text file busy", () => {
  it("retries while the binary is still open for writing, then runs it", async () => {
    const path = join(bin, "busy-ipam");
    writeExecutable(path, FAKE_IPAM);
    const fd = openSync(path, "r+"); // exec of a file open for writing fails with ETXTBSY
    setTimeout(() => closeSync(fd), 60);
    const result = await delegateAdd("busy-ipam", cmdArgs());
    expect(result.ips).toHaveLength(2);
  });

  it("gives up after a few tries with code 5", async () => {
    const path = join(bin, "stuck-ipam");
    writeExecutable(path, FAKE_IPAM);
    const fd = openSync(path, "r+");
    try {
      const err = await rejection(delegateDel("stuck-ipam", cmdArgs()));
      expect(err.code).toBe(5);
      expect(err.message).toContain("ETXTBSY");
    } finally {
      closeSync(fd);
    }
  });
});

describe("in-process delegation hook", () => {
  it("is consulted before spawning, and its answer is used like a child's", async () => {
    const seen: string[] = [];
    setInProcessDelegate((req) => {
      seen.push(`${req.type} ${req.command} ${req.env.CNI_COMMAND} ${req.pluginPath} ${req.stdinData.equals(STDIN)}`);
      return req.command === "ADD"
        ? { exitCode: 0, stdout: '{"cniVersion":"1.1.0","ips":[{"address":"10.5.5.5/8"}]}' }
        : { exitCode: 1, stdout: '{"code":7,"msg":"in-process says no"}' };
    });
    expect(await delegateAdd("fake-ipam", cmdArgs())).toEqual({ cniVersion: "1.1.0", ips: [{ address: "10.5.5.5/8" }] });
    expect(await rejection(delegateDel("fake-ipam", cmdArgs()))).toMatchObject({ code: 7, message: 'IPAM plugin "fake-ipam": in-process says no' });
    expect(seen).toEqual([`fake-ipam ADD ADD ${join(bin, "fake-ipam")} true`, `fake-ipam DEL DEL ${join(bin, "fake-ipam")} true`]);
  });

  it("returning undefined falls back to spawning", async () => {
    setInProcessDelegate(() => undefined);
    expect((await delegateAdd("fake-ipam", cmdArgs())).ips).toHaveLength(2);
  });
});

describe("through definePlugin", () => {
  const bridgeLike = definePlugin({
    about: "delegating test plugin",
    add: async (args) => {
      const ipam = await delegateAdd(args.config.ipam?.type ?? "", args);
      return { ...ipam, interfaces: [{ name: args.ifName, sandbox: args.netns }], ips: ipam.ips?.map((ip) => ({ ...ip, interface: 0 })) };
    },
    del: (args) => delegateDel(args.config.ipam?.type ?? "", args),
    check: (args) => delegateCheck(args.config.ipam?.type ?? "", args),
  });

  it("ADD prints the delegated result converted to the config's version", async () => {
    const stdin = '{"cniVersion":"0.3.1","name":"n","type":"x","ipam":{"type":"fake-ipam"}}';
    const r = await invoke(bridgeLike, { env: envFor("ADD", { CNI_PATH: bin, FAKE_RECORD: record, FAKE_MODE: "ok", PATH: process.env.PATH }), stdin });
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      cniVersion: "0.3.1",
      interfaces: [{ name: "eth0", sandbox: envFor("ADD").CNI_NETNS }],
      ips: [{ version: "4", interface: 0, address: "10.99.0.7/16", gateway: "10.99.0.1" }, { version: "6", interface: 0, address: "fd99::7/64" }],
      routes: [{ dst: "0.0.0.0/0" }],
      dns: { nameservers: ["10.99.0.1"] },
    });
    expect(readFileSync(join(record, "stdin.ADD"), "utf8")).toBe(stdin);
  });

  it("the IPAM's CNI error comes out as the plugin's error", async () => {
    const stdin = '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"fake-ipam"}}';
    const r = await invoke(bridgeLike, { env: envFor("DEL", { CNI_PATH: bin, FAKE_RECORD: record, FAKE_MODE: "error", PATH: process.env.PATH }), stdin });
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ cniVersion: "1.0.0", code: 11, msg: 'IPAM plugin "fake-ipam": store is busy', details: "lock held" });
  });

  it("no CNI_PATH: ADD fails with code 4 naming CNI_PATH", async () => {
    const stdin = '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"fake-ipam"}}';
    const r = await invoke(bridgeLike, { env: envFor("ADD", { CNI_PATH: undefined }), stdin });
    expect(r.json).toMatchObject({ code: 4, msg: "required env variables [CNI_PATH] missing" });
  });
});
