// host-local's configuration: the `ipam` section, runtime capabilities and requested addresses,
// decoded case-insensitively and checked like the Go plugin's LoadIPAMConfig.
import {
  CniError,
  ErrorCode,
  type IPAddr,
  type JsonObject,
  type NetConf,
  type Route,
  decodeRoutes,
  isJsonObject,
  parseCIDR,
  parseCniArgs,
  parseIP,
  readKey,
  sameIP,
  wrongType,
} from "@cni/skel";
import { type RangeSet, type RawRange, RangeConfigError, canonicalizeRangeSet, familyOfSet, setsOverlap } from "./range";

export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";

export interface IpamConfig {
  /** the network name: the store's directory under dataDir */
  name: string;
  cniVersion: string;
  dataDir: string;
  /** path of a resolv.conf-style file for the result's dns, if configured */
  resolvConf?: string;
  routes: Route[];
  /** runtimeConfig.ipRanges first, then the legacy single range, then `ranges` */
  rangeSets: RangeSet[];
  /** CNI_ARGS IP, then args.cni.ips, then runtimeConfig.ips; canonical, no duplicates */
  requestedIPs: IPAddr[];
}

function configError(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/** Read and check everything host-local needs from the config and CNI_ARGS. */
export function loadIpamConfig(conf: NetConf, cniArgs: string): IpamConfig {
  const ipam = conf.ipam;
  if (ipam === undefined || ipam === null) throw configError("IPAM config missing 'ipam' key");

  const requestedIPs = readRequestedIPs(conf, cniArgs);
  const rangeSets = readRangeSets(conf, ipam);
  checkRangeSets(rangeSets, conf.cniVersion);

  const config: IpamConfig = {
    name: conf.name,
    cniVersion: conf.cniVersion,
    dataDir: readKey.string(ipam, "dataDir", "ipam") || DEFAULT_DATA_DIR,
    routes: decodeRoutes(readKey.array(ipam, "routes", "ipam"), "ipam.routes"),
    rangeSets,
    requestedIPs,
  };
  const resolvConf = readKey.string(ipam, "resolvConf", "ipam");
  if (resolvConf) config.resolvConf = resolvConf;
  return config;
}

// ---- ranges ----

const RANGE_KEYS = ["subnet", "rangeStart", "rangeEnd", "gateway"] as const;

function readRawRange(o: unknown, where: string): RawRange {
  if (!isJsonObject(o)) throw wrongType(where, "an object", o);
  const raw: RawRange = {};
  for (const key of RANGE_KEYS) {
    const value = readKey.string(o, key, where);
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}

/** Append the range sets of `list` (an array of arrays of ranges) to `out`. */
function readRawRangeSets(list: unknown[] | undefined, where: string, out: RawRange[][]): void {
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const set = list[i];
    if (!Array.isArray(set)) throw wrongType(`${where}[${i}]`, "an array of ranges", set);
    const ranges: RawRange[] = [];
    for (let j = 0; j < set.length; j++) ranges.push(readRawRange(set[j], `${where}[${i}][${j}]`));
    out.push(ranges);
  }
}

function readRangeSets(conf: NetConf, ipam: JsonObject): RangeSet[] {
  const raw: RawRange[][] = [];
  readRawRangeSets(readKey.array(conf.runtimeConfig, "ipRanges", "runtimeConfig"), "runtimeConfig.ipRanges", raw);
  const legacy = readRawRange(ipam, "ipam");
  if (legacy.subnet) raw.push([legacy]);
  readRawRangeSets(readKey.array(ipam, "ranges", "ipam"), "ipam.ranges", raw);
  if (raw.length === 0) throw configError("no IP ranges specified");

  const sets: RangeSet[] = [];
  for (let i = 0; i < raw.length; i++) {
    try {
      sets.push(canonicalizeRangeSet(raw[i]!));
    } catch (err) {
      if (err instanceof RangeConfigError) throw configError(`invalid range set ${i}: ${err.message}`);
      throw err;
    }
  }
  return sets;
}

function checkRangeSets(sets: RangeSet[], cniVersion: string): void {
  let v4 = 0;
  for (const set of sets) if (familyOfSet(set) === 4) v4++;
  const v6 = sets.length - v4;
  if ((v4 > 1 || v6 > 1) && versionBefore030(cniVersion)) {
    throw configError(`CNI version ${cniVersion} does not support more than 1 address per family`);
  }
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      if (setsOverlap(sets[i]!, sets[j]!)) throw configError(`range set ${i} overlaps with ${j}`);
    }
  }
}

function versionBefore030(version: string): boolean {
  return version === "0.1.0" || version === "0.2.0";
}

// ---- requested addresses ----

function readRequestedIPs(conf: NetConf, cniArgs: string): IPAddr[] {
  const found: IPAddr[] = [];
  const add = (ip: IPAddr): void => {
    if (!found.some((f) => sameIP(f, ip))) found.push(ip);
  };

  if (cniArgs !== "") {
    const envIP = parseCniArgs(cniArgs, ["IP"]).IP;
    if (envIP !== undefined && envIP !== "") {
      const ip = parseIPMaybeCIDR(envIP);
      if (!ip) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: IP "${envIP}" is not an IP address`);
      add(ip);
    }
  }

  const args = readKey.object(conf.raw, "args");
  const cni = args ? readKey.object(args, "cni", "args") : undefined;
  for (const text of (cni ? readKey.stringArray(cni, "ips", "args.cni") : undefined) ?? []) {
    add(parseRequested(text, "args.cni.ips"));
  }
  for (const text of readKey.stringArray(conf.runtimeConfig, "ips", "runtimeConfig") ?? []) {
    add(parseRequested(text, "runtimeConfig.ips"));
  }
  return found;
}

/** A requested address: "addr" or "addr/prefix", the prefix dropped. */
function parseIPMaybeCIDR(text: string): IPAddr | undefined {
  return text.includes("/") ? parseCIDR(text)?.ip : parseIP(text);
}

function parseRequested(text: string, where: string): IPAddr {
  const ip = parseIPMaybeCIDR(text);
  if (!ip) throw configError(`"${where}": "${text}" is not an IP address`);
  return ip;
}
