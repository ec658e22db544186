// The protocol rules of @cni/skel, through a compiled executable (bin/loopback) run as a runtime runs it:
// what a runtime sees on stdout/stderr and in the exit status. The unit tests in packages/skel cover every
// rule in-process; these prove the same holds for the real binary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, createNetns, type TestNetns } from "./lib/netns";
import { ourPlugin, runPlugin } from "./lib/plugin";

const LOOPBACK = ourPlugin("loopback");
const ALL = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
let container: TestNetns;

beforeAll(() => {
  container = createNetns("pbt-ctr");
});
afterAll(cleanupAll);

const conf = { cniVersion: "1.1.0", name: "lo-test", type: "loopback" };

describe("protocol through the executable", () => {
  it("VERSION prints the supported versions with a newline and does not wait for stdin", () => {
    // No `input` closes stdin at once; a hanging read would hit the timeout instead.
    const r = runPlugin(LOOPBACK, { command: "VERSION", timeoutMs: 5_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ cniVersion: "1.1.0", supportedVersions: ALL })}\n`);
  });

  it("`loopback VERSION` typed in a shell prints the same", () => {
    const r = runPlugin(LOOPBACK, { argv: ["VERSION"], timeoutMs: 5_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ cniVersion: "1.1.0", supportedVersions: ALL })}\n`);
  });

  it("no CNI_COMMAND prints the about text on stderr and exits 0", () => {
    const r = runPlugin(LOOPBACK, {});
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("CNI loopback plugin");
    expect(r.stderr).toContain(`CNI protocol versions supported: ${ALL.join(", ")}`);
  });

  it("an unknown command is code 4", () => {
    const r = runPlugin(LOOPBACK, { command: "FOO", stdin: conf });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4, msg: "unknown CNI_COMMAND: FOO" });
  });

  it("reports every missing variable at once, code 4", () => {
    const r = runPlugin(LOOPBACK, { command: "ADD", stdin: conf });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4, msg: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing" });
  });

  it.each([
    ["bad JSON", "{not json", 6],
    ["no network name", { cniVersion: "1.0.0", type: "loopback" }, 7],
    ["a bad network name", { cniVersion: "1.0.0", name: "a/b", type: "loopback" }, 7],
    ["an unsupported version", { cniVersion: "9.9.9", name: "n", type: "loopback" }, 1],
  ])("%s is a CNI error with code %i and no stack trace", (_what, stdin, code) => {
    const r = runPlugin(LOOPBACK, {
      command: "ADD", containerId: "c1", netns: container.path, ifName: "eth0", stdin,
    });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code });
    expect(typeof r.json.msg).toBe("string");
    expect(r.stdout).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["CNI_CONTAINERID", { containerId: "-bad" }],
    ["CNI_IFNAME", { ifName: "a-name-way-too-long" }],
    ["CNI_IFNAME", { ifName: "eth/0" }],
  ])("an invalid %s is code 4", (_name, bad) => {
    const r = runPlugin(LOOPBACK, {
      command: "ADD", containerId: "c1", netns: container.path, ifName: "eth0", stdin: conf, ...bad,
    });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4 });
  });

  it("prints an error in the config's version", () => {
    const r = runPlugin(LOOPBACK, {
      command: "CHECK", containerId: "c1", netns: container.path, ifName: "eth0",
      stdin: { cniVersion: "0.3.1", name: "n", type: "loopback" },
    });
    expect(r.json).toMatchObject({ cniVersion: "0.3.1", code: 1, msg: "config version does not allow CHECK" });
  });

  it("STATUS and GC succeed silently at 1.1.0", () => {
    for (const command of ["STATUS", "GC"]) {
      const r = runPlugin(LOOPBACK, {
        command, path: "/opt/cni/bin", stdin: { ...conf, "cni.dev/valid-attachments": [] },
      });
      expect(r).toMatchObject({ code: 0, stdout: "" });
    }
  });

  it("runs from any directory: the executable needs nothing from the repo", async () => {
    const { mkdtempSync, copyFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/cni-bin-`);
    try {
      copyFileSync(LOOPBACK, `${dir}/loopback`);
      const { chmodSync } = await import("node:fs");
      chmodSync(`${dir}/loopback`, 0o755);
      const r = runPlugin(`${dir}/loopback`, {
        command: "ADD", containerId: "c1", netns: container.path, ifName: "eth0", stdin: conf,
        env: { PATH: "/nonexistent" },
      });
      expect(r.code).toBe(0);
      expect(r.json.interfaces[0].name).toBe("lo");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
