// Unit tests of the multi-call logic: name dispatch and the in-process delegate, with skel's real
// definePlugin/delegate and fake executables' identities (the black-box side is test/multicall.test.ts).
import { chmodSync, linkSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CniError,
  ErrorCode,
  definePlugin,
  delegate,
  setInProcessDelegate,
  type CmdArgs,
  type DelegateRequest,
  type JsonObject,
  type Plugin,
  type Result,
} from "@cni/skel";
import {
  COMMANDS,
  PLUGINS,
  baseName,
  runMulticall,
  inProcessDelegate,
  invokedName,
  runInProcess,
  runningExecutableCheck,
  usage,
  type CommandRegistry,
  type FileIdentityOf,
  type PluginRegistry,
} from "../src/index";
import { CHUNK_OF, WHOLE_REGISTRY_CHUNK, chunkOf } from "../src/chunks";
import type { Chunk } from "../src/run-chunk";

/** An IPAM-like plugin that reports what it was given, or fails as the config asks. */
const echoPlugin: Plugin = definePlugin({
  about: "echo test plugin",
  add(args: CmdArgs): Result {
    if (args.config.raw.fail === true) throw new CniError(ErrorCode.TryAgainLater, "asked to fail", "fail: true");
    process.exitCode = 42; // must not become the caller's exit status
    return {
      cniVersion: args.config.cniVersion,
      ips: [{ address: "10.99.0.2/24" }],
      dns: { domain: `${args.env.CNI_COMMAND}-${args.containerId}-${args.env.MARK ?? "no-mark"}` },
    };
  },
  del: () => undefined,
  check: () => undefined,
});

const registry: PluginRegistry = new Map([["echo", echoPlugin]]);
const conf: JsonObject = { cniVersion: "1.0.0", name: "unitnet", type: "caller", ipam: { type: "echo" } };

function request(overrides: Partial<DelegateRequest> = {}, config: JsonObject = conf): DelegateRequest {
  return {
    type: "echo",
    pluginPath: "/opt/cni/bin/echo",
    command: "ADD",
    stdinData: Buffer.from(JSON.stringify(config)),
    env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0", CNI_PATH: "/opt/cni/bin", MARK: "child-env" },
    ...overrides,
  };
}

describe("the invoked name", () => {
  it("is the last path component of argv0, as a link's own name", () => {
    expect(invokedName("/opt/cni/bin/host-local")).toBe("host-local");
    expect(invokedName("./bin/loopback")).toBe("loopback");
    expect(invokedName("loopback")).toBe("loopback");
    expect(baseName("/opt/cni/bin/")).toBe("");
  });

  it("the shipped registry holds host-local and loopback (and what came since), each under its own name", () => {
    expect([...PLUGINS.keys()]).toEqual(expect.arrayContaining(["host-local", "loopback"]));
    // ptp is the reference's name for veth's job: the same plugin, so Go "type": "ptp" configs run unchanged
    const aliases = new Map([["ptp", "veth"]]);
    for (const [name, plugin] of PLUGINS) expect(plugin.spec.about).toContain(aliases.get(name) ?? name);
    expect(PLUGINS.get("ptp")).toBe(PLUGINS.get("veth"));
  });

  it("usage names every plugin and no prototype name is a plugin", () => {
    expect(usage("nope", PLUGINS)).toContain(`the CNI plugins ${[...PLUGINS.keys()].sort().join(", ")} in one executable`);
    expect(PLUGINS.get("__proto__")).toBeUndefined();
    expect(PLUGINS.get("constructor")).toBeUndefined();
  });
});

describe("commands beside the plugins (cnitool)", () => {
  /** Run runMulticall with process.stdout captured. */
  async function captured(argv0: string, args: string[], commands: CommandRegistry): Promise<string> {
    let out = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array): boolean => {
      out += chunk.toString();
      return true;
    }) as typeof process.stdout.write;
    try {
      await runMulticall(new Map(), { fileIdentity: () => undefined, argv0, args, commands });
    } finally {
      process.stdout.write = write;
    }
    return out;
  }

  it("the shipped commands hold cnitool; usage names them apart from the plugins", () => {
    expect([...COMMANDS.keys()]).toEqual(["cnitool"]);
    expect(usage("nope", PLUGINS, COMMANDS)).toContain(`the CNI plugins ${[...PLUGINS.keys()].sort().join(", ")} and the tool cnitool in one executable`);
  });

  it("a command runs by its invoked name; --list names the plugins, then the commands (build.sh links them all)", async () => {
    const ran: string[] = [];
    const commands: CommandRegistry = new Map([["tool-b", async () => void ran.push("b")], ["tool-a", async () => void ran.push("a")]]);
    expect(await captured("/x/bin/tool-b", [], commands)).toBe("");
    expect(ran).toEqual(["b"]);
    expect(await captured("/x/bin/cni-plugins", ["--list"], commands)).toBe("tool-a\ntool-b\n");
  });

  it("cni-plugins --help and -h: the usage on stdout, exit status 0", async () => {
    for (const option of ["--help", "-h"]) {
      process.exitCode = undefined;
      expect(await captured("/x/bin/cni-plugins", [option], COMMANDS)).toBe(usage("cni-plugins", new Map(), COMMANDS));
      expect(process.exitCode).toBeUndefined();
    }
  });
});

describe("in-process delegate", () => {
  const yes = (): boolean => true;
  const no = (): boolean => false;

  it("declines (spawn instead) when the found file is not this executable", async () => {
    expect(await inProcessDelegate(registry, no)(request())).toBeUndefined();
  });

  it("declines a name the registry lacks, without looking at the file", async () => {
    let asked = false;
    const check = (): boolean => {
      asked = true;
      return true;
    };
    expect(await inProcessDelegate(registry, check)(request({ type: "other", pluginPath: "/opt/cni/bin/other" }))).toBeUndefined();
    expect(asked).toBe(false);
  });

  it("picks the plugin by the found file's name, as a spawned child would", async () => {
    const response = await inProcessDelegate(registry, yes)(request({ type: "ignored", pluginPath: "/x/echo" }));
    expect(response?.exitCode).toBe(0);
  });

  it("runs the handler with the child's env and stdin, collects stdout, keeps the caller's exit code", async () => {
    process.exitCode = undefined;
    const response = await inProcessDelegate(registry, yes)(request());
    expect(response?.exitCode).toBe(0);
    expect(JSON.parse(String(response?.stdout))).toEqual({
      cniVersion: "1.0.0",
      ips: [{ address: "10.99.0.2/24" }],
      dns: { domain: "ADD-c1-child-env" },
    });
    expect(response?.stderr).toBe("");
    expect(process.exitCode ?? 0).toBe(0);
  });

  it("a failing handler: exit 1 and its CNI error on the collected stdout", async () => {
    const response = await runInProcess(echoPlugin, request({}, { ...conf, fail: true }));
    expect(response.exitCode).toBe(1);
    expect(JSON.parse(String(response.stdout))).toEqual({ cniVersion: "1.0.0", code: 11, msg: "asked to fail", details: "fail: true" });
  });

  it("a run() that throws anyway looks like a child that died without a result", async () => {
    const broken: Plugin = {
      spec: echoPlugin.spec,
      run: async () => {
        process.exitCode = 3;
        throw new Error("boom");
      },
      main: async () => undefined,
    };
    process.exitCode = undefined;
    const response = await runInProcess(broken, request());
    expect(response).toEqual({ exitCode: 1, stdout: "", stderr: "internal error: boom\n" });
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe("through skel's delegate()", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cni-multicall-unit-"));
    // findPlugin wants a regular executable file on CNI_PATH; it is never executed here
    writeFileSync(join(dir, "echo"), "#!/bin/sh\nexit 3\n");
    chmodSync(join(dir, "echo"), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setInProcessDelegate(undefined));

  function callerArgs(config: JsonObject): CmdArgs {
    const stdinData = Buffer.from(JSON.stringify(config));
    return {
      command: "ADD",
      containerId: "c9",
      netns: "/var/run/netns/x",
      ifName: "eth0",
      args: "",
      path: [dir],
      stdinData,
      config: { cniVersion: "1.0.0", name: "unitnet", type: "caller", ipam: { type: "echo" }, runtimeConfig: {}, raw: config },
      env: { CNI_COMMAND: "DEL", CNI_CONTAINERID: "c9", CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0", CNI_PATH: dir },
    };
  }

  it("returns the in-process stdout as the result, with CNI_COMMAND set to the delegated verb", async () => {
    setInProcessDelegate(inProcessDelegate(registry, (path) => path === join(dir, "echo")));
    const stdout = await delegate("echo", "ADD", callerArgs(conf));
    expect(JSON.parse(stdout).dns).toEqual({ domain: "ADD-c9-no-mark" });
  });

  it("rethrows the in-process plugin's CNI error with its code and details, its message naming that plugin", async () => {
    setInProcessDelegate(inProcessDelegate(registry, () => true));
    await expect(delegate("echo", "ADD", callerArgs({ ...conf, fail: true }))).rejects.toMatchObject({
      code: ErrorCode.TryAgainLater,
      message: 'IPAM plugin "echo": asked to fail',
      details: "fail: true",
    });
  });
});

describe("runningExecutableCheck", () => {
  const statIdentity: FileIdentityOf = (path) => {
    try {
      const st = statSync(path, { bigint: true });
      return { dev: st.dev.toString(), ino: st.ino.toString() };
    } catch {
      return undefined;
    }
  };

  it("is true for the file this process runs from, false for another file or none", () => {
    const isThis = runningExecutableCheck(statIdentity);
    expect(isThis(process.execPath)).toBe(true);
    expect(isThis("/proc/self/exe")).toBe(true);
    expect(isThis("/nonexistent/host-local")).toBe(false);
  });

  it("a hard or symbolic link is the same file, a copy is not", () => {
    const dir = mkdtempSync(join(tmpdir(), "cni-multicall-identity-"));
    try {
      const original = join(dir, "cni-plugins");
      writeFileSync(original, "same bytes");
      writeFileSync(join(dir, "copy"), "same bytes");
      linkSync(original, join(dir, "hard"));
      symlinkSync(original, join(dir, "soft"));
      // stands in for /proc/self/exe: the check asks for it first, then for each candidate
      const identityOf: FileIdentityOf = (path) => statIdentity(path === "/proc/self/exe" ? original : path);
      const isThis = runningExecutableCheck(identityOf);
      expect(isThis(join(dir, "hard"))).toBe(true);
      expect(isThis(join(dir, "soft"))).toBe(true);
      expect(isThis(join(dir, "copy"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never says yes when /proc/self/exe cannot be stat'ed", () => {
    const isThis = runningExecutableCheck((path) => (path === "/proc/self/exe" ? undefined : { dev: "1", ino: "2" }));
    expect(isThis("/opt/cni/bin/host-local")).toBe(false);
  });
});

describe("chunks: the part of the executable each invoked name loads", () => {
  const chunkFiles = readdirSync(join(import.meta.dirname, "..", "src", "chunks")).map((file) => file.replace(/\.ts$/, ""));

  it("every plugin and command name has a chunk that holds it as the whole registry does", async () => {
    const names = [...PLUGINS.keys(), ...COMMANDS.keys()].sort();
    expect([...CHUNK_OF.keys()].sort()).toEqual(names);
    for (const [name, chunkName] of CHUNK_OF) {
      const { chunk } = (await import(`../src/chunks/${chunkName}.ts`)) as { chunk: Chunk };
      if (PLUGINS.has(name)) expect(chunk.plugins.get(name), name).toBe(PLUGINS.get(name));
      else expect(chunk.commands.get(name), name).toBe(COMMANDS.get(name));
    }
  });

  it("bridge and veth hold host-local, so their IPAM call stays in-process", async () => {
    for (const name of ["bridge", "ptp", "veth"]) {
      const { chunk } = (await import(`../src/chunks/${chunkOf(name)}.ts`)) as { chunk: Chunk };
      expect(chunk.plugins.get("host-local"), name).toBe(PLUGINS.get("host-local"));
    }
  });

  it("any other name loads the whole registry, which --list and --help print", async () => {
    expect(chunkOf("cni-plugins")).toBe(WHOLE_REGISTRY_CHUNK);
    expect(chunkOf("no-such-plugin")).toBe(WHOLE_REGISTRY_CHUNK);
    const { chunk } = (await import(`../src/chunks/${WHOLE_REGISTRY_CHUNK}.ts`)) as { chunk: Chunk };
    expect(chunk.plugins).toBe(PLUGINS);
    expect(chunk.commands).toBe(COMMANDS);
  });

  it("every chunk main.ts can load has a file, and every file is a chunk something loads", () => {
    expect(chunkFiles.sort()).toEqual([...new Set([...CHUNK_OF.values(), WHOLE_REGISTRY_CHUNK])].sort());
  });
});
