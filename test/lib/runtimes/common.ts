// Shared pieces of the real-runtime tests (podman, containerd, dockerd): installing the Debian packages
// they need, a busybox root file system for images, throwaway "host" namespaces, plugin call capture, and
// the checks that nothing is left behind. Each runtime runs with its network side inside a namespace the
// test creates, never on the machine's own network.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  copyFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** do not throw on a non-zero exit status */
  allowFailure?: boolean;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, bounded in time; throws with its stderr unless `allowFailure`. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const result: SpawnSyncReturns<string> = spawnSync(cmd, args as string[], {
    encoding: "utf8",
    env: options.env ?? process.env,
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
  });
  const out: RunResult = { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  if (!options.allowFailure && result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${String(result.status)} signal ${String(result.signal)}`;
    throw new Error(`${cmd} ${args.join(" ")}: ${why}\n${out.stderr}${out.stdout}`);
  }
  return out;
}

/** Debian packages missing on this machine (dpkg says "install ok installed" for present ones). */
export function missingPackages(packages: readonly string[]): string[] {
  const missing: string[] = [];
  for (const name of packages) {
    const r = run("dpkg-query", ["-W", "-f=${Status}", name], { allowFailure: true });
    if (r.status !== 0 || !r.stdout.includes("install ok installed")) missing.push(name);
  }
  return missing;
}

const PODMAN_DEFAULT_CNI_CONFIG = "/etc/cni/net.d/87-podman-bridge.conflist";

/**
 * Install what is missing with apt-get (CI is a fresh Debian machine running as root). Returns what was
 * installed and the seconds that took. Services the packages would start are kept from starting
 * (policy-rc.d), so no daemon ends up on the machine's own network.
 */
export function ensurePackages(packages: readonly string[]): { installed: string[]; seconds: number } {
  const missing = missingPackages(packages);
  if (missing.length === 0) return { installed: [], seconds: 0 };
  const started = Date.now();
  const hadPodmanConfig = existsSync(PODMAN_DEFAULT_CNI_CONFIG);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" };
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    writeFileSync(policy, "#!/bin/sh\nexit 101\n");
    chmodSync(policy, 0o755);
  }
  try {
    run("apt-get", ["update", "-qq"], { env, timeoutMs: 300_000 });
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env, timeoutMs: 600_000 });
  } finally {
    if (ownPolicy) run("rm", ["-f", policy]);
  }
  // podman's package drops its default network into /etc/cni/net.d, which would become the machine's default
  // network for every runtime and for the repo's scripts (they fall back to scripts/net.d only when it is empty)
  if (!hadPodmanConfig) rmSync(PODMAN_DEFAULT_CNI_CONFIG, { force: true });
  return { installed: missing, seconds: (Date.now() - started) / 1000 };
}

/**
 * A root file system of Debian's busybox-static: /bin/busybox plus a relative symlink per applet (absolute
 * ones would point out of the image), and the tar of it for `podman import` / `docker import`.
 */
export function busyboxRootfs(dir: string): { rootfs: string; tar: string } {
  const rootfs = join(dir, "rootfs");
  for (const sub of ["bin", "etc", "proc", "sys", "dev", "tmp", "run"]) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
  chmodSync(join(rootfs, "bin/busybox"), 0o755);
  for (const applet of run("/bin/busybox", ["--list"]).stdout.split("\n")) {
    if (applet === "" || applet === "busybox") continue;
    symlinkSync("busybox", join(rootfs, "bin", applet));
  }
  writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(rootfs, "etc/group"), "root:x:0:\n");
  const tar = join(dir, "busybox.tar");
  run("tar", ["-C", rootfs, "-cf", tar, "."]);
  return { rootfs, tar };
}

// ---------------------------------------------------------------------------------------------------------
// Throwaway host namespace

export interface HostNetns {
  name: string;
  path: string;
}

/** A named netns standing in for the runtime's host, `lo` up; removed by `deleteHostNetns`. */
export function createHostNetns(name: string): HostNetns {
  run("ip", ["netns", "add", name]);
  run("ip", ["-n", name, "link", "set", "lo", "up"]);
  return { name, path: `/var/run/netns/${name}` };
}

export function deleteHostNetns(ns: HostNetns): void {
  run("ip", ["netns", "del", ns.name], { allowFailure: true });
}

export function netnsNames(): string[] {
  const names: string[] = [];
  for (const line of run("ip", ["netns", "list"]).stdout.split("\n")) {
    const name = line.split(" ")[0];
    if (name) names.push(name);
  }
  return names;
}

interface IpLinkJson {
  ifname: string;
  link_type?: string;
  linkinfo?: { info_kind?: string };
}

/** The links of the host namespace, as `name:kind` (kind empty for lo). */
export function hostLinks(ns: HostNetns): string[] {
  const out = run("ip", ["-n", ns.name, "-j", "-d", "link", "show"]).stdout;
  const links = JSON.parse(out.trim() === "" ? "[]" : out) as IpLinkJson[];
  return links.map((l) => `${l.ifname}:${l.linkinfo?.info_kind ?? ""}`);
}

/** Every nftables rule in the host namespace (one line each, handles stripped). */
export function hostNftRules(ns: HostNetns): string[] {
  const out = run("ip", ["netns", "exec", ns.name, "nft", "list", "ruleset"]).stdout;
  const rules: string[] = [];
  for (const raw of out.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.endsWith("{") || line === "}" || line.startsWith("type ") || line.startsWith("policy ")) continue;
    rules.push(line);
  }
  return rules;
}

/** iptables rules in the host namespace beyond the empty default chains (the Go bridge's backend). */
export function hostIptablesRules(ns: HostNetns): string[] {
  const r = run("ip", ["netns", "exec", ns.name, "iptables-save"], { allowFailure: true });
  return r.stdout.split("\n").filter((l) => l.startsWith("-A "));
}

/** Files of host-local's data dir that are leases (not its lock or last_reserved_ip.N). */
export function leaseFiles(dataDir: string): string[] {
  const leases: string[] = [];
  if (!existsSync(dataDir)) return leases;
  for (const network of readdirSync(dataDir)) {
    // our host-local keeps an index beside the leases (.host-local-index), not a lease itself
    if (network.startsWith(".")) continue;
    for (const file of readdirSync(join(dataDir, network))) {
      if (file === "lock" || file.startsWith("last_reserved_ip")) continue;
      leases.push(`${network}/${file}`);
    }
  }
  return leases;
}

/**
 * Kill what still runs in the cgroups named `name` (under every v1/v2 hierarchy), then remove those
 * directories, deepest first.
 */
export function removeCgroups(name: string): void {
  const roots = cgroupRoots();
  const pids: number[] = [];
  for (const root of roots) collectProcs(join(root, name), pids);
  killPids(pids);
  waitGone(pids);
  for (const root of roots) removeTree(join(root, name));
}

function collectProcs(dir: string, pids: number[]): void {
  if (!existsSync(dir)) return;
  try {
    for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line !== "") pids.push(Number(line));
  } catch {
    // no such file in this hierarchy
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) collectProcs(join(dir, entry.name), pids);
}

function cgroupRoots(): string[] {
  const roots: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 0) continue;
    const fsType = fields[dash + 1];
    if (fsType === "cgroup" || fsType === "cgroup2") roots.push(fields[4] ?? "");
  }
  return roots;
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(join(dir, entry.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    // still has a process: the caller kills those first; nothing more to do here
  }
}

/** Pids of every process whose mount namespace is the one of `pid` (the runtime's private one). */
export function pidsInMountNamespaceOf(pid: number): number[] {
  let target: string;
  try {
    target = readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const candidate = Number(entry);
    if (!Number.isInteger(candidate) || candidate === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/mnt`) === target) pids.push(candidate);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Pids of processes whose command line contains `marker` (e.g. a temp dir only our daemons name). */
export function pidsWithCommandLine(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function killPids(pids: readonly number[], signal: NodeJS.Signals = "SIGKILL"): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** A process that exists and is not a zombie waiting for its parent. */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Wait (bounded) until none of `pids` runs any more. */
export function waitGone(pids: readonly number[], timeoutMs = 10_000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let alive = 0;
    for (const pid of pids) if (isAlive(pid)) alive++;
    if (alive === 0) return true;
    if (Date.now() > deadline) return false;
    run("sleep", ["0.05"]);
  }
}
