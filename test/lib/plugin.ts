// Run a plugin executable the way a runtime does: environment variables + config on stdin,
// result or error on stdout, exit status 0/1. Optionally with its "host" side inside a test namespace.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestNetns } from "./netns.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN_DIR = resolve(REPO_ROOT, "bin");
/** Debian's containernetworking-plugins: the Go reference, for side-by-side tests. */
export const GO_BIN_DIR = "/usr/lib/cni";

export function ourPlugin(name: string): string {
  const path = resolve(BIN_DIR, name);
  if (!existsSync(path)) throw new Error(`${path} missing: run ./build.sh first`);
  return path;
}
export function goPlugin(name: string): string {
  const path = resolve(GO_BIN_DIR, name);
  if (!existsSync(path)) throw new Error(`${path} missing: apt-get install containernetworking-plugins`);
  return path;
}

export interface PluginCall {
  command?: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  args?: string;
  path?: string;
  /** the config; an object is JSON-encoded, a string/Buffer is sent as is */
  stdin?: unknown;
  /** extra or overriding environment (undefined deletes a variable) */
  env?: Record<string, string | undefined>;
  /** run inside this namespace (`ip netns exec`), standing in for the host */
  hostNetns?: TestNetns;
  /** arguments for the executable (for wrappers such as `unshare`) */
  argv?: string[];
  timeoutMs?: number;
}

export interface PluginOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON */
  json?: any;
}

export function runPlugin(binary: string, call: PluginCall): PluginOutput {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined) env[k] = v;
  };
  set("CNI_COMMAND", call.command);
  set("CNI_CONTAINERID", call.containerId);
  set("CNI_NETNS", call.netns);
  set("CNI_IFNAME", call.ifName);
  set("CNI_ARGS", call.args);
  set("CNI_PATH", call.path);
  for (const [k, v] of Object.entries(call.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const input =
    call.stdin === undefined
      ? ""
      : typeof call.stdin === "string" || Buffer.isBuffer(call.stdin)
        ? call.stdin
        : JSON.stringify(call.stdin);
  const [cmd, argv] = call.hostNetns
    ? ["ip", ["netns", "exec", call.hostNetns.name, binary, ...(call.argv ?? [])]]
    : [binary, call.argv ?? []];
  const r = spawnSync(cmd, argv as string[], {
    env,
    input,
    encoding: "utf8",
    timeout: call.timeoutMs ?? 20_000,
  });
  if (r.error) throw r.error;
  const out: PluginOutput = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  try {
    out.json = JSON.parse(r.stdout);
  } catch {
    // not JSON
  }
  return out;
}
