// The shapes of the contract: results (in the current 1.1.0 shape), the decoded config, and the plugin API.
import type { JsonObject } from "./json";

// ---- results (the current, 1.1.0 shape; other versions are produced by formatResult) ----

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}
export interface IPConfig {
  /** index into `interfaces` */
  interface?: number;
  /** CIDR, e.g. "10.1.2.3/24" */
  address: string;
  gateway?: string;
}
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}
export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

// ---- configuration ----

/** The well-known part of a network configuration, decoded case-insensitively. */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** `ipam` object as given (undefined when absent); `ipam.type` may be "" (L2 mode). */
  ipam?: JsonObject & { type?: string };
  dns?: DNS;
  /** prevResult parsed by its own version and converted to the current shape. */
  prevResult?: Result;
  runtimeConfig: JsonObject;
  /** the whole decoded stdin object, for plugin-specific keys (read them with `readKey` & co). */
  raw: JsonObject;
}

// ---- the plugin contract ----

export type Command = "ADD" | "DEL" | "CHECK" | "STATUS" | "GC";

export interface CmdArgs {
  command: Command;
  /** "" for STATUS/GC */
  containerId: string;
  /** "" when CNI_NETNS is not set (DEL, STATUS, GC) */
  netns: string;
  /** "" for STATUS/GC */
  ifName: string;
  /** raw CNI_ARGS ("" when unset) */
  args: string;
  /** CNI_PATH split at ':' (empty entries dropped) */
  path: string[];
  /** the exact stdin bytes (for delegation) */
  stdinData: Buffer;
  config: NetConf;
  /** the environment the plugin was called with (passed on to delegated plugins) */
  env: Record<string, string | undefined>;
}

export interface PluginSpec {
  /** one line, e.g. "CNI loopback plugin v0.1.0" */
  about: string;
  /** default: every spec version (ALL_VERSIONS) */
  supportedVersions?: readonly string[];
  add(args: CmdArgs): Result | Promise<Result>;
  del(args: CmdArgs): void | Promise<void>;
  check(args: CmdArgs): void | Promise<void>;
  /** absent: success with no output */
  status?(args: CmdArgs): void | Promise<void>;
  /** absent: success with no output */
  gc?(args: CmdArgs): void | Promise<void>;
}

/** Process I/O, injectable so the protocol can be unit-tested without spawning processes. */
export interface PluginIO {
  env: Record<string, string | undefined>;
  readStdin(): Buffer | Promise<Buffer>;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
}

export interface Plugin {
  readonly spec: PluginSpec;
  /** Run one invocation; returns the exit code (0 or 1). Never throws. */
  run(io?: PluginIO): Promise<number>;
  /** `run()` with the real process I/O, then set process.exitCode. */
  main(): Promise<void>;
}

/** GC input: the valid attachments (`cni.dev/valid-attachments`, or the older `cni.dev/attachments`). */
export interface Attachment {
  containerID: string;
  ifname: string;
}
