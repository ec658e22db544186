// The tuning plugin's config keys, read once per call on top of @cni/skel's NetConf, with the reference's
// sources and precedence (reference-chained-plugins.md §3.1): the top-level keys, CNI_ARGS `MAC=`,
// `runtimeConfig.mac` (capability `mac`) and `args.cni.*`. Every problem is a CNI error naming the key
// (code 7; code 4 for CNI_ARGS), found before anything in the namespace changes.
import { CniError, ErrorCode, parseCniArgs, readKey, wrongType, type CmdArgs, type JsonObject } from "@cni/skel";
import { parseMac } from "@cni/plugin-kit";
import { readAllowlist, requireAllowed } from "./allowlist";
import { rawMemberNames, repeatedNames } from "./raw-json";
import { sysctlPath } from "./sysctl-keys";

export const DEFAULT_DATA_DIR = "/run/cni/tuning";
/** CNI_ARGS keys tuning reads (anything else needs IgnoreUnknown, as with the reference) */
const KNOWN_CNI_ARGS = ["MAC"] as const;
const MAX_TXQLEN = 0xffffffff;

export interface SysctlSetting {
  /** the key as the config writes it (for messages and the allowlist) */
  key: string;
  /** below /proc/sys, slash-separated, IFNAME replaced */
  path: string;
  value: string;
}

/** The container interface's attributes to set; undefined = leave as it is. */
export interface LinkSettings {
  /** lowercase, colon-separated */
  mac?: string;
  /** only `true` acts on ADD (as the reference: false never clears promisc); CHECK wants the link to match */
  promisc: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
}

export interface TuningConfig {
  /** in the order the config gives them (args.cni.sysctl entries replace same-path ones in place) */
  sysctls: SysctlSetting[];
  link: LinkSettings;
  /** where ADD keeps the original link attributes for DEL */
  dataDir: string;
}

/** Everything ADD and CHECK act on. ADD also checks the keys against the administrator's allowlist. */
export function readTuningConfig(args: CmdArgs, verb: "ADD" | "CHECK"): TuningConfig {
  const raw = args.config.raw;
  const cniArgs = readArgsCni(raw);
  const sysctls = readSysctls(args, cniArgs);
  if (verb === "ADD" && sysctls.length > 0) {
    const allowlist = readAllowlist();
    if (allowlist !== undefined) for (const setting of sysctls) requireAllowed(allowlist, setting.key);
  }
  return { sysctls, link: readLinkSettings(args, cniArgs), dataDir: readDataDir(args) };
}

/** `dataDir`, the one key DEL needs (DEL reads nothing else, so a config ADD refused can still be deleted). */
export function readDataDir(args: CmdArgs): string {
  const dataDir = readKey.string(args.config.raw, "dataDir");
  return dataDir === undefined || dataDir === "" ? DEFAULT_DATA_DIR : dataDir;
}

/** `args.cni`, or undefined. */
function readArgsCni(raw: JsonObject): JsonObject | undefined {
  const argsObject = readKey.object(raw, "args");
  return argsObject === undefined ? undefined : readKey.object(argsObject, "cni", "args");
}

/**
 * `sysctl`, then `args.cni.sysctl` on top (an entry naming the same file replaces the config's). Within one
 * map, two keys naming the same file are refused: as written twice (the reference's "duplicated sysctl keys
 * are not allowed"), or spelled two ways (`net.core.x` and `net/core/x`, `...IFNAME...` and `...eth0...`).
 */
function readSysctls(args: CmdArgs, cniArgs: JsonObject | undefined): SysctlSetting[] {
  const settings: SysctlSetting[] = [];
  const byPath = new Map<string, number>();
  const sources: Array<[map: JsonObject | undefined, where: string, rawPath: string[]]> = [
    [readKey.object(args.config.raw, "sysctl"), "sysctl", ["sysctl"]],
    [cniArgs === undefined ? undefined : readKey.object(cniArgs, "sysctl", "args.cni"), "args.cni.sysctl", ["args", "cni", "sysctl"]],
  ];
  for (const [map, where, rawPath] of sources) {
    if (map === undefined) continue;
    refuseRepeatedKeys(args, rawPath, where);
    const seenHere = new Map<string, string>();
    for (const key of Object.keys(map)) {
      const value = map[key];
      if (typeof value !== "string") throw wrongType(`${where}.${key}`, "a string", value);
      if (value === "" || value.includes("\0")) {
        throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid value ${JSON.stringify(value)} for sysctl ${JSON.stringify(key)} in "${where}"`, "a sysctl value is non-empty text without NUL bytes");
      }
      const path = sysctlPath(key, args.ifName);
      const sameFile = seenHere.get(path);
      if (sameFile !== undefined) {
        throw new CniError(ErrorCode.InvalidNetworkConfig, `duplicated sysctl keys are not allowed: ${JSON.stringify(sameFile)} and ${JSON.stringify(key)} in "${where}" both name /proc/sys/${path}`);
      }
      seenHere.set(path, key);
      const setting: SysctlSetting = { key, path, value };
      const replaced = byPath.get(path);
      if (replaced === undefined) {
        byPath.set(path, settings.length);
        settings.push(setting);
      } else {
        settings[replaced] = setting;
      }
    }
  }
  return settings;
}

/** A key written twice in the config's text (JSON.parse kept only the last): code 7. */
function refuseRepeatedKeys(args: CmdArgs, rawPath: readonly string[], where: string): void {
  const names = rawMemberNames(args.stdinData.toString("utf8"), rawPath);
  const repeated = names === undefined ? [] : repeatedNames(names);
  if (repeated.length > 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `duplicated sysctl keys are not allowed: ${repeated.map((k) => JSON.stringify(k)).join(", ")} in "${where}"`);
  }
}

function readLinkSettings(args: CmdArgs, cniArgs: JsonObject | undefined): LinkSettings {
  const settings: LinkSettings = { promisc: overridable(args, cniArgs, readPromisc) ?? false };
  const mac = readMac(args, cniArgs);
  if (mac !== undefined) settings.mac = mac;
  const mtu = overridable(args, cniArgs, readMtu);
  if (mtu !== undefined && mtu !== 0) settings.mtu = mtu;
  const allmulti = overridable(args, cniArgs, readAllmulti);
  if (allmulti !== undefined) settings.allmulti = allmulti;
  const txQLen = overridable(args, cniArgs, readTxQLen);
  if (txQLen !== undefined) settings.txQLen = txQLen;
  return settings;
}

type KeyReader<T> = (obj: JsonObject, where: string | undefined) => T | undefined;

/** `args.cni`'s value of a key when it has one, else the top-level one; both are checked. */
function overridable<T>(args: CmdArgs, cniArgs: JsonObject | undefined, read: KeyReader<T>): T | undefined {
  const fromConfig = read(args.config.raw, undefined);
  const fromArgs = cniArgs === undefined ? undefined : read(cniArgs, "args.cni");
  return fromArgs ?? fromConfig;
}

/**
 * The MAC to set, with the reference's precedence: `args.cni.mac` (even "", which then means none), else
 * `runtimeConfig.mac`, else CNI_ARGS `MAC`, else `mac`. Only the one that wins is parsed (as the
 * reference: an overridden value is never used). CNI_ARGS is read whenever given, so unknown keys in it
 * are refused unless IgnoreUnknown is set.
 */
function readMac(args: CmdArgs, cniArgs: JsonObject | undefined): string | undefined {
  const fromEnv = args.args === "" ? undefined : parseCniArgs(args.args, KNOWN_CNI_ARGS).MAC;
  const fromArgs = cniArgs === undefined ? undefined : readKey.string(cniArgs, "mac", "args.cni");
  if (fromArgs !== undefined) return fromArgs === "" ? undefined : interfaceMac(fromArgs, "args.cni.mac", ErrorCode.InvalidNetworkConfig);
  const fromRuntime = readKey.string(args.config.runtimeConfig, "mac", "runtimeConfig");
  if (fromRuntime) return interfaceMac(fromRuntime, "runtimeConfig.mac", ErrorCode.InvalidNetworkConfig);
  if (fromEnv) return interfaceMac(fromEnv, "CNI_ARGS MAC", ErrorCode.InvalidEnvironment);
  const fromConfig = readKey.string(args.config.raw, "mac");
  if (fromConfig) return interfaceMac(fromConfig, "mac", ErrorCode.InvalidNetworkConfig);
  return undefined;
}

const ZERO_MAC = "00:00:00:00:00:00";

/** A MAC an interface can take (the kit refuses malformed and multicast ones; the kernel also refuses all zeros). */
function interfaceMac(text: string, source: string, code: number): string {
  const mac = parseMac(text, source, code);
  if (mac === ZERO_MAC) throw new CniError(code, `invalid MAC address ${JSON.stringify(text)} in ${source}`, "the all-zero address cannot be an interface's");
  return mac;
}

/** `promisc`: only true acts on ADD. */
function readPromisc(obj: JsonObject, where: string | undefined): boolean | undefined {
  return readKey.boolean(obj, "promisc", where);
}

function readAllmulti(obj: JsonObject, where: string | undefined): boolean | undefined {
  return readKey.boolean(obj, "allmulti", where);
}

/** `mtu` (0 = leave the MTU alone); code 7 when negative. The link's own range is checked on ADD. */
function readMtu(obj: JsonObject, where: string | undefined): number | undefined {
  const mtu = readKey.integer(obj, "mtu", where);
  if (mtu !== undefined && mtu < 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "${keyName(where, "mtu")}" ${mtu}: must be 0 (leave it) or more`);
  }
  return mtu;
}

/** `txQLen` (0 is a length like any other); code 7 outside 0..2^32-1. */
function readTxQLen(obj: JsonObject, where: string | undefined): number | undefined {
  const length = readKey.integer(obj, "txQLen", where);
  if (length !== undefined && (length < 0 || length > MAX_TXQLEN)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "${keyName(where, "txQLen")}" ${length}: must be 0 to ${MAX_TXQLEN}`);
  }
  return length;
}

function keyName(where: string | undefined, key: string): string {
  return where === undefined ? key : `${where}.${key}`;
}
