// Hostile or damaged state: a lease store with wrong permissions, symlinks, a `lock` that is a directory, a
// full disk; a node whose /tmp is noexec or read-only or whose TMPDIR is unwritable; an unprivileged user
// (nobody, via setpriv) who plants files and links in /tmp, /dev/shm or the data directory. Mounts happen only
// inside private mount namespaces (`unshare -m --propagation private`); the machine's own are untouched.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLeftovers, leftoverCount } from "./lib/leftovers";
import { cleanupAll, createNetns, type TestNetns } from "./lib/netns";
import { BIN_DIR, ourPlugin, runPlugin, type PluginCall, type PluginOutput } from "./lib/plugin";

const NETWORK = "hostile";
const BRIDGE_NAME = "hobr0";
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
// where the addon loader copies the addon when the temp directory is noexec (the kit's PLUGIN_ADDON_COPY,
// packages/plugin-kit/src/process-host.ts, given to packages/netlink/src/addon.ts)
const FALLBACK_CACHES = ["/dev/shm", "/run", "/var/run", "/var/lib/cni", "/var/tmp"].map((base) => `${base}/cni-rtnetlink`);
const preexistingCaches = new Set(FALLBACK_CACHES.filter((dir) => existsSync(dir)));

let work: string; // under /var/tmp, so that it stays visible and writable while /tmp is remounted
let dataDir: string;
let host: TestNetns;
let ctr: TestNetns;

beforeEach(() => {
  work = mkdtempSync("/var/tmp/cni-hostile-");
  chmodSync(work, 0o755);
  dataDir = join(work, "ipam");
  host = createNetns("ho-h");
  ctr = createNetns("ho-c");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(() => {
  cleanupAll();
  for (const dir of FALLBACK_CACHES) if (!preexistingCaches.has(dir)) rmSync(dir, { recursive: true, force: true });
});

interface CniError {
  code: number;
  msg: string;
  details?: string;
}

function ipamConf(dir = dataDir): Record<string, unknown> {
  return { type: "host-local", dataDir: dir, ranges: [[{ subnet: "10.89.0.0/24" }]] };
}
function hostLocalConf(dir = dataDir): Record<string, unknown> {
  return { cniVersion: "1.1.0", name: NETWORK, type: "host-local", ipam: ipamConf(dir) };
}
function bridgeConf(): Record<string, unknown> {
  return { cniVersion: "1.1.0", name: NETWORK, type: "bridge", bridge: BRIDGE_NAME, isGateway: true, ipMasq: true, ipam: ipamConf() };
}
function vethConf(): Record<string, unknown> {
  return { cniVersion: "1.1.0", name: NETWORK, type: "veth", ipMasq: true, ipam: ipamConf() };
}
function loopbackConf(): Record<string, unknown> {
  return { cniVersion: "1.1.0", name: NETWORK, type: "loopback" };
}

function call(command: string, id: string, stdin: unknown, extra: Partial<PluginCall> = {}): PluginCall {
  return { command, containerId: id, netns: ctr.path, ifName: "eth0", path: BIN_DIR, stdin, ...extra };
}
function hostLocal(command: string, id: string, extra: Partial<PluginCall> = {}): PluginOutput {
  return runPlugin(ourPlugin("host-local"), call(command, id, hostLocalConf(), extra));
}
/** host-local with any verb: GC (no valid attachments) and STATUS are called without a container. */
function hostLocalVerb(command: string, id: string): PluginOutput {
  if (command !== "GC" && command !== "STATUS") return hostLocal(command, id);
  const conf = command === "GC" ? { ...hostLocalConf(), "cni.dev/valid-attachments": [] } : hostLocalConf();
  return runPlugin(ourPlugin("host-local"), call(command, "", conf, { containerId: undefined, netns: undefined, ifName: undefined }));
}
/** GC, ADD, CHECK, DEL and STATUS each fail with `msg`: code 5 (STATUS: 50, "not available"). */
function expectEveryVerbRefused(msg: string): void {
  for (const command of ["GC", "ADD", "CHECK", "DEL", "STATUS"]) {
    const err = cniError(hostLocalVerb(command, "c1"));
    expect({ command, code: err.code, msg: err.msg }).toEqual({ command, code: command === "STATUS" ? 50 : 5, msg });
  }
}
function address(r: PluginOutput): string {
  expect(r.code, r.stdout).toBe(0);
  const ips = (r.json as { ips: { address: string }[] }).ips;
  return ips[0]?.address ?? "";
}
function cniError(r: PluginOutput): CniError {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(1);
  return r.json as CniError;
}

const netDir = (): string => join(dataDir, NETWORK);
const indexRoot = (): string => join(dataDir, ".host-local-index");

/** Every file under `dir`, by relative path: content, `<dir>`, or `-> target` for a link (never followed). */
function tree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(snapshot(dir))) {
    out[prefix + name] = value;
    if (value === "<dir>") Object.assign(out, tree(join(dir, name), `${prefix}${name}/`));
  }
  return out;
}

/** A root-only directory holding what a rebuild of NETWORK's index would remove if it followed a link here. */
function rootOnlyTree(): string {
  const rootOnly = join(work, "root-only");
  mkdirSync(join(rootOnly, NETWORK), { recursive: true, mode: 0o700 });
  writeFileSync(join(rootOnly, NETWORK, "state"), "precious", { mode: 0o600 });
  writeFileSync(join(rootOnly, "keys"), "precious", { mode: 0o600 });
  return rootOnly;
}

/** The lease files of the network directory (when it is a directory). */
function leases(): Record<string, string> {
  if (!existsSync(netDir()) || lstatSync(netDir()).isSymbolicLink()) return {};
  return Object.fromEntries(Object.entries(snapshot()).filter(([name]) => /^[0-9a-f.:]+$/.test(name)));
}

/** Every entry of the network directory: file content, or `-> target` for a link (never followed). */
function snapshot(dir = netDir()): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const info = lstatSync(path);
    out[name] = info.isSymbolicLink() ? `-> ${readlinkSync(path)}` : info.isDirectory() ? "<dir>" : readFileSync(path, "latin1");
  }
  return out;
}

/** Run `cmd` as nobody. */
function asNobody(cmd: string, args: string[]): void {
  execFileSync("setpriv", [...NOBODY, cmd, ...args], { stdio: "ignore" });
}

/**
 * Run a plugin call in a private mount namespace after `setup` (sh commands: mounts, plants). The plugin
 * runs as root; with `hostNetns`, inside it.
 */
function inMountNamespace(binary: string, setup: string[], pc: PluginCall): PluginOutput {
  const exposed = `${PRIVATE_BIN}/${basename(binary)}`;
  const target = pc.hostNetns ? ["ip", "netns", "exec", pc.hostNetns.name, exposed] : [exposed];
  const script = ["set -e", ...EXPOSE_BIN, ...setup, 'exec "$@"'].join("\n");
  return runPlugin("unshare", { ...pc, path: PRIVATE_BIN, hostNetns: undefined, argv: ["-m", "--propagation", "private", "sh", "-c", script, "sh", ...target] });
}

/**
 * Where a private mount namespace runs bin/ from: a bind mount outside /tmp and /dev/shm, which the tests
 * remount noexec or replace — the checkout itself may live under /tmp (CI clones anywhere). A bind mount
 * keeps the mount flags it was made with, so remounting /tmp afterwards leaves it executable.
 */
const PRIVATE_BIN = "/mnt/cni-hostile-bin";
const EXPOSE_BIN = ["mount -t tmpfs -o mode=0755 tmpfs /mnt", `mkdir ${PRIVATE_BIN}`, `mount --bind ${BIN_DIR} ${PRIVATE_BIN}`];

describe("damaged lease store", () => {
  it("a network directory with mode 000: root still reads and writes it; existing leases intact", () => {
    const first = address(hostLocal("ADD", "c1"));
    chmodSync(netDir(), 0o000);
    const second = address(hostLocal("ADD", "c2"));
    expect(second).not.toBe(first);
    expect(snapshot()[first.split("/")[0] ?? ""]).toBe("c1\r\neth0");
    expect(hostLocal("DEL", "c2").code).toBe(0);
    expect(hostLocal("DEL", "c1").code).toBe(0);
  });

  it("a network directory that is a file: code 5 naming it, the file untouched", () => {
    mkdirSync(dataDir);
    writeFileSync(netDir(), "not a directory");
    const err = cniError(hostLocal("ADD", "c1"));
    expect(err.code).toBe(5);
    expect(err.msg).toContain(netDir());
    expect(readFileSync(netDir(), "utf8")).toBe("not a directory");
  });

  it("a lock that is a directory: bridge ADD fails with code 5 naming it, leaves nothing, leases intact", () => {
    const bridge = ourPlugin("bridge");
    expect(runPlugin(bridge, call("ADD", "c1", bridgeConf(), { hostNetns: host })).code).toBe(0);
    const before = snapshot();
    const firstVeths = findLeftovers(host, null, dataDir, NETWORK, BRIDGE_NAME).hostLinks;
    rmSync(join(netDir(), "lock"));
    mkdirSync(join(netDir(), "lock"));
    const other = createNetns("ho-c2");
    const err = cniError(runPlugin(bridge, call("ADD", "c2", bridgeConf(), { hostNetns: host, netns: other.path })));
    expect(err.code).toBe(5);
    expect(`${err.msg} ${err.details ?? ""}`).toContain("lock");
    expect(snapshot()).toEqual({ ...before, lock: "<dir>" });
    const left = findLeftovers(host, other, dataDir, NETWORK, BRIDGE_NAME);
    expect(left.hostLinks).toEqual(firstVeths);
    expect(left.containerLinks).toEqual([]);
    expect(left.nftRules.filter((rule) => rule.includes("id: c2"))).toEqual([]);
  });

  it("a lease file that is a symlink: its address is skipped, its target never written or removed", () => {
    mkdirSync(netDir(), { recursive: true });
    const victim = join(work, "victim");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(netDir(), "10.89.0.2"));
    expect(address(hostLocal("ADD", "c1"))).toBe("10.89.0.3/24");
    expect(hostLocal("DEL", "c1").code).toBe(0);
    const gc = runPlugin(ourPlugin("host-local"), call("GC", "", { ...hostLocalConf(), "cni.dev/valid-attachments": [] }, { containerId: undefined, netns: undefined, ifName: undefined }));
    expect(gc.code, gc.stdout).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious");
  });

  // (found here: write_file opened O_CREAT|O_TRUNC without O_NOFOLLOW and overwrote the link's target)
  it("a last_reserved_ip file that is a symlink is not followed for the write", () => {
    mkdirSync(netDir(), { recursive: true });
    const victim = join(work, "victim");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(netDir(), "last_reserved_ip.0"));
    const r = hostLocal("ADD", "c1");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    // either it refuses clearly, or it replaces the link with a file of its own
    if (r.code !== 0) expect(cniError(r).code).toBe(5);
  });

  // (found here: lockFile opened O_CREAT without O_NOFOLLOW and created the link's target as root)
  it("a lock that is a dangling symlink does not make root create its target", () => {
    mkdirSync(netDir(), { recursive: true });
    const target = join(work, "created-by-root");
    symlinkSync(target, join(netDir(), "lock"));
    const r = hostLocal("ADD", "c1");
    expect(existsSync(target)).toBe(false);
    if (r.code !== 0) expect(cniError(r).code).toBe(5);
  });

  it("a full disk (small tmpfs dataDir): ADD fails with code 5, existing leases and index intact, works again once space is back", () => {
    mkdirSync(dataDir);
    const out = join(work, "out");
    mkdirSync(out);
    const conf = JSON.stringify(hostLocalConf());
    const binary = ourPlugin("host-local");
    // one shell in one private mount namespace, so that the tmpfs lives through every step
    const run = (id: string, command: string, file: string): string =>
      `env CNI_COMMAND=${command} CNI_CONTAINERID=${id} CNI_NETNS=${ctr.path} CNI_IFNAME=eth0 CNI_PATH=${BIN_DIR} ${binary} < ${out}/conf > ${out}/${file} || true`;
    writeFileSync(join(out, "conf"), conf);
    const script = [
      "set -e",
      `mount -t tmpfs -o size=512k tmpfs ${dataDir}`,
      run("c1", "ADD", "add1"),
      run("c2", "ADD", "add2"),
      `cp -a ${netDir()} ${out}/before`,
      `dd if=/dev/zero of=${dataDir}/fill bs=4k 2>/dev/null || true`,
      `dd if=/dev/zero of=${dataDir}/fill2 bs=1 2>/dev/null || true`,
      run("c3", "ADD", "add3"),
      run("c2", "DEL", "del2-full"),
      `cp -a ${netDir()} ${out}/full`,
      `rm -f ${dataDir}/fill ${dataDir}/fill2`,
      run("c4", "ADD", "add4"),
      run("c5", "ADD", "add5"),
      `cp -a ${netDir()} ${out}/after`,
    ].join("\n");
    execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { stdio: "ignore", timeout: 60_000 });
    const result = (file: string): { code?: number; msg?: string; ips?: { address: string }[] } =>
      JSON.parse(readFileSync(join(out, file), "utf8")) as { code?: number; msg?: string; ips?: { address: string }[] };
    const first = result("add1").ips?.[0]?.address;
    const second = result("add2").ips?.[0]?.address;
    expect(first).toBe("10.89.0.2/24");
    expect(second).toBe("10.89.0.3/24");
    const full = result("add3");
    expect(full.code).toBe(5);
    expect(full.msg ?? "").toMatch(/ENOSPC|space/i);
    // whatever DEL did on the full disk, c1's lease is untouched
    expect(snapshot(join(out, "full"))["10.89.0.2"]).toBe("c1\r\neth0");
    const before = snapshot(join(out, "before"));
    const after = snapshot(join(out, "after"));
    expect(before["10.89.0.2"]).toBe("c1\r\neth0");
    expect(after["10.89.0.2"]).toBe("c1\r\neth0");
    // no address is handed out twice after the failure: c4 and c5 get neither c1's nor each other's
    const later = [result("add4").ips?.[0]?.address, result("add5").ips?.[0]?.address];
    expect(later.every((a) => a !== undefined)).toBe(true);
    expect(later).not.toContain(first);
    expect(new Set(later).size).toBe(2);
    // no stray empty lease from the failed ADD
    for (const [name, content] of Object.entries(after)) if (/^10\./.test(name)) expect(content).toMatch(/^c[1-5]\r\neth0$/);
  });
});

interface HostileHost {
  name: string;
  setup: string[];
  env?: Record<string, string>;
}

const HOSTILE_HOSTS: HostileHost[] = [
  {
    name: "/tmp and /dev/shm noexec",
    setup: ["mount --bind /tmp /tmp", "mount -o remount,bind,noexec,nosuid,nodev /tmp", "mount -t tmpfs -o noexec,nosuid,nodev tmpfs /dev/shm"],
  },
  {
    name: "/tmp read-only",
    setup: ["mount --bind /tmp /tmp", "mount -o remount,bind,ro /tmp", "mount -t tmpfs -o noexec,nosuid,nodev tmpfs /dev/shm"],
  },
  { name: "TMPDIR missing", setup: [], env: { TMPDIR: "/nonexistent/cni-tmp" } },
  { name: "TMPDIR unwritable", setup: [], env: { TMPDIR: "/proc/sys" } },
];

describe("hostile hosts: every plugin works", () => {
  for (const hh of HOSTILE_HOSTS) {
    it(`${hh.name}: loopback, host-local, bridge, veth ADD and DEL`, () => {
      const cases: [string, Record<string, unknown>, boolean][] = [
        ["loopback", loopbackConf(), false],
        ["host-local", hostLocalConf(), false],
        ["bridge", bridgeConf(), true],
        ["veth", vethConf(), true],
      ];
      for (const [plugin, conf, onHost] of cases) {
        for (const command of ["ADD", "DEL"]) {
          const r = inMountNamespace(ourPlugin(plugin), hh.setup, call(command, `ho-${plugin}`, conf, { hostNetns: onHost ? host : undefined, env: hh.env }));
          expect({ plugin, command, code: r.code, stdout: r.code === 0 ? "" : r.stdout, stderr: r.stderr }).toEqual({ plugin, command, code: 0, stdout: "", stderr: "" });
        }
      }
      expect(leftoverCount(findLeftovers(host, ctr, dataDir, NETWORK, BRIDGE_NAME))).toBe(0);
    });
  }
});

describe("an unprivileged user's plants", () => {
  it("a file or link planted in /tmp under the name Bun unpacks the addon to is never loaded or written through", () => {
    const binary = ourPlugin("bridge");
    const victim = join(work, "victim");
    writeFileSync(victim, "precious");
    chmodSync(victim, 0o644);
    const conf = JSON.stringify(bridgeConf());
    writeFileSync(join(work, "conf"), conf);
    const exposed = `${PRIVATE_BIN}/${basename(binary)}`;
    const run = (file: string): string =>
      `CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=${ctr.path} CNI_IFNAME=eth0 CNI_PATH=${PRIVATE_BIN} ip netns exec ${host.name} ${exposed} < ${work}/conf > ${work}/${file} || true`;
    const del = `CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_NETNS=${ctr.path} CNI_IFNAME=eth0 CNI_PATH=${PRIVATE_BIN} ip netns exec ${host.name} ${exposed} < ${work}/conf > /dev/null || true`;
    const nobody = `setpriv ${NOBODY.join(" ")}`;
    const script = [
      "set -e",
      ...EXPOSE_BIN,
      // a fresh sticky /tmp of our own, as a node has after a reboot
      "mount -t tmpfs -o mode=1777 tmpfs /tmp",
      run("first"),
      del,
      'name=$(ls -A /tmp | grep "^\\.bun-.*\\.node$" | head -n 1)',
      `echo "$name" > ${work}/name`,
      'rm -f "/tmp/$name"',
      `${nobody} sh -c "printf 'not a library' > /tmp/$name; chmod 777 /tmp/$name"`,
      run("planted-file"),
      del,
      'rm -f "/tmp/$name"',
      `${nobody} ln -s ${victim} "/tmp/$name"`,
      run("planted-link"),
      del,
    ].join("\n");
    execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { stdio: "ignore", timeout: 60_000 });
    expect(readFileSync(join(work, "name"), "utf8").trim()).toMatch(/^\.bun-.*\.node$/);
    for (const file of ["first", "planted-file", "planted-link"]) {
      const r = JSON.parse(readFileSync(join(work, file), "utf8")) as { code?: number; ips?: unknown[] };
      expect({ file, code: r.code, ips: r.ips?.length }).toEqual({ file, code: undefined, ips: 1 });
    }
    expect(readFileSync(victim, "utf8")).toBe("precious");
  });

  it("a cache directory planted in /dev/shm for the noexec fallback is not used or written into", () => {
    // /dev/shm is a directory of the test's (bind-mounted in the private namespace), so that it can be inspected
    const shm = join(work, "shm");
    mkdirSync(shm);
    chmodSync(shm, 0o1777);
    const noexecTmp = ["mount --bind /tmp /tmp", "mount -o remount,bind,noexec,nosuid,nodev /tmp", `mount --bind ${shm} /dev/shm`];
    // nobody's own directory where the loader would put its private copy of the addon
    asNobody("sh", ["-c", `mkdir -m 777 ${shm}/cni-rtnetlink && for n in a b; do printf x > ${shm}/cni-rtnetlink/$n; done`]);
    const r = inMountNamespace(ourPlugin("bridge"), noexecTmp, call("ADD", "c1", bridgeConf(), { hostNetns: host }));
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    expect(snapshot(join(shm, "cni-rtnetlink"))).toEqual({ a: "x", b: "x" });
    // and DEL, with nobody's link to a private directory of root's instead: following it would pass the
    // owner and mode checks, so it must not be followed
    const rootPrivate = join(work, "root-private");
    mkdirSync(rootPrivate, { mode: 0o700 });
    rmSync(join(shm, "cni-rtnetlink"), { recursive: true });
    asNobody("ln", ["-s", rootPrivate, join(shm, "cni-rtnetlink")]);
    const d = inMountNamespace(ourPlugin("bridge"), noexecTmp, call("DEL", "c1", bridgeConf(), { hostNetns: host }));
    expect(d.code, d.stdout).toBe(0);
    expect(readdirSync(rootPrivate)).toEqual([]);
    expect(leftoverCount(findLeftovers(host, ctr, dataDir, NETWORK, BRIDGE_NAME))).toBe(0);
  });

  // (found here: the store used an index directory nobody had made; a forged state made it hand out a held address)
  it("an index directory pre-created by nobody in a shared dataDir is refused: code 5 naming it, no lease written", () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    asNobody("mkdir", ["-m", "777", indexRoot()]);
    for (const command of ["ADD", "DEL", "CHECK"]) {
      const err = cniError(hostLocal(command, "c1"));
      expect(err.code).toBe(5);
      expect(err.msg).toBe(`index directory ${indexRoot()} is owned by uid 65534, not by uid 0: refusing to use it`);
    }
    expect(leases()).toEqual({});
    expect(readdirSync(indexRoot())).toEqual([]);
  });

  // (found here: the index rebuild removed <dataDir>/.host-local-index/<network> through nobody's link: root
  // deleted a root-only directory)
  it("a .host-local-index link planted by nobody is never followed: every verb refused, the linked directory intact", () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    const rootOnly = rootOnlyTree();
    const before = tree(rootOnly);
    asNobody("ln", ["-s", rootOnly, indexRoot()]);
    expectEveryVerbRefused(`index directory ${indexRoot()} is a symbolic link: refusing to use it`);
    expect(tree(rootOnly)).toEqual(before);
    expect(leases()).toEqual({});
  });

  it("a link planted inside .host-local-index before the dataDir was locked down is never followed", () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    const rootOnly = rootOnlyTree();
    const before = tree(rootOnly);
    asNobody("sh", ["-c", `mkdir -m 755 ${indexRoot()} && ln -s ${rootOnly}/${NETWORK} ${indexRoot()}/${NETWORK}`]);
    // the dataDir itself, writable by others and not sticky: refused before anything is made in it
    const open = cniError(hostLocal("ADD", "c1"));
    expect(open.code).toBe(5);
    expect(open.msg).toBe(`dataDir ${dataDir} is writable by group or others (mode 777): refusing to use it`);
    expect(readdirSync(dataDir)).toEqual([".host-local-index"]);
    // locked down by root, but nobody's directory and link are still in it
    chmodSync(dataDir, 0o755);
    expect(cniError(hostLocal("ADD", "c1")).msg).toBe(`index directory ${indexRoot()} is owned by uid 65534, not by uid 0: refusing to use it`);
    execFileSync("chown", ["root:root", indexRoot()]);
    const err = cniError(hostLocal("ADD", "c1"));
    expect(err.code).toBe(5);
    expect(err.msg).toBe(`index directory ${join(indexRoot(), NETWORK)} is a symbolic link: refusing to use it`);
    expect(tree(rootOnly)).toEqual(before);
    expect(leases()).toEqual({});
  });

  // (found here: the check stat()ed the network directory through nobody's link, found root's store behind it, and
  // GC removed every lease of that other network: its addresses were then handed out twice)
  it("a network directory linked by nobody to another network's root-only store: GC, ADD and DEL refused, its leases intact", () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    const otherStore = join(work, "root-only-store");
    mkdirSync(otherStore, { mode: 0o700 });
    const otherConf = { ...hostLocalConf(otherStore), name: "othernet" };
    for (const id of ["o1", "o2"]) address(runPlugin(ourPlugin("host-local"), call("ADD", id, otherConf)));
    const otherNet = join(otherStore, "othernet");
    const before = tree(otherNet);
    expect(Object.keys(before).filter((name) => name.startsWith("10.89.")).length).toBe(2);
    asNobody("ln", ["-s", otherNet, netDir()]);
    expectEveryVerbRefused(`network directory ${netDir()} is a symbolic link: refusing to use it`);
    expect(tree(otherNet)).toEqual(before);
  });

  it("a dataDir nobody owns is refused before anything is created in it", () => {
    mkdirSync(dataDir);
    execFileSync("chown", ["65534:65534", dataDir]);
    const err = cniError(hostLocal("ADD", "c1"));
    expect(err.code).toBe(5);
    expect(err.msg).toBe(`dataDir ${dataDir} is owned by uid 65534, not by uid 0: refusing to use it`);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  // (found here: the store used such a directory as is; nobody deleted a lease and its address went out twice)
  it("a network directory pre-created by nobody is refused, so nobody cannot make an address be handed out twice", () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    asNobody("mkdir", ["-m", "777", netDir()]);
    const first = hostLocal("ADD", "c1");
    if (first.code === 0) {
      const held = address(first).split("/")[0] ?? "";
      asNobody("rm", ["-f", join(netDir(), held)]);
      const again = hostLocal("ADD", "c2", { args: `IP=${held}` });
      expect(again.code, `${held} handed out twice`).toBe(1);
    }
    const err = cniError(first);
    expect(err.code).toBe(5);
    expect(err.msg).toContain(netDir());
  });
});

describe("names and values never reach a shell or a path unescaped", () => {
  it("iptables masquerade with shell syntax in CNI_ARGS and GC ids: iptables run directly (no shell), nothing created", () => {
    const marker = join(work, "pwned");
    const hostileArgs = `IgnoreUnknown=1;K8S_POD_NAME=$(touch ${marker});K8S_POD_NAMESPACE=\`touch ${marker}\`;K8S_POD_UID=a|b&c>d`;
    const conf = { ...bridgeConf(), ipMasqBackend: "iptables" };
    const traceDir = mkdtempSync(join(work, "trace-"));
    const traced = (command: string, id: string, stdin: unknown, file: string, extra: Partial<PluginCall> = {}): PluginOutput =>
      runPlugin("/usr/bin/strace", {
        ...call(command, id, stdin, { hostNetns: host, args: hostileArgs, ...extra }),
        argv: ["-f", "-qq", "-e", "trace=execve", "-o", join(traceDir, file), ourPlugin("bridge")],
      });
    const add = traced("ADD", "c1", conf, "add");
    expect(add.code, add.stdout).toBe(0);
    expect(findLeftovers(host, null, dataDir, NETWORK, BRIDGE_NAME).iptablesChains.length).toBeGreaterThan(0);
    const gcConf = {
      ...conf,
      "cni.dev/valid-attachments": [
        { containerID: `$(touch ${marker})`, ifname: "eth0" },
        { containerID: "../../../etc", ifname: "../eth0" },
        { containerID: "c\u0000x", ifname: "eth0" },
      ],
    };
    const gc = traced("GC", "", gcConf, "gc", { containerId: undefined, netns: undefined, ifName: undefined, args: undefined });
    expect([0, 1]).toContain(gc.code);
    if (gc.code === 1) expect((gc.json as CniError).code).toBe(7);
    const del = traced("DEL", "c1", conf, "del");
    expect(del.code, del.stdout).toBe(0);
    const gcAll = traced("GC", "", { ...conf, "cni.dev/valid-attachments": [] }, "gc-all", { containerId: undefined, netns: undefined, ifName: undefined, args: undefined });
    expect(gcAll.code, gcAll.stdout).toBe(0);

    expect(existsSync(marker)).toBe(false);
    // every program the plugin started, by path: iptables' family only, never a shell
    const programs = new Set<string>();
    for (const file of readdirSync(traceDir)) {
      for (const line of readFileSync(join(traceDir, file), "utf8").split("\n")) {
        const match = /execve\("([^"]+)"/.exec(line);
        if (match?.[1] !== undefined && !line.includes("ENOENT")) programs.add(match[1]);
      }
    }
    const started = [...programs].filter((p) => p !== ourPlugin("bridge"));
    expect(started.length).toBeGreaterThan(0);
    for (const program of started) expect(program).toMatch(/\/(ip6?tables(-restore|-save)?|xtables-[a-z-]+)(-nft|-legacy)?$/);
    // nothing outside the data directory, the trace directory and what the test made
    expect(readdirSync(work).sort()).toEqual(["ipam", traceDir.slice(work.length + 1)].sort());
    expect(leftoverCount(findLeftovers(host, ctr, dataDir, NETWORK, BRIDGE_NAME))).toBe(0);
  });
});
