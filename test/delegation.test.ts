// Delegation to an IPAM plugin through CNI_PATH, through real executables: a delegating plugin compiled
// as build.sh compiles plugins, calling our bin/host-local. This is what bridge and veth stand on.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN_DIR, REPO_ROOT, ourPlugin, runPlugin, type PluginCall } from "./lib/plugin";

let work: string;
let delegating: string;
let dataDir: string;

beforeAll(() => {
  ourPlugin("host-local"); // fail early with a clear message when bin/ is not built
  work = mkdtempSync(join(tmpdir(), "cni-delegation-"));
  dataDir = join(work, "ipam");
  const bundle = join(work, "build", "delegating", "main.cjs");
  delegating = join(work, "delegating");
  execFileSync(resolve(REPO_ROOT, "node_modules/.bin/esbuild"), [
    resolve(REPO_ROOT, "test/fixtures/delegating-plugin.ts"), "--bundle", "--platform=node", "--format=cjs",
    "--target=node20", "--log-level=error", `--outfile=${bundle}`,
  ]);
  execFileSync(resolve(REPO_ROOT, "node_modules/.bin/bun"), [
    "build", "--compile", "--bytecode", "--minify", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    bundle, "--outfile", delegating,
  ], { stdio: "ignore" });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ranges = [[{ subnet: "10.251.0.0/30" }]];
function conf(cniVersion: string, extra: Record<string, unknown> = {}) {
  return { cniVersion, name: "delnet", type: "delegating", ipam: { type: "host-local", ranges, dataDir }, ...extra };
}
function call(command: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: "d1", netns: "/var/run/netns/none", ifName: "eth0", path: BIN_DIR, stdin, ...extra };
}
const leases = () => (existsSync(join(dataDir, "delnet")) ? readdirSync(join(dataDir, "delnet")).filter((f) => /^\d/.test(f)) : []);

describe("delegation to host-local through CNI_PATH", () => {
  it("ADD returns the IPAM result in the config's version; CHECK and DEL are forwarded", () => {
    const add = runPlugin(delegating, call("ADD", conf("0.4.0")));
    expect(add.stderr).toBe("");
    expect(add.json).toEqual({
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.251.0.2/30", gateway: "10.251.0.1" }],
      dns: {},
    });
    expect(leases()).toEqual(["10.251.0.2"]);
    expect(runPlugin(delegating, call("CHECK", { ...conf("0.4.0"), prevResult: add.json })).code).toBe(0);
    expect(runPlugin(delegating, call("DEL", conf("0.4.0"))).code).toBe(0);
    expect(leases()).toEqual([]);
    const check = runPlugin(delegating, call("CHECK", { ...conf("0.4.0"), prevResult: add.json }));
    expect(check.json).toMatchObject({ code: 3 });
  });

  it("passes the IPAM plugin's own CNI error through unchanged", () => {
    expect(runPlugin(delegating, call("ADD", conf("1.0.0"), { containerId: "x1" })).code).toBe(0);
    const full = runPlugin(delegating, call("ADD", conf("1.0.0"), { containerId: "x2" }));
    expect(full.code).toBe(1);
    expect(full.json).toMatchObject({
      code: 100,
      msg: 'IPAM plugin "host-local": failed to allocate for range 0: no IP addresses available in range set: 10.251.0.1-10.251.0.2',
    });
    runPlugin(delegating, call("DEL", conf("1.0.0"), { containerId: "x1" }));
  });

  it("a failure after IPAM releases the address again", () => {
    const r = runPlugin(delegating, call("ADD", conf("1.0.0", { failAfterIpam: true })));
    expect(r.json).toMatchObject({ code: 999, msg: "failing after IPAM on purpose" });
    expect(leases()).toEqual([]);
  });

  it("STATUS and GC are forwarded (1.1.0)", () => {
    expect(runPlugin(delegating, call("ADD", conf("1.1.0"), { containerId: "g1" })).code).toBe(0);
    expect(runPlugin(delegating, call("STATUS", conf("1.1.0"))).code).toBe(1); // the /30 is full
    const gc = runPlugin(delegating, call("GC", { ...conf("1.1.0"), "cni.dev/valid-attachments": [] }));
    expect(gc.code).toBe(0);
    expect(leases()).toEqual([]);
    expect(runPlugin(delegating, call("STATUS", conf("1.1.0"))).code).toBe(0);
  });

  it("a spawned delegating plugin as its own IPAM type is refused with code 7 naming it, on every verb (no recursion)", () => {
    // the delegating fixture is its own executable: nothing runs in-process, each level is a new process
    const loop = { cniVersion: "1.1.0", name: "delnet", type: "delegating", ipam: { type: "delegating" } };
    for (const verb of ["ADD", "DEL", "CHECK", "STATUS"]) {
      const r = runPlugin(delegating, call(verb, loop, { path: work }));
      expect(r.json, verb).toMatchObject({ code: 7, msg: expect.stringContaining('invalid IPAM type "delegating"') });
    }
  });

  it("the IPAM plugin's error names it, so the runtime does not blame the delegating plugin alone", () => {
    const r = runPlugin(delegating, call("ADD", conf("1.0.0"), { args: "FOO=bar" }));
    expect(r.json).toMatchObject({ msg: expect.stringMatching(/^IPAM plugin "host-local": .*FOO=bar/) });
    expect(leases()).toEqual([]);
  });

  it("an IPAM plugin missing from CNI_PATH, or no CNI_PATH, is a CNI error naming it", () => {
    const missing = runPlugin(delegating, call("ADD", { ...conf("1.0.0"), ipam: { type: "no-such-ipam" } }));
    expect(missing.code).toBe(1);
    expect(missing.json.msg).toContain("no-such-ipam");
    const noPath = runPlugin(delegating, call("ADD", conf("1.0.0"), { path: undefined }));
    expect(noPath.json).toMatchObject({ code: 4 });
    expect(noPath.json.msg).toContain("CNI_PATH");
    expect(leases()).toEqual([]);
  });
});
