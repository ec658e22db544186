// podman's own default chain on our executables alone: `podman network create` (CNI backend) writes a
// conflist of bridge → portmap → firewall → tuning; with our bin/ as the only plugin directory a container
// reaches out through a host whose FORWARD policy is DROP (dockerd's), publishes a port (reached from the
// host, and from another namespace once the admin accepts DNATed connections in CNI-ADMIN, as with Go's
// plugins), and leaves no veth, lease or rule after `podman rm -f`. The host is a throwaway
// namespace; podman keeps everything else under a temp dir. Needs root, ./build.sh, podman (installed when
// missing).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxRootfs, createHostNetns, deleteHostNetns, hostIptablesRules, hostLinks, hostNftRules, run, type HostNetns } from "./lib/runtimes/common";
import { Podman } from "./lib/runtimes/podman";
import { ensureRuntimePackages, installOurPlugins, type PluginDirs } from "./lib/runtimes/setup";
import { BIN_DIR } from "./lib/plugin";

const SETUP_TIMEOUT_MS = 600_000; // includes apt-get on a fresh machine
const SUBNET_PREFIX = "10.94.0.";
const OUTSIDE_HOST = "10.201.0.1";
const OUTSIDE = "10.201.0.2";
const PUBLISHED_PORT = 18080;
const PAGE = "hello from a podman container";
const DEFAULT_STORE = "/var/lib/cni/networks";

/** Our plugins' executables that podman's default chain names: without one of them podman refuses the network. */
const CHAIN = ["bridge", "portmap", "firewall", "tuning"];
const hasChain = CHAIN.every((name) => existsSync(join(BIN_DIR, name)));

interface PluginConf {
  type: string;
}

/**
 * `GET http://<address>:<port>/` from inside `netns` with python3 (no curl on the machine), tried `attempts`
 * times 0.2 s apart while the server starts; "failed: <reason>" when no attempt got a page.
 */
function fetchFrom(netns: string, address: string, port: number, attempts = 50): string {
  const script = [
    "import sys, time, urllib.request",
    `for attempt in range(${attempts}):`,
    "    try:",
    `        print(urllib.request.urlopen('http://${address}:${port}/', timeout=2).read().decode()); sys.exit(0)`,
    "    except Exception as error:",
    "        last = error; time.sleep(0.2)",
    "print('failed:', last); sys.exit(1)",
  ].join("\n");
  return run("ip", ["netns", "exec", netns, "python3", "-c", script], { allowFailure: true, timeoutMs: 30_000 }).stdout.trim();
}

describe.skipIf(process.getuid?.() !== 0 || !hasChain)("podman's default network (bridge → portmap → firewall → tuning) on our bin/ alone", () => {
  let work: string;
  let plugins: PluginDirs;
  let host: HostNetns;
  let outside: HostNetns;
  let podman: Podman;
  const tag = randomBytes(3).toString("hex");
  const network = `pdn-${tag}`;
  let storeExisted = true;

  beforeAll(() => {
    storeExisted = existsSync(DEFAULT_STORE);
    ensureRuntimePackages(["podman", "runc", "busybox-static", "iptables", "nftables"]);
    work = mkdtempSync(join(tmpdir(), "cni-podman-default-"));
    plugins = installOurPlugins(join(work, "plugins"));
    const rootfs = busyboxRootfs(join(work, "image"));
    host = createHostNetns(`pdn-host-${tag}`);
    outside = createHostNetns(`pdn-out-${tag}`);
    // the host as dockerd leaves it: forwarded traffic dropped unless a rule accepts it; forwarding off
    // until the bridge plugin turns it on (a new namespace copies it from the machine's own)
    run("ip", ["netns", "exec", host.name, "iptables", "-P", "FORWARD", "DROP"]);
    run("ip", ["netns", "exec", host.name, "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    // "another machine": a namespace wired to the host, with no route to the container subnet
    run("ip", ["-n", host.name, "link", "add", "name", "up0", "type", "veth", "peer", "name", "down0", "netns", outside.name]);
    run("ip", ["-n", host.name, "addr", "add", `${OUTSIDE_HOST}/24`, "dev", "up0"]);
    run("ip", ["-n", host.name, "link", "set", "up0", "up"]);
    run("ip", ["-n", outside.name, "addr", "add", `${OUTSIDE}/24`, "dev", "down0"]);
    run("ip", ["-n", outside.name, "link", "set", "down0", "up"]);
    mkdirSync(join(work, "net.d"));
    podman = new Podman({
      dir: join(work, "state"),
      hostNetns: host,
      pluginDirs: [plugins.installed],
      networkConfigDir: join(work, "net.d"),
      cgroupParent: `cni-pdn-${tag}`,
    });
    podman.importImage(rootfs.tar, "localhost/busybox:cni-test");
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    podman?.podman(["network", "rm", "-f", network], true);
    // podman's conflist has no ipam dataDir: host-local kept its leases in the default store, which goes
    // again when this test made it (podman's destroy then takes /var/lib/cni when nothing else is in it)
    rmSync(`${DEFAULT_STORE}/${network}`, { recursive: true, force: true });
    rmSync(`${DEFAULT_STORE}/.host-local-index/${network}`, { recursive: true, force: true });
    if (!storeExisted) {
      for (const dir of [`${DEFAULT_STORE}/.host-local-index`, DEFAULT_STORE]) {
        if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      }
    }
    podman?.destroy();
    if (host) deleteHostNetns(host);
    if (outside) deleteHostNetns(outside);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("`podman network create` chains bridge, portmap, firewall and tuning", () => {
    // podman 4.3 names the bridge itself (cni-podmanN), in the throwaway host namespace
    podman.podman(["network", "create", "--subnet", `${SUBNET_PREFIX}0/24`, network]);
    const conflist = JSON.parse(readFileSync(join(work, "net.d", `${network}.conflist`), "utf8")) as { plugins: PluginConf[] };
    expect(conflist.plugins.map((p) => p.type)).toEqual(CHAIN);
  });

  it("a container publishes a port reached from another namespace, reaches out under FORWARD DROP, and leaves nothing", () => {
    const serve = `mkdir -p /www && echo '${PAGE}' > /www/index.html && exec httpd -f -p 8080 -h /www`;
    podman.podman([
      "run", "-d", "--name", "web", "--network", network, "-p", `${PUBLISHED_PORT}:8080`,
      "--cgroup-parent", `/cni-pdn-${tag}`, "--cap-add", "NET_RAW", "localhost/busybox:cni-test", "sh", "-c", serve,
    ]);
    const address = podman.ipAddress("web", network);
    expect(address.startsWith(SUBNET_PREFIX)).toBe(true);

    // out of the host although its FORWARD policy is DROP (firewall's accept rules; bridge's masquerade)
    const ping = podman.podman(["exec", "web", "ping", "-c", "1", "-W", "3", OUTSIDE], true);
    expect(ping.stdout + ping.stderr).toContain("1 packets received");
    // the published port from the host itself (portmap's DNAT in output: no forwarding involved)
    expect(fetchFrom(host.name, OUTSIDE_HOST, PUBLISHED_PORT)).toBe(PAGE);
    // From another machine the DNATed connection is forwarded, and a new connection to the container is not
    // one the firewall plugin accepts (Go's rules, which ours equal, accept established replies only): under
    // FORWARD DROP the admin opens published ports in CNI-ADMIN, the chain the plugin leaves to the admin.
    expect(fetchFrom(outside.name, OUTSIDE_HOST, PUBLISHED_PORT, 3)).toMatch(/^failed:/);
    run("ip", ["netns", "exec", host.name, "iptables", "-A", "CNI-ADMIN", "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"]);
    expect(fetchFrom(outside.name, OUTSIDE_HOST, PUBLISHED_PORT)).toBe(PAGE);
    const rulesWhileUp = [...hostNftRules(host), ...hostIptablesRules(host)].filter((rule) => rule.includes(address));
    expect(rulesWhileUp.length).toBeGreaterThan(0);

    podman.podman(["rm", "-f", "-t", "0", "web"]);
    expect(hostLinks(host).filter((link) => link.endsWith(":veth") && !link.startsWith("up0"))).toEqual([]);
    expect([...hostNftRules(host), ...hostIptablesRules(host)].filter((rule) => rule.includes(address))).toEqual([]);
    const store = `${DEFAULT_STORE}/${network}`;
    const leases = existsSync(store) ? run("ls", [store]).stdout.split("\n").filter((f) => f.startsWith(SUBNET_PREFIX)) : [];
    expect(leases).toEqual([]);
    // nothing answers on the published port any more
    expect(fetchFrom(outside.name, OUTSIDE_HOST, PUBLISHED_PORT, 1)).toMatch(/^failed:/);
  });
});
