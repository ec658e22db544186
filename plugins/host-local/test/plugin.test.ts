// The verbs end to end through skel's run(), in-process, with the real store and lock (through the
// addon); the black-box tests run the real executable.
import { mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { plugin } from "../src/host-local";

let dataDir: string;
let cleanup: () => void;
beforeEach(async () => {
  const { tempDataDir } = await import("./tmp-store");
  ({ dataDir, cleanup } = tempDataDir());
});
afterEach(() => cleanup());

interface Call {
  command: string;
  config: Record<string, unknown>;
  containerId?: string;
  ifName?: string;
  args?: string;
}
async function run(call: Call): Promise<{ code: number; out: any; stdout: string }> {
  let stdout = "";
  const env: Record<string, string> = {
    CNI_COMMAND: call.command,
    CNI_PATH: "/opt/cni/bin",
    CNI_NETNS_OVERRIDE: "1",
  };
  if (["ADD", "DEL", "CHECK"].includes(call.command)) {
    env.CNI_CONTAINERID = call.containerId ?? "c1";
    env.CNI_IFNAME = call.ifName ?? "eth0";
    env.CNI_NETNS = "/some/where";
  }
  if (call.args) env.CNI_ARGS = call.args;
  const code = await plugin.run({
    env,
    readStdin: () => Buffer.from(JSON.stringify(call.config)),
    writeStdout: (t) => void (stdout += t),
    writeStderr: () => undefined,
  });
  return { code, stdout, out: stdout ? JSON.parse(stdout) : undefined };
}

function config(ipam: Record<string, unknown>, extra: Record<string, unknown> = {}, cniVersion = "1.1.0") {
  return { cniVersion, name: "mynet", type: "whatever", ipam: { type: "host-local", dataDir, ...ipam }, ...extra };
}
const files = () => readdirSync(join(dataDir, "mynet")).sort();

describe("ADD / DEL / CHECK", () => {
  it("dual stack with routes and resolvConf (the Go host_local_test scenario)", async () => {
    const resolv = join(dataDir, "resolv.conf");
    writeFileSync(resolv, "nameserver 192.0.2.53\nsearch example.test\n");
    const conf = config({
      ranges: [[{ subnet: "10.1.2.0/24" }, { subnet: "10.2.2.0/24" }], [{ subnet: "2001:db8:1::/64" }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }, { dst: "192.168.0.0/16", gw: "1.1.1.1" }, { dst: "2001:db8:2::0/64", gw: "3ffe:ffff:0:1::1" }],
      resolvConf: resolv,
    });
    const add = await run({ command: "ADD", config: conf, containerId: "dummy" });
    expect(add.code).toBe(0);
    expect(add.out).toEqual({
      cniVersion: "1.1.0",
      ips: [
        { address: "10.1.2.2/24", gateway: "10.1.2.1" },
        { address: "2001:db8:1::2/64", gateway: "2001:db8:1::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }, { dst: "192.168.0.0/16", gw: "1.1.1.1" }, { dst: "2001:db8:2::/64", gw: "3ffe:ffff:0:1::1" }],
      dns: { nameservers: ["192.0.2.53"], search: ["example.test"] },
    });
    expect(files()).toEqual(["10.1.2.2", "2001:db8:1::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
    expect(readFileSync(join(dataDir, "mynet", "2001:db8:1::2"), "utf8")).toBe("dummy\r\neth0");

    expect((await run({ command: "CHECK", config: conf, containerId: "dummy" })).code).toBe(0);
    expect((await run({ command: "DEL", config: conf, containerId: "dummy" })).code).toBe(0);
    expect(files()).toEqual(["last_reserved_ip.0", "last_reserved_ip.1", "lock"]);
    const check = await run({ command: "CHECK", config: conf, containerId: "dummy" });
    expect(check.out).toMatchObject({ code: 3, msg: "host-local: Failed to find address added by container dummy" });
  });

  it("0.3.1 results carry the version field; dns {} without resolvConf", async () => {
    const add = await run({ command: "ADD", config: config({ subnet: "10.80.0.0/16" }, {}, "0.3.1") });
    expect(add.out).toEqual({
      cniVersion: "0.3.1",
      ips: [{ version: "4", address: "10.80.0.2/16", gateway: "10.80.0.1" }],
      dns: {},
    });
  });

  it("a failure in a later range set releases the earlier ones", async () => {
    const conf = config({ ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "10.3.0.0/30" }]] });
    expect((await run({ command: "ADD", config: conf, containerId: "a" })).code).toBe(0);
    const second = await run({ command: "ADD", config: conf, containerId: "b" });
    expect(second.out).toMatchObject({
      code: 100,
      msg: "failed to allocate for range 1: no IP addresses available in range set: 10.3.0.1-10.3.0.2",
    });
    expect(files().filter((f) => f.startsWith("10."))).toEqual(["10.1.2.2", "10.3.0.2"]);
  });

  it("requested addresses: CNI_ARGS, args.cni.ips, runtimeConfig.ips; leftovers are an error", async () => {
    const conf = config(
      { ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "fd00::/64" }]] },
      { args: { cni: { ips: ["fd00::99/64"] } } },
    );
    const add = await run({ command: "ADD", config: conf, args: "IP=10.1.2.88" });
    expect(add.out.ips.map((i: { address: string }) => i.address)).toEqual(["10.1.2.88/24", "fd00::99/64"]);

    const two = config({ subnet: "10.1.2.0/24" }, { runtimeConfig: { ips: ["10.1.2.77", "10.1.2.78"] } });
    const res = await run({ command: "ADD", config: two, containerId: "c2" });
    expect(res.out).toMatchObject({ code: 102, msg: "failed to allocate all requested IPs: 10.1.2.78" });
    expect(files().filter((f) => f.startsWith("10."))).toEqual(["10.1.2.88"]);

    const gw = await run({ command: "ADD", config: config({ subnet: "10.1.2.0/24" }), containerId: "c3", args: "IP=10.1.2.1" });
    expect(gw.out).toMatchObject({ code: 102, msg: "failed to allocate for range 0: requested ip 10.1.2.1 is subnet's gateway" });
  });

  it("config errors are code 7 with the reference message", async () => {
    const res = await run({ command: "ADD", config: { cniVersion: "1.0.0", name: "mynet", type: "x" } });
    expect(res.out).toMatchObject({ code: 7, msg: "IPAM config missing 'ipam' key" });
  });
});

describe("STATUS", () => {
  it("is fine with room, code 50 when a range set is full or the directory cannot be written", async () => {
    const conf = config({ ranges: [[{ subnet: "10.3.0.0/30" }]] });
    expect((await run({ command: "STATUS", config: conf })).code).toBe(0);
    await run({ command: "ADD", config: conf, containerId: "a" });
    const full = await run({ command: "STATUS", config: conf });
    expect(full.out).toMatchObject({ code: 50, msg: "no IP addresses available in range set: 10.3.0.1-10.3.0.2" });

    // ADD needs an address from every set: one full set (beside one with room) already refuses it.
    const dual = config({ ranges: [[{ subnet: "10.4.0.0/24" }], [{ subnet: "10.3.0.0/30" }]] });
    const oneFull = await run({ command: "STATUS", config: dual });
    expect(oneFull.out).toMatchObject({ code: 50, msg: "no IP addresses available in range set: 10.3.0.1-10.3.0.2" });

    writeFileSync(join(dataDir, "blocker"), "");
    const bad = await run({ command: "STATUS", config: config({ subnet: "10.1.2.0/24", dataDir: join(dataDir, "blocker") }) });
    expect(bad.out.code).toBe(50);
  });
});

describe("GC", () => {
  it("releases what is not in cni.dev/valid-attachments (or cni.dev/attachments)", async () => {
    const conf = config({ subnet: "10.1.2.0/24" });
    for (const id of ["a", "b", "c"]) await run({ command: "ADD", config: conf, containerId: id });
    const gc = await run({
      command: "GC",
      config: { ...conf, "cni.dev/valid-attachments": [{ containerID: "a", ifname: "eth0" }, { containerID: "c", ifname: "eth9" }] },
    });
    expect(gc.code).toBe(0);
    expect(files()).toEqual(["10.1.2.2", "last_reserved_ip.0", "lock"]);
    await run({ command: "GC", config: { ...conf, "cni.dev/attachments": [] } });
    expect(files()).toEqual(["last_reserved_ip.0", "lock"]);
  });
});

describe("damage", () => {
  it("an unwritable data directory is an I/O error, not a crash", async () => {
    mkdirSync(join(dataDir, "ro"));
    writeFileSync(join(dataDir, "ro", "mynet"), "not a directory");
    chmodSync(join(dataDir, "ro"), 0o500);
    const res = await run({ command: "ADD", config: config({ subnet: "10.1.2.0/24", dataDir: join(dataDir, "ro") }) });
    expect(res.out).toMatchObject({ code: 5 });
    expect(res.out.msg).toMatch(/network directory .*\/ro\/mynet is not a directory/);
  });
});
