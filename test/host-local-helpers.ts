// Shared helpers for the host-local black-box tests (host-local*.test.ts): which binary is under
// test, how to call it the way a runtime does, and how to read/write its on-disk store directly.
// host-local never opens CNI_NETNS, so a fake path is enough and no namespace is needed.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { goPlugin, ourPlugin, runPlugin, type PluginOutput } from "./lib/plugin";

export type Impl = "ours" | "go";

/** `HOST_LOCAL_IMPL=go npx vitest run --project blackbox test/host-local*.test.ts` validates the tests against Go. */
export const IMPL: Impl = process.env.HOST_LOCAL_IMPL === "go" ? "go" : "ours";

/** HOST_LOCAL_OURS_BIN points "ours" at another executable (e.g. the Go one, to validate interop tests). */
export function hostLocalBinary(impl: Impl = IMPL): string {
  if (impl === "go") return goPlugin("host-local");
  return process.env.HOST_LOCAL_OURS_BIN ?? ourPlugin("host-local");
}

/** Go 1.1.1 knows spec versions up to 1.0.0; ours up to 1.1.0. */
export function newestVersion(impl: Impl = IMPL): string {
  return impl === "go" ? "1.0.0" : "1.1.0";
}

/** The network name `netConf` uses unless told otherwise. */
export const NET = "hlbnet";
export const ours = IMPL === "ours";
/** A test of behaviour where ours is documented to differ from Go's: skipped with HOST_LOCAL_IMPL=go. */
export const itOurs = it.skipIf(!ours);
/** Config validation errors: code 7 for ours; Go wraps them as 999. */
export const CONFIG_ERROR_CODE = ours ? 7 : 999;
/** Allocation failures: plugin-specific codes for ours (exhausted 100, duplicate 101, requested 102); Go: 999. */
export const EXHAUSTED_CODE = ours ? 100 : 999;
export const DUPLICATE_CODE = ours ? 101 : 999;

/** Never opened by host-local; any path that is not our own netns will do. */
export const FAKE_NETNS = "/var/run/netns/hlb-none";

export interface HostLocalCall {
  command: string;
  containerId?: string;
  ifName?: string;
  args?: string;
  /** the network config; an object is JSON-encoded, a string is sent as is */
  config: unknown;
  env?: Record<string, string | undefined>;
}

function callEnv(call: HostLocalCall): Record<string, string | undefined> {
  // Go's skel demands CNI_PATH for ADD/DEL/CHECK; host-local delegates nothing, any dir will do.
  return { CNI_NETNS_OVERRIDE: "1", ...call.env };
}

/** Run host-local once, synchronously, as a runtime does (env + stdin → stdout + exit code). */
export function hostLocal(binary: string, call: HostLocalCall): PluginOutput {
  const needsContainer = ["ADD", "DEL", "CHECK"].includes(call.command);
  return runPlugin(binary, {
    command: call.command,
    containerId: needsContainer ? (call.containerId ?? "hlb-c1") : call.containerId,
    netns: needsContainer ? FAKE_NETNS : undefined,
    ifName: needsContainer ? (call.ifName ?? "eth0") : call.ifName,
    args: call.args,
    path: "/usr/lib/cni",
    stdin: call.config,
    env: callEnv(call),
  });
}

/** One call of the implementation under test. */
export const run = (call: HostLocalCall): PluginOutput => hostLocal(hostLocalBinary(), call);
export function add(config: unknown, containerId = "hlb-c1", ifName = "eth0", args?: string): PluginOutput {
  return run({ command: "ADD", config, containerId, ifName, args });
}
export function del(config: unknown, containerId = "hlb-c1", ifName = "eth0"): PluginOutput {
  return run({ command: "DEL", config, containerId, ifName });
}
export function expectOk(out: PluginOutput): void {
  expect(out.code, `stdout=${out.stdout} stderr=${out.stderr}`).toBe(0);
}

/** The same call, spawned asynchronously (for concurrency tests). */
export function hostLocalAsync(binary: string, call: HostLocalCall): Promise<PluginOutput> {
  const needsContainer = ["ADD", "DEL", "CHECK"].includes(call.command);
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
  const set = (k: string, v: string | undefined): void => {
    if (v !== undefined) env[k] = v;
  };
  set("CNI_COMMAND", call.command);
  set("CNI_CONTAINERID", needsContainer ? (call.containerId ?? "hlb-c1") : call.containerId);
  set("CNI_NETNS", needsContainer ? FAKE_NETNS : undefined);
  set("CNI_IFNAME", needsContainer ? (call.ifName ?? "eth0") : call.ifName);
  set("CNI_ARGS", call.args);
  set("CNI_PATH", "/usr/lib/cni");
  for (const [k, v] of Object.entries(callEnv(call))) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const input = typeof call.config === "string" ? call.config : JSON.stringify(call.config);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const out: PluginOutput = { code, stdout, stderr };
      try {
        out.json = JSON.parse(stdout);
      } catch {
        // not JSON
      }
      resolvePromise(out);
    });
    child.stdin.end(input);
  });
}

/**
 * Run host-local in a private mount namespace where `readOnlyDir` is bind-mounted read-only
 * (the machine's own mounts are untouched: `unshare -m` makes propagation private).
 */
export function hostLocalWithReadOnlyDir(binary: string, readOnlyDir: string, call: HostLocalCall): PluginOutput {
  const script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && exec "$2"';
  return runPlugin("unshare", {
    command: call.command,
    path: "/usr/lib/cni",
    stdin: call.config,
    env: { CNI_NETNS_OVERRIDE: "1" },
    argv: ["-m", "--propagation", "private", "sh", "-c", script, "sh", readOnlyDir, binary],
  });
}

// ---- temp data dirs ----

const tempDirs = new Set<string>();

/** A fresh directory under os.tmpdir(); removed by `removeTempDirs`. */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hlb-"));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// ---- configs ----

export interface NetConfOptions {
  cniVersion?: string;
  name?: string;
  dataDir: string;
  /** fields of `ipam` besides type and dataDir (subnet, ranges, routes, resolvConf, ...) */
  ipam?: Record<string, unknown>;
  /** other top-level fields (args, runtimeConfig, cni.dev/valid-attachments, ...) */
  extra?: Record<string, unknown>;
}

export function netConf(o: NetConfOptions): Record<string, unknown> {
  return {
    cniVersion: o.cniVersion ?? newestVersion(),
    name: o.name ?? "hlbnet",
    type: "bridge",
    ...o.extra,
    ipam: { type: "host-local", dataDir: o.dataDir, ...o.ipam },
  };
}

/** A resolv.conf in `dir` with every kind of line the plugin reads or skips. */
export function resolvConfFile(dir: string): string {
  const path = join(dir, "resolv.conf");
  writeFileSync(
    path,
    "# comment\n; other comment\nnameserver 192.0.2.53\nnameserver fd00::53\ndomain example.test\nsearch a.test b.test\noptions ndots:2 edns0\n",
  );
  return path;
}

// ---- the on-disk store, read and written directly (Go format) ----

export function netDir(dataDir: string, network: string): string {
  return join(dataDir, network);
}

/** Entries of `<dataDir>/<network>/`, sorted; [] when the dir does not exist. */
export function listNetDir(dataDir: string, network: string): string[] {
  try {
    return readdirSync(netDir(dataDir, network)).sort();
  } catch {
    return [];
  }
}

/** File names that are leases (an IP address), sorted. */
export function leaseNames(dataDir: string, network: string): string[] {
  return listNetDir(dataDir, network).filter(isIpName);
}

export function readStoreFile(dataDir: string, network: string, name: string): string {
  return readFileSync(join(netDir(dataDir, network), name), "utf8");
}

export function fileMode(dataDir: string, network: string, name: string): number {
  return statSync(join(netDir(dataDir, network), name)).mode & 0o7777;
}

/** Write a lease exactly as Go does: `id\r\nifname`, no newline (or just `id` for pre-0.8 leases). */
export function writeLease(dataDir: string, network: string, ip: string, id: string, ifName?: string): void {
  mkdirSync(netDir(dataDir, network), { recursive: true });
  const content = ifName === undefined ? id : `${id}\r\n${ifName}`;
  writeFileSync(join(netDir(dataDir, network), ip), content, { mode: 0o600 });
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export function isIpName(name: string): boolean {
  if (IPV4.test(name)) return name.split(".").every((o) => Number(o) <= 255 && String(Number(o)) === o);
  return /^[0-9a-f:]+$/.test(name) && name.includes(":");
}

/** What Go's host-local itself may put in a network dir. */
export function isGoCompatibleEntry(name: string): boolean {
  return isIpName(name) || name === "lock" || /^last_reserved_ip\.\d+$/.test(name);
}

/** Map lease file name → content for a network dir. */
export function leaseTable(dataDir: string, network: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const name of leaseNames(dataDir, network)) table.set(name, readStoreFile(dataDir, network, name));
  return table;
}

// ---- results ----

/** The addresses (without prefix) of a 0.3.0+ result. */
export function resultAddresses(out: PluginOutput): string[] {
  const ips = (out.json?.ips ?? []) as Array<{ address: string }>;
  return ips.map((ip) => ip.address.split("/")[0]!);
}

/** A CNI error printed the way the spec says: JSON on stdout, exit 1, code + msg. */
export interface CniErrorShape {
  code: number;
  msg: string;
  details?: string;
}
export function cniError(out: PluginOutput): CniErrorShape {
  if (out.code !== 1) throw new Error(`expected exit 1, got ${out.code}; stdout=${out.stdout} stderr=${out.stderr}`);
  const j = out.json as Partial<CniErrorShape> | undefined;
  if (!j || typeof j.code !== "number" || typeof j.msg !== "string") {
    throw new Error(`expected a CNI error on stdout, got: ${out.stdout}; stderr=${out.stderr}`);
  }
  return j as CniErrorShape;
}

/** A stack trace on stderr means an uncaught exception (or a Go panic). */
export function looksLikeCrash(out: PluginOutput): boolean {
  return /\n\s+at .+:\d+|panic:|goroutine \d+|Uncaught|TypeError|ReferenceError/.test(out.stderr + out.stdout);
}
