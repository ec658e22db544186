// @cni/skel — the CNI protocol for plugin authors.
// CONTRACT STUB: signatures other packages build against. The skel work fills in the bodies
// (and may split them into modules re-exported here) without changing these names/shapes.

/** Every spec version, oldest first. */
export const ALL_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type SpecVersion = (typeof ALL_VERSIONS)[number];

/** Error codes of the spec (protocol.md §5). */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IOFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetNS: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

/** A CNI error: printed as `{cniVersion, code, msg, details?}` on stdout, exit 1. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details: string = "",
  ) {
    super(msg);
    this.name = "CniError";
  }
}

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

/** Parse a result of any version (taken from its own `cniVersion`, else `fallbackVersion`) into the current shape. */
export declare function parseResult(json: unknown, fallbackVersion?: string): Result;
/** Convert to `version` and print as the Go plugins do: 4-space indent, no trailing newline. Throws CniError. */
export declare function formatResult(result: Result, version: string): string;

// ---- configuration ----

export type JsonObject = { [key: string]: unknown };

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

/** Case-insensitive key lookup (an exact-case match wins). */
export declare function getKey(obj: JsonObject, key: string): unknown;
/**
 * Typed readers for plugin-specific keys. `where` names the path for messages, e.g. "ipam".
 * A wrong JSON type throws CniError(7, `"ipam.subnet" must be a string`) or similar naming the key.
 */
export declare const readKey: {
  string(obj: JsonObject, key: string, where?: string): string | undefined;
  boolean(obj: JsonObject, key: string, where?: string): boolean | undefined;
  integer(obj: JsonObject, key: string, where?: string): number | undefined;
  object(obj: JsonObject, key: string, where?: string): JsonObject | undefined;
  array(obj: JsonObject, key: string, where?: string): unknown[] | undefined;
  stringArray(obj: JsonObject, key: string, where?: string): string[] | undefined;
};

/**
 * Parse CNI_ARGS (`K=V;K2=V2`, exact-case keys, split at the first `=`). Keys not in `known`
 * are an error (CniError code 4, `ARGS: unknown args ["FOO=bar"]`) unless `IgnoreUnknown=1|true|True`
 * is present. `IgnoreUnknown` itself is always known and is not returned.
 */
export declare function parseCniArgs(raw: string, known: readonly string[]): Record<string, string>;

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

export declare function definePlugin(spec: PluginSpec): Plugin;

// ---- delegation to an IPAM plugin (protocol.md §6) ----

/** Run plugin `type` from CNI_PATH with the same stdin and env, CNI_COMMAND=ADD; parse its result. */
export declare function delegateAdd(type: string, args: CmdArgs): Promise<Result>;
export declare function delegateDel(type: string, args: CmdArgs): Promise<void>;
export declare function delegateCheck(type: string, args: CmdArgs): Promise<void>;
export declare function delegateStatus(type: string, args: CmdArgs): Promise<void>;
export declare function delegateGC(type: string, args: CmdArgs): Promise<void>;

/** GC input: the valid attachments (`cni.dev/valid-attachments`, or the older `cni.dev/attachments`). */
export interface Attachment {
  containerID: string;
  ifname: string;
}
export declare function validAttachments(config: NetConf): Attachment[];
