// Real container runtimes on our plugins: podman (CNI backend, libcni inside) and containerd through
// `ctr run --cni` (go-cni inside) each run two containers on a bridge network served by our bin/ (installed
// with scripts/install.sh); the containers get addresses and ping each other, and after removal no lease,
// veth or firewall rule is left. Each runtime's host network is a throwaway namespace; capture wrappers on its
// CNI_PATH record what it sends. Needs root, ./build.sh, and the Debian packages (installed when missing).
// Set CNI_RUNTIME_CALLS_LOG=<file> to get a one-line-per-call summary of what each runtime sent.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CapturedCall, readCapturedCalls, summarizeCalls } from "./lib/runtimes/capture";
import {
  busyboxRootfs,
  createHostNetns,
  deleteHostNetns,
  hostIptablesRules,
  hostLinks,
  hostNftRules,
  leaseFiles,
  type HostNetns,
} from "./lib/runtimes/common";
import { Containerd } from "./lib/runtimes/containerd";
import { Podman } from "./lib/runtimes/podman";
import {
  type BridgeNetwork,
  ensureRuntimePackages,
  installOurPlugins,
  type PluginDirs,
  writeBridgeConflist,
} from "./lib/runtimes/setup";
import { BIN_DIR } from "./lib/plugin";

const SETUP_TIMEOUT_MS = 600_000; // includes apt-get on a fresh machine
const PING_TIMEOUT_S = "3";

function logCalls(runtime: string, calls: readonly CapturedCall[]): void {
  const file = process.env.CNI_RUNTIME_CALLS_LOG;
  if (!file) return;
  appendFileSync(file, `# ${runtime}\n${summarizeCalls(calls).join("\n")}\n`);
  for (const call of calls) appendFileSync(file, `## ${call.plugin} ${call.env.CNI_COMMAND}\nstdin: ${call.stdin}\nstdout: ${call.stdout}\n`);
}

function callsOf(calls: readonly CapturedCall[], plugin: string, command: string): CapturedCall[] {
  return calls.filter((c) => c.plugin === plugin && c.env.CNI_COMMAND === command);
}

/** The IPv4 address (no prefix) of eth0 as `ip -4 -o addr show eth0` prints it inside a container. */
function eth0Address(ipOutput: string): string {
  const match = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(ipOutput);
  if (!match?.[1]) throw new Error(`no IPv4 address on eth0 in: ${ipOutput}`);
  return match[1];
}

function network(dir: string, octet: number): BridgeNetwork {
  const tag = randomBytes(3).toString("hex");
  return {
    name: `rt-${tag}`,
    bridge: `rtbr${tag}`,
    subnet: `10.${octet}.0.0/24`,
    gateway: `10.${octet}.0.1`,
    dataDir: join(dir, "ipam"),
  };
}

/**
 * Rules of one container: the masquerade rules name its address (the shared table's fixed rules, such as the
 * multicast returns, stay, as the Go plugins' do).
 */
function containerRules(host: HostNetns, net: BridgeNetwork): string[] {
  const prefix = net.subnet.slice(0, net.subnet.lastIndexOf(".") + 1);
  const rules = [...hostNftRules(host), ...hostIptablesRules(host)];
  return rules.filter((rule) => rule.includes(prefix) || /(^|\s)(masquerade|-j MASQUERADE)(\s|$)/.test(rule));
}

/** After removal: only lo and the bridge in the host, no lease, no rule of a container. */
function expectNothingLeft(host: HostNetns, net: BridgeNetwork): void {
  expect(leaseFiles(net.dataDir)).toEqual([]);
  expect(hostLinks(host).sort()).toEqual([`${net.bridge}:bridge`, "lo:"].sort());
  expect(containerRules(host, net)).toEqual([]);
}

describe.skipIf(process.getuid?.() !== 0)("real runtimes on our plugins", () => {
  let work: string;
  let plugins: PluginDirs;
  let rootfs: { rootfs: string; tar: string };

  beforeAll(() => {
    if (!existsSync(join(BIN_DIR, "cni-plugins"))) throw new Error("bin/cni-plugins missing: run ./build.sh first");
    ensureRuntimePackages(["podman", "containerd", "runc", "busybox-static", "iptables", "nftables"]);
    work = mkdtempSync(join(tmpdir(), "cni-runtimes-"));
    plugins = installOurPlugins(join(work, "plugins"));
    rootfs = busyboxRootfs(join(work, "image"));
  }, SETUP_TIMEOUT_MS);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe("podman 4.3, CNI backend", () => {
    let host: HostNetns;
    let podman: Podman;
    let net: BridgeNetwork;
    let calls: CapturedCall[] = [];

    beforeAll(() => {
      const dir = join(work, "podman");
      mkdirSync(join(dir, "net.d"), { recursive: true });
      net = network(dir, 91);
      host = createHostNetns(`rt-podman-${randomBytes(3).toString("hex")}`);
      writeBridgeConflist(join(dir, "net.d", `${net.name}.conflist`), net);
      podman = new Podman({
        dir: join(dir, "state"),
        hostNetns: host,
        pluginDirs: [plugins.wrappers],
        networkConfigDir: join(dir, "net.d"),
        cgroupParent: `cni-rt-${randomBytes(3).toString("hex")}`,
      });
      podman.importImage(rootfs.tar, "localhost/busybox:cni-test");
    }, SETUP_TIMEOUT_MS);
    afterAll(() => {
      podman?.destroy();
      if (host) deleteHostNetns(host);
    });

    it("runs two containers that get addresses and ping each other; nothing is left after removal", () => {
      const resultsBefore = existsSync("/var/lib/cni/results") ? readdirSync("/var/lib/cni/results") : [];
      rmSync(plugins.callLog, { recursive: true, force: true });
      mkdirSync(plugins.callLog);

      podman.runDetached("a", net.name, "localhost/busybox:cni-test", ["sleep", "300"]);
      podman.runDetached("b", net.name, "localhost/busybox:cni-test", ["sleep", "300"]);
      const addressA = podman.ipAddress("a", net.name);
      const addressB = podman.ipAddress("b", net.name);
      expect(addressA).toMatch(/^10\.91\.0\.\d+$/);
      expect(addressB).toMatch(/^10\.91\.0\.\d+$/);
      expect(addressA).not.toBe(addressB);
      expect(eth0Address(podman.podman(["exec", "a", "ip", "-4", "-o", "addr", "show", "eth0"]).stdout)).toBe(addressA);
      expect(leaseFiles(net.dataDir).sort()).toEqual([`${net.name}/${addressA}`, `${net.name}/${addressB}`].sort());

      const ping = podman.podman(["exec", "a", "ping", "-c", "1", "-W", PING_TIMEOUT_S, addressB], true);
      expect(ping.stdout + ping.stderr).toContain("1 packets received");
      const pingGateway = podman.podman(["exec", "b", "ping", "-c", "1", "-W", PING_TIMEOUT_S, net.gateway], true);
      expect(pingGateway.stdout + pingGateway.stderr).toContain("1 packets received");

      expect(containerRules(host, net).length).toBeGreaterThan(0);

      podman.podman(["rm", "-f", "-t", "0", "a", "b"]);
      calls = readCapturedCalls(plugins.callLog);
      logCalls("podman", calls);
      expectNothingLeft(host, net);
      // the namespaces podman made for the containers are gone
      const sandboxes = callsOf(calls, "bridge", "ADD").map((c) => c.env.CNI_NETNS ?? "");
      expect(sandboxes).toHaveLength(2);
      for (const sandbox of sandboxes) expect(existsSync(sandbox)).toBe(false);
      const resultsAfter = existsSync("/var/lib/cni/results") ? readdirSync("/var/lib/cni/results") : [];
      expect(resultsAfter.filter((f) => f.startsWith(`${net.name}-`))).toEqual([]);
      expect(resultsAfter.length).toBeLessThanOrEqual(resultsBefore.length);
    });

    it("sent VERSION, then ADD and DEL with the container's netns; every call of ours succeeded", () => {
      // libcni asks the plugin's versions before each ADD and DEL (CNI_NETNS etc. "dummy")
      expect(callsOf(calls, "bridge", "VERSION").length).toBeGreaterThanOrEqual(2);
      expect(callsOf(calls, "bridge", "ADD")).toHaveLength(2);
      expect(callsOf(calls, "bridge", "DEL")).toHaveLength(2);
      expect(callsOf(calls, "host-local", "ADD")).toHaveLength(2);
      expect(callsOf(calls, "host-local", "DEL")).toHaveLength(2);
      for (const call of calls) {
        expect(call.executable.startsWith(plugins.installed)).toBe(true);
        expect({ plugin: call.plugin, command: call.env.CNI_COMMAND, status: call.exitStatus, out: call.stdout }).toMatchObject({ status: 0 });
      }
      for (const call of callsOf(calls, "bridge", "ADD")) {
        expect(call.env.CNI_IFNAME).toBe("eth0");
        expect(call.env.CNI_NETNS).toMatch(/^\/run\/netns\/netns-[0-9a-f-]+$/);
        expect(call.env.CNI_ARGS).toMatch(/^IgnoreUnknown=1;K8S_POD_NAME=[ab]$/);
        const result = JSON.parse(call.stdout) as { cniVersion: string; ips: Array<{ address: string }> };
        expect(result.cniVersion).toBe("1.0.0");
        expect(result.ips[0]?.address).toMatch(/^10\.91\.0\.\d+\/24$/);
      }
    });
  });

  describe("containerd 1.6, ctr run --cni", () => {
    let host: HostNetns;
    let containerd: Containerd;
    let net: BridgeNetwork;
    let calls: CapturedCall[] = [];

    beforeAll(() => {
      const dir = join(work, "containerd");
      mkdirSync(join(dir, "net.d"), { recursive: true });
      net = network(dir, 92);
      host = createHostNetns(`rt-ctr-${randomBytes(3).toString("hex")}`);
      writeBridgeConflist(join(dir, "net.d", "10-test.conflist"), net);
      containerd = new Containerd({
        dir: join(dir, "state"),
        hostNetns: host,
        netConfDir: join(dir, "net.d"),
        pluginDir: plugins.wrappers,
        namespace: `cni-rt-${randomBytes(3).toString("hex")}`,
      });
      containerd.start();
    }, SETUP_TIMEOUT_MS);
    afterAll(() => {
      containerd?.destroy();
      if (host) deleteHostNetns(host);
    });

    it("runs two containers that get addresses and ping each other; nothing is left after removal", async () => {
      rmSync(plugins.callLog, { recursive: true, force: true });
      mkdirSync(plugins.callLog);

      containerd.runForeground("a", rootfs.rootfs, ["/bin/sleep", "300"]);
      containerd.runForeground("b", rootfs.rootfs, ["/bin/sleep", "300"]);
      const addressA = eth0Address(containerd.ctr(["task", "exec", "--exec-id", "ip-a", "a", "/bin/ip", "-4", "-o", "addr", "show", "eth0"]).stdout);
      const addressB = eth0Address(containerd.ctr(["task", "exec", "--exec-id", "ip-b", "b", "/bin/ip", "-4", "-o", "addr", "show", "eth0"]).stdout);
      expect(addressA).toMatch(/^10\.92\.0\.\d+$/);
      expect(addressB).toMatch(/^10\.92\.0\.\d+$/);
      expect(addressA).not.toBe(addressB);
      expect(leaseFiles(net.dataDir).sort()).toEqual([`${net.name}/${addressA}`, `${net.name}/${addressB}`].sort());

      const ping = containerd.ctr(["task", "exec", "--exec-id", "ping", "a", "/bin/ping", "-c", "1", "-W", PING_TIMEOUT_S, addressB], true);
      expect(ping.stdout + ping.stderr).toContain("1 packets received");
      expect(containerRules(host, net).length).toBeGreaterThan(0);

      expect(await containerd.stopForeground("a")).not.toBeNull();
      expect(await containerd.stopForeground("b")).not.toBeNull();
      calls = readCapturedCalls(plugins.callLog);
      logCalls("containerd", calls);
      expectNothingLeft(host, net);
      expect(containerd.ctr(["container", "ls", "-q"]).stdout.trim()).toBe("");
      expect(readdirSync(join(containerd.varLibCni, "results"))).toEqual([]);
    });

    it("sent ADD with /proc/<pid>/ns/net and DEL with an empty netns; every call of ours succeeded", () => {
      const adds = callsOf(calls, "bridge", "ADD");
      const dels = callsOf(calls, "bridge", "DEL");
      expect(adds).toHaveLength(2);
      expect(dels).toHaveLength(2);
      for (const call of calls) {
        expect(call.executable.startsWith(plugins.installed)).toBe(true);
        expect({ plugin: call.plugin, command: call.env.CNI_COMMAND, status: call.exitStatus, out: call.stdout }).toMatchObject({ status: 0 });
      }
      for (const call of adds) expect(call.env.CNI_NETNS).toMatch(/^\/proc\/\d+\/ns\/net$/);
      for (const call of dels) {
        // go-cni DELs after the task is gone: no netns, the cached result as prevResult
        expect(call.env.CNI_NETNS ?? "").toBe("");
        expect((JSON.parse(call.stdin) as { prevResult?: unknown }).prevResult).toBeDefined();
      }
    });
  });
});
