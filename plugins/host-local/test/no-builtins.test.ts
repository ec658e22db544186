// Every host-local verb runs without loading a node:* builtin: the store, its lock and resolvConf go through
// @cni/netlink's addon (loading node:fs costs a compiled plugin start-up time on every call). The plugin's
// bundle, laid out as build.sh lays it out, runs under Node with a recorder of builtin loads; the recorder
// stands in for Bun.write (stdout) only. Each call gets a throwaway data directory.
import { readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleWithRecorder, type RecordedCall, type RecordingBundle } from "../../../test/lib/builtins";

const ADDON = resolve(__dirname, "../../../packages/netlink/rtnetlink.node");

let recording: RecordingBundle | undefined;
let workDir = "";
let dataDir = "";

beforeAll(async () => {
  recording = await bundleWithRecorder(resolve(__dirname, "../src/main.ts"), "host-local", ADDON);
  workDir = recording.workDir;
  dataDir = join(workDir, "data");
  writeFileSync(join(workDir, "resolv.conf"), "nameserver 10.9.0.53\nsearch example.org\n");
});
afterAll(() => {
  recording?.remove();
});

function runRecorded(command: string, config: Record<string, unknown>, containerId = "c1"): RecordedCall {
  if (recording === undefined) throw new Error("no bundle: beforeAll failed");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/hli-not-used",
    CNI_NETNS_OVERRIDE: "1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
  };
  return recording.run(env, JSON.stringify(config));
}

function config(extraIpam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: "1.1.0",
    name: "builtins",
    type: "host-local",
    ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.77.0.0/24" }], [{ subnet: "fd00:77::/120" }]], ...extraIpam },
  };
}

describe("host-local loads no node:* builtin", () => {
  test("ADD (first, building the index; then a second one on it), CHECK, STATUS, GC, DEL", () => {
    const first = runRecorded("ADD", config({ resolvConf: join(workDir, "resolv.conf") }));
    expect([first.code, first.stderr, first.builtins]).toEqual([0, "", []]);
    expect(JSON.parse(first.stdout)).toMatchObject({
      ips: [{ address: "10.77.0.2/24" }, { address: "fd00:77::2/120" }],
      dns: { nameservers: ["10.9.0.53"], search: ["example.org"] },
    });
    const second = runRecorded("ADD", config(), "c2");
    expect([second.code, second.builtins]).toEqual([0, []]);
    expect(JSON.parse(second.stdout).ips[0].address).toBe("10.77.0.3/24");
    for (const command of ["CHECK", "STATUS"]) {
      const r = runRecorded(command, config());
      expect([command, r.code, r.stdout, r.builtins]).toEqual([command, 0, "", []]);
    }
    const gc = runRecorded("GC", { ...config(), "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] });
    expect([gc.code, gc.stdout, gc.builtins]).toEqual([0, "", []]);
    const del = runRecorded("DEL", config());
    expect([del.code, del.stdout, del.builtins]).toEqual([0, "", []]);
    expect(readdirSync(join(dataDir, "builtins")).sort()).toEqual(["last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
  });

  test("errors too: a taken address (code 102) and a missing resolvConf (code 5)", () => {
    const taken = runRecorded("ADD", config({ ranges: [[{ subnet: "10.78.0.0/24" }]] }), "t1");
    expect(taken.code).toBe(0);
    const again = runRecorded("ADD", { ...config({ ranges: [[{ subnet: "10.78.0.0/24" }]] }), args: { cni: { ips: ["10.78.0.2"] } } }, "t2");
    expect([again.code, JSON.parse(again.stdout).code, again.builtins]).toEqual([1, 102, []]);
    const missing = runRecorded("ADD", config({ resolvConf: join(workDir, "missing.conf") }), "t3");
    expect([missing.code, JSON.parse(missing.stdout).code, missing.builtins]).toEqual([1, 5, []]);
  });
});
