// The kit's pure parts: the undo stack, error mapping, prevResult/interface lookups, names, families.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CniError, ErrorCode, setInProcessDelegate, type CmdArgs, type DelegateRequest, type Result } from "@cni/skel";
import { NetlinkError } from "@cni/netlink";
import {
  UndoStack,
  applyDnsOverride,
  familiesOf,
  ipamAdd,
  ipamGc,
  ipamStatus,
  findContainerInterface,
  isNetlinkCode,
  netlinkStep,
  netlinkToCniError,
  randomVethName,
  passPrevResultThrough,
  prevResultInConfigVersion,
  requirePrevResult,
  withUndo,
  PREV_RESULT_MISSING,
} from "../src/index";
import { cniErrorOf, cniRejection } from "./expect-error";

const ENODEV = new NetlinkError("linkSetUp eth9: No such device", { errno: 19, code: "ENODEV", request: "linkSetUp", subject: "eth9" });

function cmdArgs(prevResult?: Result, extra: Partial<CmdArgs> = {}): CmdArgs {
  return {
    command: "CHECK",
    containerId: "c1",
    netns: "/var/run/netns/x",
    ifName: "eth0",
    args: "",
    path: [],
    stdinData: Buffer.from("{}"),
    config: { cniVersion: "1.0.0", name: "n", type: "t", runtimeConfig: {}, raw: {}, ...(prevResult ? { prevResult } : {}) },
    env: {},
    ...extra,
  };
}

describe("withUndo", () => {
  it("runs the registered undos newest first when a step fails, then rethrows the step's error", async () => {
    const ran: string[] = [];
    const failure = new CniError(ErrorCode.Internal, "step three failed");
    const error = await cniRejection(
      withUndo(async (undo) => {
        undo.step("first", () => undefined, () => void ran.push("first"));
        const ipam = await undo.step("ipam", async () => "10.1.0.2/24", async (lease) => void ran.push(`release ${lease}`));
        expect(ipam).toBe("10.1.0.2/24");
        const veth = undo.step("veth", () => ({ name: "veth0" }), (made) => void ran.push(`delete ${made.name}`));
        expect(veth.name).toBe("veth0");
        throw failure;
      }),
    );
    expect(error).toBe(failure);
    expect(ran).toEqual(["delete veth0", "release 10.1.0.2/24", "first"]);
  });

  it("drops the undos when the body succeeds", async () => {
    const ran: string[] = [];
    const value = await withUndo((undo) => {
      undo.step("x", () => undefined, () => void ran.push("x"));
      return 42;
    });
    expect(value).toBe(42);
    expect(ran).toEqual([]);
  });

  it("registers nothing for a step that throws or rejects", async () => {
    const undo = new UndoStack();
    expect(() => undo.step("sync", () => { throw new Error("no"); }, () => undefined)).toThrow("no");
    await expect(undo.step("async", () => Promise.reject(new Error("nope")), () => undefined)).rejects.toThrow("nope");
    expect(undo.size).toBe(0);
  });

  it("keeps undoing past an undo that fails, and reports it in the error's details", async () => {
    const ran: string[] = [];
    const error = await cniRejection(
      withUndo((undo) => {
        undo.step("release lease", () => undefined, () => void ran.push("release"));
        undo.step("delete veth0", () => undefined, () => { throw new Error("EBUSY"); });
        undo.step("drop rule", () => undefined, async () => { throw new Error("no table"); });
        throw new CniError(ErrorCode.InvalidNetworkConfig, "bad thing", "why");
      }),
    );
    expect(ran).toEqual(["release"]);
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(error.message).toBe("bad thing");
    expect(error.details).toBe("why; cleanup after the failure also failed: drop rule: no table; delete veth0: EBUSY");
  });

  it("turns a plain Error into a CniError only when it must add cleanup failures", async () => {
    const plain = new Error("plain");
    await expect(withUndo(() => { throw plain; })).rejects.toBe(plain);
    const error = await cniRejection(
      withUndo((undo) => {
        undo.step("u", () => undefined, () => { throw new Error("stuck"); });
        throw plain;
      }),
    );
    expect(error).toMatchObject({ code: ErrorCode.Internal, message: "plain", details: "cleanup after the failure also failed: u: stuck" });
  });
});

describe("netlink errors as CNI errors", () => {
  it("says what failed and the kernel's reason, code 999 unless given", () => {
    const error = netlinkToCniError(ENODEV, 'failed to set "eth9" UP');
    expect(error).toBeInstanceOf(CniError);
    expect(error).toMatchObject({ code: ErrorCode.Internal, message: 'failed to set "eth9" UP: linkSetUp eth9: No such device' });
    expect(netlinkToCniError(ENODEV, "x", ErrorCode.InvalidEnvironment).code).toBe(ErrorCode.InvalidEnvironment);
  });

  it("passes a CniError through unchanged", () => {
    const original = new CniError(ErrorCode.InvalidNetNS, "own netns");
    expect(netlinkToCniError(original, "ignored")).toBe(original);
  });

  it("netlinkStep returns the value, or throws the mapped error", () => {
    expect(netlinkStep("ok", () => 7)).toBe(7);
    expect(() => netlinkStep("failed to lookup \"eth9\"", () => { throw ENODEV; })).toThrow(/^failed to lookup "eth9": linkSetUp eth9: No such device$/);
  });

  it("isNetlinkCode matches only NetlinkErrors with that code", () => {
    expect(isNetlinkCode(ENODEV, "ENODEV")).toBe(true);
    expect(isNetlinkCode(ENODEV, "EEXIST")).toBe(false);
    expect(isNetlinkCode(Object.assign(new Error("x"), { code: "ENODEV" }), "ENODEV")).toBe(false);
  });
});

describe("prevResult for CHECK", () => {
  const result: Result = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "veth1234abcd" }, { name: "eth0", sandbox: "/var/run/netns/other" }, { name: "eth0", sandbox: "/var/run/netns/x" }],
  };

  it("is required: code 7, Required prevResult missing", () => {
    expect(() => requirePrevResult(cmdArgs())).toThrow(CniError);
    expect(() => requirePrevResult(cmdArgs())).toThrow("Required prevResult missing");
    try {
      requirePrevResult(cmdArgs());
    } catch (error) {
      expect((error as CniError).code).toBe(ErrorCode.InvalidNetworkConfig);
    }
    expect(requirePrevResult(cmdArgs(result))).toBe(result);
  });

  it("names what is missing in the plugin's words (portmap's ADD), still code 7", () => {
    const error = cniErrorOf(() => requirePrevResult(cmdArgs(), "must be called as chained plugin"));
    expect(error).toMatchObject({ code: ErrorCode.InvalidNetworkConfig, message: "must be called as chained plugin" });
  });

  it("refuses an ips[].interface outside interfaces, naming the field", () => {
    const bad: Result = { ...result, ips: [{ interface: 3, address: "10.1.0.2/24" }] };
    const error = cniErrorOf(() => requirePrevResult(cmdArgs(bad)));
    expect(error).toMatchObject({ code: ErrorCode.InvalidNetworkConfig, message: "prevResult.ips[0].interface 3 is out of range (3 interfaces)" });
  });

  it("finds the container interface by name and sandbox", () => {
    expect(findContainerInterface(result, "eth0", "/var/run/netns/x")).toEqual({ index: 2, iface: result.interfaces?.[2] });
    expect(() => findContainerInterface(result, "eth0", "/var/run/netns/y")).toThrow(
      "Sandbox in prevResult /var/run/netns/other doesn't match configured netns: /var/run/netns/y",
    );
    expect(() => findContainerInterface(result, "eth1", "/var/run/netns/x")).toThrow("Container interface name missing in prevResult: eth1");
  });
});

describe("prevResult for chained plugins", () => {
  const prevResult: Result = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", mac: "0a:58:0a:01:00:02", mtu: 1400, sandbox: "/var/run/netns/x" }],
    ips: [{ interface: 0, address: "10.1.0.2/24", gateway: "10.1.0.1" }],
  };
  const at = (cniVersion: string, prev?: Result): CmdArgs => {
    const args = cmdArgs(prev, { command: "ADD" });
    return { ...args, config: { ...args.config, cniVersion } };
  };

  it("passes prevResult through as it came; skel prints it in the config's version", () => {
    expect(passPrevResultThrough(at("0.3.1", prevResult))).toBe(prevResult);
    expect(() => passPrevResultThrough(at("0.3.1"))).toThrow(PREV_RESULT_MISSING);
  });

  it("converts prevResult to the config's version", () => {
    expect(prevResultInConfigVersion(at("0.3.1", prevResult))).toEqual({
      cniVersion: "0.3.1",
      interfaces: [{ name: "eth0", mac: "0a:58:0a:01:00:02", sandbox: "/var/run/netns/x" }],
      ips: [{ version: "4", interface: 0, address: "10.1.0.2/24", gateway: "10.1.0.1" }],
      dns: {},
    });
    expect(prevResultInConfigVersion(at("0.2.0", prevResult))).toEqual({ cniVersion: "0.2.0", ip4: { ip: "10.1.0.2/24", gateway: "10.1.0.1" }, dns: {} });
  });

  it("fails before the plugin's own work when the config's version cannot hold prevResult (code 1)", () => {
    const withoutIps: Result = { cniVersion: "1.1.0", interfaces: prevResult.interfaces ?? [] };
    const error = cniErrorOf(() => passPrevResultThrough(at("0.2.0", withoutIps)));
    expect(error).toMatchObject({ code: ErrorCode.IncompatibleVersion, message: "cannot convert: no valid IP addresses" });
  });
});

describe("randomVethName", () => {
  it("is veth + 8 lowercase hex digits, different each time", () => {
    const names = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const name = randomVethName();
      expect(name).toMatch(/^veth[0-9a-f]{8}$/);
      names.add(name);
    }
    expect(names.size).toBe(50);
  });
});

describe("familiesOf", () => {
  it("lists each family present once, IPv4 first", () => {
    expect(familiesOf([{ address: "fd00::2/64" }, { address: "10.0.0.2/24" }, { address: "10.0.1.2/24" }])).toEqual([4, 6]);
    expect(familiesOf([{ address: "fd00::2/64" }])).toEqual([6]);
    expect(familiesOf([])).toEqual([]);
  });
});

describe("ipamAdd under withUndo", () => {
  // A stand-in IPAM plugin: delegation finds the file on CNI_PATH, the in-process runner answers for it.
  let dir: string;
  let calls: string[];
  let addOutput: string;

  beforeEach(() => {
    dir = mkdtempSync(`${tmpdir()}/pkt-ipam-`);
    writeFileSync(`${dir}/fake-ipam`, "");
    chmodSync(`${dir}/fake-ipam`, 0o755);
    calls = [];
    addOutput = JSON.stringify({ cniVersion: "1.0.0", ips: [{ address: "10.5.0.2/24", gateway: "10.5.0.1" }] });
    setInProcessDelegate((request: DelegateRequest) => {
      calls.push(`${request.type} ${request.command}`);
      return { exitCode: 0, stdout: request.command === "ADD" ? addOutput : "" };
    });
  });
  afterEach(() => {
    setInProcessDelegate(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const addArgs = (): CmdArgs => {
    const args = cmdArgs(undefined, { command: "ADD", path: [dir] });
    return { ...args, config: { ...args.config, ipam: { type: "fake-ipam" } } };
  };

  it("returns the IPAM result, and releases the lease when a later step fails", async () => {
    const error = await cniRejection(
      withUndo(async (undo) => {
        const result = await ipamAdd(addArgs(), undo);
        expect(result.ips).toEqual([{ address: "10.5.0.2/24", gateway: "10.5.0.1" }]);
        expect(calls).toEqual(["fake-ipam ADD"]);
        throw new CniError(ErrorCode.Internal, "veth failed");
      }),
    );
    expect(error.message).toBe("veth failed");
    expect(calls).toEqual(["fake-ipam ADD", "fake-ipam DEL"]);
  });

  it("a result without IPs is the reference's error, and the lease is released", async () => {
    addOutput = JSON.stringify({ cniVersion: "1.0.0" });
    const error = await cniRejection(withUndo((undo) => ipamAdd(addArgs(), undo)));
    expect(error).toMatchObject({ code: ErrorCode.Internal, message: "IPAM plugin returned missing IP config" });
    expect(calls).toEqual(["fake-ipam ADD", "fake-ipam DEL"]);
  });

  it("STATUS and GC go to the IPAM plugin; a config without ipam.type has none to ask", async () => {
    await ipamStatus({ ...addArgs(), command: "STATUS" });
    await ipamGc({ ...addArgs(), command: "GC" });
    expect(calls).toEqual(["fake-ipam STATUS", "fake-ipam GC"]);
    await ipamStatus(cmdArgs(undefined, { command: "STATUS", path: [dir] }));
    await ipamGc(cmdArgs(undefined, { command: "GC", path: [dir] }));
    expect(calls).toEqual(["fake-ipam STATUS", "fake-ipam GC"]);
  });
});

describe("applyDnsOverride", () => {
  const result: Result = { cniVersion: "1.0.0", dns: { nameservers: ["10.0.0.53"] } };
  it("keeps IPAM's dns when the config gives none, replaces it when the config gives any field", () => {
    expect(applyDnsOverride(result, cmdArgs())).toEqual(result);
    const args = cmdArgs();
    const withDns = { ...args, config: { ...args.config, dns: { search: [] } } };
    expect(applyDnsOverride(result, withDns)).toEqual({ cniVersion: "1.0.0", dns: { search: [] } });
  });
});
