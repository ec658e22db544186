// Black-box tests of bin/loopback, run as a runtime runs it, against namespaces made here.
// The same calls go to the Go reference loopback where the outputs must agree.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { addrs, cleanupAll, createNetns, deleteNetns, inNetns, isUp, type TestNetns } from "./lib/netns";
import { goPlugin, ourPlugin, runPlugin, type PluginCall } from "./lib/plugin";

const LOOPBACK = ourPlugin("loopback");
const VERSIONS_WITH_CHECK = ["0.4.0", "1.0.0", "1.1.0"];

let host: TestNetns;
let container: TestNetns;

beforeEach(() => {
  host = createNetns("lbt-host");
  container = createNetns("lbt-ctr");
});
afterEach(() => {
  deleteNetns(container);
  deleteNetns(host);
});
afterAll(cleanupAll);

function call(command: string, cniVersion: string, extra: Partial<PluginCall> = {}): PluginCall {
  return {
    command,
    containerId: "ctr-1",
    netns: container.path,
    ifName: "eth0",
    path: "/opt/cni/bin",
    stdin: { cniVersion, name: "lo-test", type: "loopback" },
    hostNetns: host,
    ...extra,
  };
}

describe.each(["0.3.1", "0.4.0", "1.0.0", "1.1.0"])("loopback at cniVersion %s", (version) => {
  it("ADD brings lo up and reports it, whatever CNI_IFNAME says", () => {
    expect(isUp(container, "lo")).toBe(false);
    const r = runPlugin(LOOPBACK, call("ADD", version, { ifName: "eth7" }));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(isUp(container, "lo")).toBe(true);
    const withVersion = version.startsWith("0.") ? { version: "4" } : {};
    const withVersion6 = version.startsWith("0.") ? { version: "6" } : {};
    expect(r.json).toEqual({
      cniVersion: version,
      interfaces: [{ name: "lo", mac: "00:00:00:00:00:00", sandbox: container.path }],
      ips: [
        { ...withVersion, interface: 0, address: "127.0.0.1/8" },
        { ...withVersion6, interface: 0, address: "::1/128" },
      ],
      ...(version.startsWith("0.") ? { dns: {} } : {}),
    });
  });

  it("DEL brings lo down, and a second DEL succeeds", () => {
    expect(runPlugin(LOOPBACK, call("ADD", version)).code).toBe(0);
    const first = runPlugin(LOOPBACK, call("DEL", version));
    expect(first).toMatchObject({ code: 0, stdout: "" });
    expect(isUp(container, "lo")).toBe(false);
    expect(runPlugin(LOOPBACK, call("DEL", version))).toMatchObject({ code: 0, stdout: "" });
  });

  it.runIf(VERSIONS_WITH_CHECK.includes(version))("CHECK passes while lo is up and fails once it is down", () => {
    const added = runPlugin(LOOPBACK, call("ADD", version));
    const prevResult = added.json;
    const conf = { cniVersion: version, name: "lo-test", type: "loopback", prevResult };
    expect(runPlugin(LOOPBACK, call("CHECK", version, { stdin: conf })).code).toBe(0);
    inNetns(container, "ip", ["link", "set", "lo", "down"]);
    const r = runPlugin(LOOPBACK, call("CHECK", version, { stdin: conf }));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ msg: "loopback interface is down" });
  });

  it.runIf(VERSIONS_WITH_CHECK.includes(version))("CHECK without a prevResult is an error (the spec requires one), even with lo up", () => {
    expect(runPlugin(LOOPBACK, call("ADD", version)).code).toBe(0);
    const r = runPlugin(LOOPBACK, call("CHECK", version));
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ cniVersion: version, code: 7, msg: "Required prevResult missing" });
  });

  it.runIf(VERSIONS_WITH_CHECK.includes(version))("CHECK refuses a prevResult whose ips[].interface is out of range or negative (code 7 naming it)", () => {
    const added = runPlugin(LOOPBACK, call("ADD", version));
    expect(added.code).toBe(0);
    for (const [index, ipIndex] of [[7, 0], [-1, 1]] as const) {
      const prevResult = structuredClone(added.json);
      prevResult.ips[ipIndex].interface = index;
      const r = runPlugin(LOOPBACK, call("CHECK", version, { stdin: { cniVersion: version, name: "lo-test", type: "loopback", prevResult } }));
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ cniVersion: version, code: 7, msg: `prevResult.ips[${ipIndex}].interface ${index} is out of range (1 interfaces)` });
    }
  });

  it.runIf(!VERSIONS_WITH_CHECK.includes(version))("CHECK is refused below 0.4.0", () => {
    const r = runPlugin(LOOPBACK, call("CHECK", version));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 1, msg: "config version does not allow CHECK" });
  });
});

describe("loopback, matching the Go reference", () => {
  // Debian's Go loopback (1.1.1) labels its 1.x-shaped result with the config's version without
  // converting it: no "version" keys at 0.3.x/0.4.0 and no ip4/ip6 at 0.2.0. Ours converts, as the
  // spec (and every other Go plugin) does; apart from that the results must be the same.
  const withoutIpVersions = (r: { ips: Array<Record<string, unknown>> }) => ({
    ...r,
    ips: r.ips.map(({ version: _v, ...ip }) => ip),
  });

  it.each(["0.3.1", "0.4.0"])("prints the same ADD result at %s, plus the spec's version keys", (version) => {
    const ours = runPlugin(LOOPBACK, call("ADD", version));
    const go = runPlugin(goPlugin("loopback"), call("ADD", version));
    expect(ours.code).toBe(0);
    expect(ours.json.ips.map((ip: { version: string }) => ip.version)).toEqual(["4", "6"]);
    expect(withoutIpVersions(ours.json)).toEqual(go.json);
    // same layout: 4-space indent, no trailing newline, same key order
    expect(ours.stdout.replace(/\n\s*"version": "[46]",/g, "")).toBe(go.stdout);
  });

  it("prints the same ADD result at 1.0.0 (the Go 1.1.1 build also prints an empty dns)", () => {
    const ours = runPlugin(LOOPBACK, call("ADD", "1.0.0"));
    const go = runPlugin(goPlugin("loopback"), call("ADD", "1.0.0"));
    const { dns, ...goWithoutDns } = go.json;
    expect(dns).toEqual({});
    expect(ours.json).toEqual(goWithoutDns);
  });

  it("converts to the 0.2.0 shape, which the Go 1.1.1 loopback does not", () => {
    const ours = runPlugin(LOOPBACK, call("ADD", "0.2.0"));
    expect(ours.code).toBe(0);
    expect(ours.json).toEqual({ cniVersion: "0.2.0", ip4: { ip: "127.0.0.1/8" }, ip6: { ip: "::1/128" }, dns: {} });
    const go = runPlugin(goPlugin("loopback"), call("ADD", "0.2.0"));
    expect(go.json.ip4).toBeUndefined();
  });
});

describe("loopback in a chain and with odd namespaces", () => {
  it("passes a prevResult through unchanged", () => {
    const prevResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", mac: "0a:58:0a:01:02:03", sandbox: container.path }],
      ips: [{ interface: 0, address: "10.1.2.3/24", gateway: "10.1.2.1" }],
      routes: [{ dst: "0.0.0.0/0" }],
    };
    const stdin = { cniVersion: "1.0.0", name: "lo-test", type: "loopback", prevResult };
    const r = runPlugin(LOOPBACK, call("ADD", "1.0.0", { stdin }));
    expect(r.code).toBe(0);
    expect(r.json).toEqual(prevResult);
    expect(isUp(container, "lo")).toBe(true);
  });

  it("reports only 127.0.0.1 when IPv6 is disabled in the container, as the reference does", () => {
    inNetns(container, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.lo.disable_ipv6=1"]);
    const ours = runPlugin(LOOPBACK, call("ADD", "1.0.0"));
    expect(ours.code).toBe(0);
    expect(ours.json.ips).toEqual([{ interface: 0, address: "127.0.0.1/8" }]);
    const go = runPlugin(goPlugin("loopback"), call("ADD", "1.0.0")); // Debian's 1.1.1 speaks up to 1.0.0
    expect(go.json.ips).toEqual(ours.json.ips);
  });

  it("refuses a lo that holds a non-loopback address", () => {
    inNetns(container, "ip", ["addr", "add", "10.9.9.9/32", "dev", "lo"]);
    const r = runPlugin(LOOPBACK, call("ADD", "1.0.0"));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain("non-loopback address");
    expect(r.json.msg).toContain("10.9.9.9");
  });

  it("DEL with no CNI_NETNS, or a namespace that is gone, succeeds", () => {
    expect(runPlugin(LOOPBACK, call("DEL", "1.0.0", { netns: undefined })).code).toBe(0);
    expect(runPlugin(LOOPBACK, call("DEL", "1.0.0", { netns: "" })).code).toBe(0);
    expect(runPlugin(LOOPBACK, call("DEL", "1.0.0", { netns: "/var/run/netns/lbt-gone" })).code).toBe(0);
  });

  it("ADD into a namespace path that does not exist is a CNI error naming it", () => {
    const r = runPlugin(LOOPBACK, call("ADD", "1.0.0", { netns: "/var/run/netns/lbt-gone" }));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4 });
    expect(r.json.msg).toContain("/var/run/netns/lbt-gone");
  });

  it("ADD and DEL with a FIFO as CNI_NETNS fail at once with code 4 naming it (opening a FIFO must not block)", () => {
    const dir = mkdtempSync(join(tmpdir(), "lbt-fifo-"));
    try {
      const fifo = join(dir, "netns");
      execFileSync("mkfifo", [fifo]);
      for (const command of ["ADD", "DEL"]) {
        // The timeout is only a hang guard: a blocking open would wait for a writer forever.
        const r = runPlugin(LOOPBACK, call(command, "1.0.0", { netns: fifo, timeoutMs: 15_000 }));
        expect(r.code).toBe(1);
        expect(r.json).toMatchObject({ cniVersion: "1.0.0", code: 4 });
        expect(r.json.msg).toContain(fifo);
        expect(r.stderr).toBe("");
      }
      expect(isUp(host, "lo")).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to work on its own namespace (code 8) unless CNI_NETNS_OVERRIDE is set", () => {
    const r = runPlugin(LOOPBACK, call("DEL", "1.0.0", { netns: host.path }));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 8 });
    expect(isUp(host, "lo")).toBe(false);
    const overridden = runPlugin(LOOPBACK, call("ADD", "1.0.0", { netns: host.path, env: { CNI_NETNS_OVERRIDE: "1" } }));
    expect(overridden.code).toBe(0);
    expect(isUp(host, "lo")).toBe(true);
  });

  it("works on a node whose temp directory is mounted noexec (where Bun would unpack the addon)", () => {
    // A noexec tmpfs as TMPDIR, in a private mount namespace: the machine's own mounts are untouched, and
    // the repo (which may itself live under /tmp) stays visible.
    const mountpoint = mkdtempSync(join(tmpdir(), "lbt-noexec-"));
    // where the loader puts its private copy of the addon when TMPDIR is noexec (see @cni/netlink's addon.ts)
    const fallbackCaches = ["/dev/shm", "/run", "/var/run", "/var/lib/cni", "/var/tmp"].map((base) => `${base}/cni-rtnetlink`);
    const preexisting = new Set(fallbackCaches.filter((dir) => existsSync(dir)));
    try {
      const script = [
        "set -e",
        'mount -t tmpfs -o noexec,nosuid,nodev tmpfs "$1"',
        `TMPDIR="$1" exec ip netns exec ${host.name} "$2"`,
      ].join("\n");
      const r = runPlugin("unshare", {
        ...call("ADD", "1.0.0"),
        hostNetns: undefined,
        argv: ["-m", "--propagation", "private", "sh", "-c", script, "sh", mountpoint, LOOPBACK],
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.json.interfaces[0].name).toBe("lo");
      expect(isUp(container, "lo")).toBe(true);
    } finally {
      rmSync(mountpoint, { recursive: true, force: true });
      for (const dir of fallbackCaches) if (!preexisting.has(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves lo's addresses alone", () => {
    runPlugin(LOOPBACK, call("ADD", "1.0.0"));
    const lo = addrs(container, "lo")[0];
    expect(lo?.addr_info.map((a) => a.local).sort()).toEqual(["127.0.0.1", "::1"]);
  });
});
