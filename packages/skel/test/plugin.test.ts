// definePlugin: environment, stdin, versions, dispatch and error output (docs/protocol.md §1–§5).
import { describe, expect, it } from "vitest";
import { CniError, definePlugin } from "../src/index";
import { ALL, CONF, envFor, invoke, recordingPlugin } from "./helpers";

describe("dispatch", () => {
  it.each(["ADD", "DEL", "CHECK", "STATUS", "GC"])("%s calls only its own handler", async (command) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor(command), stdin: { ...CONF, "cni.dev/valid-attachments": [] } });
    expect(r.code).toBe(0);
    expect(calls.map(([c]) => c)).toEqual([command]);
  });

  it("passes env, stdin bytes and the decoded config to the handler", async () => {
    const { plugin, calls } = recordingPlugin();
    const stdin = Buffer.from(JSON.stringify({ ...CONF, ipam: { type: "host-local", subnet: "10.0.0.0/24" } }) + "\n  ");
    const env = envFor("ADD", { CNI_ARGS: "IgnoreUnknown=1;FOO=bar", CNI_PATH: "/a::/b:" });
    await invoke(plugin, { env, stdin });
    const args = calls[0]![1];
    expect(args).toMatchObject({
      command: "ADD", containerId: "ctr-1", netns: env.CNI_NETNS, ifName: "eth0",
      args: "IgnoreUnknown=1;FOO=bar", path: ["/a", "/b"],
    });
    expect(args.stdinData.equals(stdin)).toBe(true);
    expect(args.config).toMatchObject({ cniVersion: "1.1.0", name: "testnet", type: "test", ipam: { type: "host-local" }, runtimeConfig: {} });
    expect(args.env).toBe(env);
  });

  it("STATUS and GC get no container fields even if the runtime sets them", async () => {
    const { plugin, calls } = recordingPlugin();
    await invoke(plugin, { env: envFor("STATUS", { CNI_ARGS: "A=1" }), stdin: CONF });
    expect(calls[0]![1]).toMatchObject({ containerId: "", netns: "", ifName: "", args: "" });
  });

  it("ADD prints the result in the config's version: 4-space indent, no trailing newline", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, cniVersion: "0.4.0" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "{",
        '    "cniVersion": "0.4.0",',
        '    "interfaces": [',
        "        {",
        '            "name": "eth0",',
        '            "mac": "02:00:00:00:00:01",',
        '            "sandbox": "/var/run/netns/x"',
        "        }",
        "    ],",
        '    "ips": [',
        "        {",
        '            "version": "4",',
        '            "interface": 0,',
        '            "address": "10.1.2.3/24",',
        '            "gateway": "10.1.2.1"',
        "        }",
        "    ],",
        '    "dns": {}',
        "}",
      ].join("\n"),
    );
  });

  it.each(["DEL", "CHECK", "STATUS", "GC"])("%s prints nothing on success", async (command) => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor(command), stdin: CONF });
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("absent STATUS and GC handlers succeed with no output", async () => {
    const plugin = definePlugin({ about: "x", add: () => ({ cniVersion: "1.1.0" }), del: () => {}, check: () => {} });
    for (const command of ["STATUS", "GC"]) {
      const r = await invoke(plugin, { env: envFor(command), stdin: CONF });
      expect(r).toMatchObject({ code: 0, stdout: "" });
    }
  });
});

describe("CNI_COMMAND", () => {
  it.each([[undefined], [""]])("unset/empty (%s) prints the about text on stderr and exits 0", async (command) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: { CNI_COMMAND: command } });
    expect(r).toMatchObject({ code: 0, stdout: "", stdinReads: 0 });
    expect(r.stderr).toBe(`CNI test plugin v9\nCNI protocol versions supported: ${ALL.join(", ")}\n`);
    expect(calls).toEqual([]);
  });

  it("an unknown command is code 4 and does not read stdin", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("FOO"), stdin: CONF });
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ cniVersion: "1.1.0", code: 4, msg: "unknown CNI_COMMAND: FOO" });
    expect(r.stdinReads).toBe(0);
  });

  it("VERSION prints compact JSON with a newline and never reads stdin", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: { CNI_COMMAND: "VERSION" }, stdinError: new Error("must not read") });
    expect(r.code).toBe(0);
    expect(r.stdinReads).toBe(0);
    expect(r.stdout).toBe(
      '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    );
  });

  it("VERSION lists a plugin's own supported versions", async () => {
    const { plugin } = recordingPlugin({ supportedVersions: ["0.4.0", "1.0.0"] });
    const r = await invoke(plugin, { env: { CNI_COMMAND: "VERSION" } });
    expect(r.stdout).toBe('{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}\n');
  });

  it("VERSION text is built without JSON.stringify, and still valid JSON for any version string", async () => {
    const odd = ["1.0.0", 'x"y', "back\\slash", "tab\t", "é", ""];
    const { plugin } = recordingPlugin({ supportedVersions: odd });
    const r = await invoke(plugin, { env: { CNI_COMMAND: "VERSION" } });
    expect(r.stdout).toBe(`${JSON.stringify({ cniVersion: "1.1.0", supportedVersions: odd })}\n`);
  });
});

describe("required environment", () => {
  it.each([
    ["ADD", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME"],
    ["CHECK", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME"],
    ["DEL", "CNI_CONTAINERID,CNI_IFNAME"],
    ["GC", "CNI_PATH"],
  ])("%s with nothing set names every missing variable: [%s]", async (command, names) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: { CNI_COMMAND: command }, stdin: CONF });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4, msg: `required env variables [${names}] missing` });
    expect(r.stdinReads).toBe(0);
    expect(calls).toEqual([]);
  });

  it("STATUS needs nothing but CNI_COMMAND", async () => {
    const { plugin } = recordingPlugin();
    expect((await invoke(plugin, { env: { CNI_COMMAND: "STATUS" }, stdin: CONF })).code).toBe(0);
  });

  it("DEL does not need CNI_NETNS; ADD/DEL/CHECK do not need CNI_PATH or CNI_ARGS", async () => {
    const { plugin, calls } = recordingPlugin();
    for (const command of ["ADD", "DEL", "CHECK"]) {
      const env = envFor(command, { CNI_PATH: undefined, CNI_ARGS: undefined });
      if (command === "DEL") env.CNI_NETNS = undefined;
      expect((await invoke(plugin, { env, stdin: CONF })).code).toBe(0);
    }
    expect(calls.map(([c, a]) => [c, a.netns, a.path])).toEqual([["ADD", envFor("ADD").CNI_NETNS, []], ["DEL", "", []], ["CHECK", envFor("CHECK").CNI_NETNS, []]]);
  });

  it("an empty value counts as missing", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD", { CNI_IFNAME: "", CNI_NETNS: "" }), stdin: CONF });
    expect(r.json).toMatchObject({ code: 4, msg: "required env variables [CNI_NETNS,CNI_IFNAME] missing" });
  });
});

describe("container id and interface name", () => {
  it.each(["-leading-dash", "a b", "a/b", "a:b", "é", ".x", "_x"])("container id %j is code 4", async (id) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD", { CNI_CONTAINERID: id }), stdin: CONF });
    expect(r.json).toMatchObject({ code: 4, msg: "invalid characters in containerID", details: id });
    expect(calls).toEqual([]);
  });

  it.each(["a", "A1", "0abc", "a.b_c-d", "x".repeat(200)])("container id %j is fine", async (id) => {
    const { plugin } = recordingPlugin();
    expect((await invoke(plugin, { env: envFor("ADD", { CNI_CONTAINERID: id }), stdin: CONF })).code).toBe(0);
  });

  it.each([
    ["sixteen-bytes-xx", "interface name is too long"], // 16 bytes
    ["ééééééééé", "interface name is too long"], // 9 characters, 18 bytes
    [".", "interface name is . or .."],
    ["..", "interface name is . or .."],
    ["eth/0", "interface name contains / or : or whitespace characters"],
    ["eth:0", "interface name contains / or : or whitespace characters"],
    ["eth 0", "interface name contains / or : or whitespace characters"],
    ["eth\t0", "interface name contains / or : or whitespace characters"],
    ["eth\u00a00", "interface name contains / or : or whitespace characters"],
  ])("interface name %j is code 4: %s", async (ifName, msg) => {
    const { plugin } = recordingPlugin();
    for (const command of ["ADD", "DEL", "CHECK"]) {
      const r = await invoke(plugin, { env: envFor(command, { CNI_IFNAME: ifName }), stdin: CONF });
      expect(r.json).toMatchObject({ code: 4, msg });
    }
  });

  it.each(["a", "eth0", "fifteen-bytes-x", "...", "a.b"])("interface name %j is fine", async (ifName) => {
    const { plugin } = recordingPlugin();
    expect((await invoke(plugin, { env: envFor("ADD", { CNI_IFNAME: ifName }), stdin: CONF })).code).toBe(0);
  });
});

describe("stdin and the network config", () => {
  it("unreadable stdin is code 5", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdinError: new Error("EBADF: bad file descriptor") });
    expect(r.json).toMatchObject({ code: 5, msg: "error reading from stdin: EBADF: bad file descriptor" });
  });

  it.each([["{not json"], [""], ["[1,2]"], ["null"], ['"x"']])("stdin %j is code 6", async (stdin) => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin });
    expect(r.json).toMatchObject({ code: 6 });
    expect(r.json.msg).toMatch(/^error unmarshall network config: /);
  });

  it.each([[{ cniVersion: "1.0.0" }], [{ cniVersion: "1.0.0", name: "" }], [{ cniVersion: "1.0.0", name: null }]])(
    "a missing name is code 7 (%j)",
    async (stdin) => {
      const { plugin } = recordingPlugin();
      const r = await invoke(plugin, { env: envFor("ADD"), stdin });
      expect(r.json).toEqual({ cniVersion: "1.0.0", code: 7, msg: "missing network name" });
    },
  );

  it.each(["a/b", "-x", "a b", "../etc"])("network name %j is code 7 with the name in details", async (name) => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, name } });
    expect(r.json).toMatchObject({ code: 7, msg: "invalid characters found in network name", details: name });
  });

  it("a name of the wrong type is code 7 naming the key", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, name: 5 } });
    expect(r.json).toMatchObject({ code: 7, msg: '"name" must be a string' });
  });

  it("known keys match case-insensitively, unknown keys are kept in raw", async () => {
    const { plugin, calls } = recordingPlugin();
    const stdin = { CNIVERSION: "0.4.0", Name: "n1", TYPE: "bridge", IPAM: { Type: "host-local" }, RuntimeConfig: { mac: "x" }, DNS: { NameServers: ["1.1.1.1"] }, someKey: 1 };
    const r = await invoke(plugin, { env: envFor("ADD"), stdin });
    expect(r.code).toBe(0);
    expect(calls[0]![1].config).toMatchObject({
      cniVersion: "0.4.0", name: "n1", type: "bridge", ipam: { type: "host-local" }, runtimeConfig: { mac: "x" }, dns: { nameservers: ["1.1.1.1"] },
    });
    expect(calls[0]![1].config.raw.someKey).toBe(1);
  });

  it.each([
    [{ type: 1 }, '"type" must be a string'],
    [{ ipam: "host-local" }, '"ipam" must be an object'],
    [{ ipam: { type: true } }, '"ipam.type" must be a string'],
    [{ dns: { nameservers: "8.8.8.8" } }, '"dns.nameservers" must be an array'],
    [{ dns: { search: ["a", 2] } }, '"dns.search[1]" must be a string'],
    [{ runtimeConfig: [] }, '"runtimeConfig" must be an object'],
    [{ prevResult: "x" }, '"prevResult" must be an object'],
    [{ prevResult: { cniVersion: "1.0.0", ips: [{ address: "nope" }] } }, '"prevResult.ips[0].address" must be an IP address with a prefix length'],
    [{ cniVersion: 1.1 }, '"cniVersion" must be a string'],
  ])("wrong JSON type %j is code 7: %s", async (bad, msg) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, ...bad } });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 7, msg });
    expect(calls).toEqual([]);
  });

  it("tolerates `capabilities` and unknown keys", async () => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, capabilities: { portMappings: true }, whatever: [1] } });
    expect(r.code).toBe(0);
  });

  it("prevResult is parsed by its own version and handed over in the current shape", async () => {
    const { plugin, calls } = recordingPlugin();
    const prevResult = { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0" }] }, dns: {} };
    await invoke(plugin, { env: envFor("CHECK"), stdin: { ...CONF, cniVersion: "1.0.0", prevResult } });
    expect(calls[0]![1].config.prevResult).toEqual({
      cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1" }], routes: [{ dst: "0.0.0.0/0" }],
    });
  });

  it("a prevResult without cniVersion takes the config's version", async () => {
    const { plugin, calls } = recordingPlugin();
    const prevResult = { ips: [{ version: "4", address: "10.0.0.2/24" }] };
    await invoke(plugin, { env: envFor("CHECK"), stdin: { ...CONF, cniVersion: "0.4.0", prevResult } });
    expect(calls[0]![1].config.prevResult).toEqual({ cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }] });
  });

  it("an unparsable prevResult fails ADD/CHECK but never blocks DEL", async () => {
    const { plugin, calls } = recordingPlugin();
    const stdin = { ...CONF, prevResult: { cniVersion: "1.0.0", ips: [{ address: 7 }] } };
    expect((await invoke(plugin, { env: envFor("CHECK"), stdin })).json).toMatchObject({ code: 7 });
    const del = await invoke(plugin, { env: envFor("DEL"), stdin });
    expect(del.code).toBe(0);
    expect(del.stderr).toContain("ignoring unparsable prevResult");
    expect(calls.map(([c, a]) => [c, a.config.prevResult])).toEqual([["DEL", undefined]]);
  });
});

describe("versions", () => {
  it("a config without cniVersion is 0.1.0", async () => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { name: "n", type: "t" } });
    expect(calls[0]![1].config.cniVersion).toBe("0.1.0");
    expect(r.json).toEqual({ cniVersion: "0.1.0", ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1" }, dns: {} });
  });

  it("an unsupported version is code 1 with the versions in details", async () => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, cniVersion: "9.9.9" } });
    expect(r.json).toEqual({
      cniVersion: "1.1.0", code: 1, msg: "incompatible CNI versions",
      details: 'config is "9.9.9", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]',
    });
    expect(calls).toEqual([]);
  });

  it("a version the plugin does not list is code 1, the error in the plugin's latest version", async () => {
    const { plugin } = recordingPlugin({ supportedVersions: ["0.3.1", "0.4.0"] });
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, cniVersion: "1.0.0" } });
    expect(r.json).toMatchObject({ cniVersion: "0.4.0", code: 1, details: 'config is "1.0.0", plugin supports ["0.3.1" "0.4.0"]' });
  });

  it.each(["0.1.0", "0.2.0", "0.3.0", "0.3.1"])("CHECK at %s is code 1", async (cniVersion) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("CHECK"), stdin: { ...CONF, cniVersion } });
    expect(r.json).toMatchObject({ cniVersion, code: 1, msg: "config version does not allow CHECK" });
    expect(calls).toEqual([]);
  });

  it.each(["0.4.0", "1.0.0", "1.1.0"])("CHECK at %s runs", async (cniVersion) => {
    const { plugin, calls } = recordingPlugin();
    expect((await invoke(plugin, { env: envFor("CHECK"), stdin: { ...CONF, cniVersion } })).code).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it.each(["GC", "STATUS"])("%s below 1.1.0 is code 1", async (command) => {
    for (const cniVersion of ALL.slice(0, 6)) {
      const { plugin, calls } = recordingPlugin();
      const r = await invoke(plugin, { env: envFor(command), stdin: { ...CONF, cniVersion } });
      expect(r.json).toMatchObject({ cniVersion, code: 1, msg: `config version does not allow ${command}` });
      expect(calls).toEqual([]);
    }
  });

  it.each(ALL)("ADD, DEL run at %s", async (cniVersion) => {
    const { plugin, calls } = recordingPlugin();
    for (const command of ["ADD", "DEL"]) {
      expect((await invoke(plugin, { env: envFor(command), stdin: { ...CONF, cniVersion } })).code).toBe(0);
    }
    expect(calls).toHaveLength(2);
  });
});

describe("errors", () => {
  it("a CniError from a handler is printed as is, in the config's version, 4-space indent, no newline", async () => {
    const { plugin } = recordingPlugin({
      del: () => {
        throw new CniError(11, "try again", "the store is locked");
      },
    });
    const r = await invoke(plugin, { env: envFor("DEL"), stdin: { ...CONF, cniVersion: "0.3.1" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('{\n    "cniVersion": "0.3.1",\n    "code": 11,\n    "msg": "try again",\n    "details": "the store is locked"\n}');
  });

  it("details are omitted when empty", async () => {
    const { plugin } = recordingPlugin({
      check: () => {
        throw new CniError(3, "no such container");
      },
    });
    const r = await invoke(plugin, { env: envFor("CHECK"), stdin: CONF });
    expect(r.stdout).toBe('{\n    "cniVersion": "1.1.0",\n    "code": 3,\n    "msg": "no such container"\n}');
  });

  it.each([
    ["an Error", () => new TypeError("Cannot read properties of undefined (reading 'x')"), "Cannot read properties of undefined (reading 'x')"],
    ["a string", () => "boom", "boom"],
    ["an async rejection", () => Promise.reject(new Error("async boom")), "async boom"],
  ])("%s from a handler is code 999 with its message and no stack trace", async (_what, make, msg) => {
    const { plugin } = recordingPlugin({
      add: async () => {
        const thing = make();
        if (thing instanceof Promise) return thing;
        throw thing;
      },
    });
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: CONF });
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ cniVersion: "1.1.0", code: 999, msg });
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a CniError-shaped error from another copy of the module keeps its code", async () => {
    const foreign = Object.assign(new Error("from another bundle"), { name: "CniError", code: 50, details: "d" });
    const { plugin } = recordingPlugin({
      status: () => {
        throw foreign;
      },
    });
    const r = await invoke(plugin, { env: envFor("STATUS"), stdin: CONF });
    expect(r.json).toEqual({ cniVersion: "1.1.0", code: 50, msg: "from another bundle", details: "d" });
  });

  it("ADD returning nothing is code 999", async () => {
    const { plugin } = recordingPlugin({ add: () => undefined as never });
    expect((await invoke(plugin, { env: envFor("ADD"), stdin: CONF })).json).toMatchObject({ code: 999 });
  });

  it("escapes <, > and & as Go does", async () => {
    const { plugin } = recordingPlugin({
      gc: () => {
        throw new CniError(7, "a<b>&c");
      },
    });
    const r = await invoke(plugin, { env: envFor("GC"), stdin: CONF });
    expect(r.stdout).toContain('"msg": "a\\u003cb\\u003e\\u0026c"');
    expect(r.json.msg).toBe("a<b>&c");
  });

  it("ADD whose result the config's version cannot express fails and is undone by DEL", async () => {
    const { plugin, calls } = recordingPlugin({ add: (a) => (calls.push(["ADD", a]), { cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] }) });
    const r = await invoke(plugin, { env: envFor("ADD"), stdin: { ...CONF, cniVersion: "0.2.0" } });
    expect(r.json).toEqual({ cniVersion: "0.2.0", code: 1, msg: "cannot convert: no valid IP addresses" });
    expect(calls.map(([c]) => c)).toEqual(["ADD", "DEL"]);
  });

  it("run() never throws, even when stdout fails", async () => {
    const { plugin } = recordingPlugin();
    const code = await plugin.run({
      env: envFor("FOO"),
      readStdin: () => Buffer.alloc(0),
      writeStdout: () => {
        throw new Error("EPIPE");
      },
      writeStderr: () => {},
    });
    expect(code).toBe(1);
  });
});

describe("own network namespace (code 8)", () => {
  it.each(["ADD", "DEL", "CHECK"])("%s with CNI_NETNS = our own netns is code 8 before the handler runs", async (command) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor(command, { CNI_NETNS: "/proc/self/ns/net" }), stdin: CONF });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same", details: "/proc/self/ns/net" });
    expect(calls).toEqual([]);
  });

  it.each(["1", "true", "TRUE", "True"])("CNI_NETNS_OVERRIDE=%s skips the check", async (override) => {
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD", { CNI_NETNS: "/proc/self/ns/net", CNI_NETNS_OVERRIDE: override }), stdin: CONF });
    expect(r.code).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it.each(["0", "false", "yes"])("CNI_NETNS_OVERRIDE=%s does not", async (override) => {
    const { plugin } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD", { CNI_NETNS: "/proc/self/ns/net", CNI_NETNS_OVERRIDE: override }), stdin: CONF });
    expect(r.json).toMatchObject({ code: 8 });
  });

  it("a CNI_NETNS path that does not exist is left to the plugin (DEL of a deleted netns)", async () => {
    const { plugin } = recordingPlugin();
    const missing = await invoke(plugin, { env: envFor("DEL", { CNI_NETNS: "/var/run/netns/gone-already" }), stdin: CONF });
    expect(missing.code).toBe(0);
  });
});

describe("`plugin VERSION` from a shell", () => {
  it("takes VERSION from the first argument when CNI_COMMAND is unset", async () => {
    const { withCommandFromArgs } = await import("../src/plugin");
    expect(withCommandFromArgs({ PATH: "/bin" }, ["VERSION"]).CNI_COMMAND).toBe("VERSION");
    expect(withCommandFromArgs({ CNI_COMMAND: "" }, ["VERSION"]).CNI_COMMAND).toBe("VERSION");
  });
  it("never overrides CNI_COMMAND, and takes nothing else from arguments", async () => {
    const { withCommandFromArgs } = await import("../src/plugin");
    expect(withCommandFromArgs({ CNI_COMMAND: "ADD" }, ["VERSION"]).CNI_COMMAND).toBe("ADD");
    expect(withCommandFromArgs({}, ["ADD"]).CNI_COMMAND).toBeUndefined();
    expect(withCommandFromArgs({}, []).CNI_COMMAND).toBeUndefined();
  });
});
