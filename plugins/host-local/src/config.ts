// host-local's configuration: the `ipam` section, runtime capabilities and requested addresses,
// decoded case-insensitively and checked like the Go plugin's LoadIPAMConfig.
import {
  CniError,
  ErrorCode,
  type JsonObject,
  type NetConf,
  type Route,
  parseCniArgs,
  readKey,
} from "@cni/skel";
import { type IPAddr, formatCIDR, formatIP, parseCIDR, parseIP, parseIPMaybeCIDR, sameIP } from "./ip";
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

  const resolvConf = readKey.string(ipam, "resolvConf", "ipam");
  return {
    name: conf.name,
    cniVersion: conf.cniVersion,
    dataDir: readKey.string(ipam, "dataDir", "ipam") || DEFAULT_DATA_DIR,
    ...(resolvConf ? { resolvConf } : {}),
    routes: readRoutes(ipam),
    rangeSets,
    requestedIPs,
  };
}

// ---- ranges ----

function readRawRange(obj: unknown, where: string): RawRange {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw configError(`"${where}" must be an object`);
  }
  const o = obj as JsonObject;
  const raw: RawRange = {};
  const subnet = readKey.string(o, "subnet", where);
  const rangeStart = readKey.string(o, "rangeStart", where);
  const rangeEnd = readKey.string(o, "rangeEnd", where);
  const gateway = readKey.string(o, "gateway", where);
  if (subnet !== undefined) raw.subnet = subnet;
  if (rangeStart !== undefined) raw.rangeStart = rangeStart;
  if (rangeEnd !== undefined) raw.rangeEnd = rangeEnd;
  if (gateway !== undefined) raw.gateway = gateway;
  return raw;
}

function readRawRangeSets(list: unknown[] | undefined, where: string): RawRange[][] {
  return (list ?? []).map((set, i) => {
    if (!Array.isArray(set)) throw configError(`"${where}[${i}]" must be an array of ranges`);
    return set.map((r, j) => readRawRange(r, `${where}[${i}][${j}]`));
  });
}

function readRangeSets(conf: NetConf, ipam: JsonObject): RangeSet[] {
  const raw: RawRange[][] = [
    ...readRawRangeSets(readKey.array(conf.runtimeConfig, "ipRanges", "runtimeConfig"), "runtimeConfig.ipRanges"),
  ];
  const legacy = readRawRange(ipam, "ipam");
  if (legacy.subnet) raw.push([legacy]);
  raw.push(...readRawRangeSets(readKey.array(ipam, "ranges", "ipam"), "ipam.ranges"));
  if (raw.length === 0) throw configError("no IP ranges specified");

  return raw.map((set, i) => {
    try {
      return canonicalizeRangeSet(set);
    } catch (err) {
      if (err instanceof RangeConfigError) throw configError(`invalid range set ${i}: ${err.message}`);
      throw err;
    }
  });
}

function checkRangeSets(sets: RangeSet[], cniVersion: string): void {
  const v4 = sets.filter((s) => familyOfSet(s) === 4).length;
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

function parseRequested(text: string, where: string): IPAddr {
  const ip = parseIPMaybeCIDR(text);
  if (!ip) throw configError(`"${where}": "${text}" is not an IP address`);
  return ip;
}

// ---- routes ----

function readRoutes(ipam: JsonObject): Route[] {
  const list = readKey.array(ipam, "routes", "ipam") ?? [];
  return list.map((item, i) => {
    const where = `ipam.routes[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw configError(`"${where}" must be an object`);
    }
    const o = item as JsonObject;
    const dstText = readKey.string(o, "dst", where);
    const dst = dstText === undefined ? undefined : parseCIDR(dstText);
    if (!dst) throw configError(`"${where}.dst" must be an address/prefix, got ${JSON.stringify(dstText ?? null)}`);
    const route: Route = { dst: formatCIDR(dst) };
    const gwText = readKey.string(o, "gw", where);
    if (gwText !== undefined && gwText !== "") {
      const gw = parseIP(gwText);
      if (!gw) throw configError(`"${where}.gw" must be an IP address, got "${gwText}"`);
      route.gw = formatIP(gw);
    }
    for (const key of ["mtu", "advmss", "priority", "table", "scope"] as const) {
      const value = readKey.integer(o, key, where);
      if (value !== undefined) route[key] = value;
    }
    return route;
  });
}

