// Results of every spec version: reading any of them into the current (1.1.0) shape, and writing the
// current shape out in any version (docs/protocol.md §4). Conversions go through the current shape, which
// holds everything every version can say, so all 7×7 directions follow the Go rules:
//   1.x -> 0.3/0.4: ips gain "version", interfaces lose the 1.1-only fields;
//   -> 0.1/0.2: first IP of each family, routes under the family of their dst, no IP at all is an error;
//   0.x -> 1.x: "version" dropped; 0.1/0.2 ip4/ip6 become ips + routes.
import { CniError, ErrorCode, goIndentedJson } from "./errors";
import { type Family, formatCIDR, formatIP, parseCIDR, parseIP, parseIPv4 } from "./ip";
import { getKey, isJsonObject, parseJson, readKey, wrongType, type JsonObject } from "./json";
import type { DNS, IPConfig, Interface, Result, Route } from "./types";
import { CURRENT_VERSION, DEFAULT_CONFIG_VERSION, isSpecVersion, type SpecVersion } from "./versions";

type ResultFamily = "0.2" | "0.4" | "1.x";

function familyOf(version: SpecVersion): ResultFamily {
  if (version === "0.1.0" || version === "0.2.0") return "0.2";
  if (version === "1.0.0" || version === "1.1.0") return "1.x";
  return "0.4";
}

// ---------------------------------------------------------------- reading

/**
 * Parse a result of any version (taken from its own `cniVersion`, else `fallbackVersion`, else 0.1.0)
 * into the current shape (`cniVersion` "1.1.0"). Addresses come out in canonical form.
 * Throws CniError: code 1 for an unknown version, code 6 naming the key for anything malformed.
 */
export function parseResult(json: unknown, fallbackVersion?: string): Result {
  try {
    return decodeResultAt(typeof json === "string" ? parseJson(json) : json, fallbackVersion, "");
  } catch (err) {
    if (err instanceof SyntaxError) throw new CniError(ErrorCode.DecodingFailure, `invalid result: ${err.message}`);
    if (err instanceof CniError && err.code === ErrorCode.InvalidNetworkConfig) {
      throw new CniError(ErrorCode.DecodingFailure, `invalid result: ${err.message}`, err.details);
    }
    throw err;
  }
}

/**
 * The result decoder behind parseResult and the config's `prevResult`: `where` prefixes every key
 * in messages ("prevResult"), and a malformed value is CniError code 7 (invalid network config).
 */
export function decodeResultAt(value: unknown, fallbackVersion: string | undefined, where: string): Result {
  const obj = requireObject(value, where || "result");
  const declared = readKey.string(obj, "cniVersion", where);
  const version = declared || fallbackVersion || DEFAULT_CONFIG_VERSION;
  if (!isSpecVersion(version)) {
    throw new CniError(ErrorCode.IncompatibleVersion, `unsupported CNI result version "${version}"`, where ? `in ${where}` : "");
  }
  const family = familyOf(version);
  const result: Result = family === "0.2" ? decode02(obj, where) : decode04or1x(obj, where, family);
  const dns = decodeDNS(readKey.object(obj, "dns", where), at(where, "dns"));
  if (dns !== undefined) result.dns = dns;
  return result;
}

/**
 * Every `ips[].interface` of `result` must index its `interfaces`: a CHECK (or a chained plugin) that
 * looks the interface up would otherwise read past the list, or succeed having checked nothing. Code 7
 * naming the field, e.g. `prevResult.ips[0].interface 7 is out of range (1 interfaces)`; `where` is the
 * result's own key ("prevResult"). An IP without `interface` (IPAM results, 0.1/0.2) is fine.
 */
export function validateInterfaceIndexes(result: Result, where: string): void {
  const count = result.interfaces?.length ?? 0;
  const ips = result.ips ?? [];
  for (let n = 0; n < ips.length; n++) {
    const index = ips[n]!.interface;
    if (index === undefined || index === null || (index >= 0 && index < count)) continue;
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${at(where, `ips[${n}].interface`)} ${index} is out of range (${count} interfaces)`);
  }
}

function at(where: string, key: string): string {
  return where ? `${where}.${key}` : key;
}

function requireObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw wrongType(path, "an object", value);
  return value;
}

/** Each element of an optional array that must hold objects, with its path for messages. */
function objectsOf(obj: JsonObject, key: string, where: string): Array<[JsonObject, string]> {
  return objectsIn(readKey.array(obj, key, where), at(where, key));
}

function objectsIn(list: readonly unknown[] | undefined, where: string): Array<[JsonObject, string]> {
  const out: Array<[JsonObject, string]> = [];
  if (list === undefined) return out;
  for (let i = 0; i < list.length; i++) {
    const path = `${where}[${i}]`;
    out.push([requireObject(list[i], path), path]);
  }
  return out;
}

function decodeCIDR(obj: JsonObject, key: string, where: string): string {
  const path = at(where, key);
  const text = readKey.string(obj, key, where);
  const cidr = text === undefined ? undefined : parseCIDR(text);
  if (cidr === undefined) throw wrongType(path, "an IP address with a prefix length", text ?? getKey(obj, key));
  return formatCIDR(cidr);
}

function decodeOptionalIP(obj: JsonObject, key: string, where: string): string | undefined {
  const text = readKey.string(obj, key, where);
  if (!text) return undefined; // Go reads "" as no address
  const ip = parseIP(text);
  if (ip === undefined) throw wrongType(at(where, key), "an IP address", text);
  return formatIP(ip);
}

/**
 * Routes as configs and results write them (`[{dst, gw?, mtu?, advmss?, priority?, table?, scope?}]`),
 * addresses in canonical text. `where` names the list in messages ("ipam.routes"); absent is no routes.
 * Throws CniError code 7 naming the element's key, e.g. `"ipam.routes[0].dst" must be an IP address
 * with a prefix length`.
 */
export function decodeRoutes(list: readonly unknown[] | undefined, where: string): Route[] {
  const routes: Route[] = [];
  for (const [obj, path] of objectsIn(list, where)) routes.push(decodeRoute(obj, path));
  return routes;
}

function decodeRoute(obj: JsonObject, where: string): Route {
  const route: Route = { dst: decodeCIDR(obj, "dst", where) };
  const gw = decodeOptionalIP(obj, "gw", where);
  if (gw !== undefined) route.gw = gw;
  for (const key of ["mtu", "advmss", "priority", "table", "scope"] as const) {
    const n = readKey.integer(obj, key, where);
    if (n !== undefined) route[key] = n;
  }
  return route;
}

/** The DNS fields present in `obj`, as given: an empty list or string still counts as present. */
export function readDNSFields(obj: JsonObject, where: string): DNS {
  const dns: DNS = {};
  const nameservers = readKey.stringArray(obj, "nameservers", where);
  const domain = readKey.string(obj, "domain", where);
  const search = readKey.stringArray(obj, "search", where);
  const options = readKey.stringArray(obj, "options", where);
  if (nameservers !== undefined) dns.nameservers = nameservers;
  if (domain !== undefined) dns.domain = domain;
  if (search !== undefined) dns.search = search;
  if (options !== undefined) dns.options = options;
  return dns;
}

/** A result's `dns`: empty fields dropped, and no `dns` at all when nothing is left (as Go prints it). */
function decodeDNS(obj: JsonObject | undefined, where: string): DNS | undefined {
  if (obj === undefined) return undefined;
  const given = readDNSFields(obj, where);
  const dns: DNS = {};
  if (given.nameservers?.length) dns.nameservers = given.nameservers.slice();
  if (given.domain) dns.domain = given.domain;
  if (given.search?.length) dns.search = given.search.slice();
  if (given.options?.length) dns.options = given.options.slice();
  return isEmptyDNS(dns) ? undefined : dns;
}

/** 0.1.0/0.2.0: `{ip4: {ip, gateway, routes}, ip6: {...}}`. */
function decode02(obj: JsonObject, where: string): Result {
  const ips: IPConfig[] = [];
  const routes: Route[] = [];
  for (const key of ["ip4", "ip6"]) {
    const ipConf = readKey.object(obj, key, where);
    if (ipConf === undefined) continue;
    const path = at(where, key);
    const ip: IPConfig = { address: decodeCIDR(ipConf, "ip", path) };
    const gateway = decodeOptionalIP(ipConf, "gateway", path);
    if (gateway !== undefined) ip.gateway = gateway;
    ips.push(ip);
    for (const route of decodeRoutes(readKey.array(ipConf, "routes", path), at(path, "routes"))) routes.push(route);
  }
  return withLists({ cniVersion: CURRENT_VERSION }, [], ips, routes);
}

/** 0.3.x/0.4.0 and 1.x: `{interfaces, ips, routes}`; 0.x interfaces carry only name/mac/sandbox. */
function decode04or1x(obj: JsonObject, where: string, family: ResultFamily): Result {
  const interfaces: Interface[] = [];
  for (const [i, path] of objectsOf(obj, "interfaces", where)) interfaces.push(decodeInterface(i, path, family));
  const ips: IPConfig[] = [];
  for (const [ip, path] of objectsOf(obj, "ips", where)) {
    if (family === "0.4") readKey.string(ip, "version", path); // type-checked, then recomputed from the address
    const index = readKey.integer(ip, "interface", path);
    const out: IPConfig = { address: decodeCIDR(ip, "address", path) };
    if (index !== undefined) out.interface = index;
    const gateway = decodeOptionalIP(ip, "gateway", path);
    if (gateway !== undefined) out.gateway = gateway;
    ips.push(out);
  }
  const routes = decodeRoutes(readKey.array(obj, "routes", where), at(where, "routes"));
  return withLists({ cniVersion: CURRENT_VERSION }, interfaces, ips, routes);
}

function decodeInterface(obj: JsonObject, where: string, family: ResultFamily): Interface {
  const out: Interface = { name: readKey.string(obj, "name", where) ?? "" };
  const mac = readKey.string(obj, "mac", where);
  if (mac) out.mac = mac;
  if (family === "1.x") {
    const mtu = readKey.integer(obj, "mtu", where);
    if (mtu) out.mtu = mtu;
  }
  const sandbox = readKey.string(obj, "sandbox", where);
  if (sandbox) out.sandbox = sandbox;
  if (family === "1.x") {
    const socketPath = readKey.string(obj, "socketPath", where);
    if (socketPath) out.socketPath = socketPath;
    const pciID = readKey.string(obj, "pciID", where);
    if (pciID) out.pciID = pciID;
  }
  return out;
}

function withLists(result: Result, interfaces: Interface[], ips: IPConfig[], routes: Route[]): Result {
  if (interfaces.length) result.interfaces = interfaces;
  if (ips.length) result.ips = ips;
  if (routes.length) result.routes = routes;
  return result;
}

// ---------------------------------------------------------------- writing

function isEmptyDNS(dns: DNS | undefined): boolean {
  return !dns || (!dns.nameservers?.length && !dns.domain && !dns.search?.length && !dns.options?.length);
}

/** DNS with Go's omitempty: empty lists and "" left out. */
function dnsObject(dns: DNS | undefined): JsonObject {
  const out: JsonObject = {};
  if (dns?.nameservers?.length) out.nameservers = dns.nameservers.slice();
  if (dns?.domain) out.domain = dns.domain;
  if (dns?.search?.length) out.search = dns.search.slice();
  if (dns?.options?.length) out.options = dns.options.slice();
  return out;
}

const CHAR_0 = 48;
const CHAR_9 = 57;

/**
 * The end of a decimal number in 0..max at `text[start..]` without a leading zero (as Go prints it), or -1:
 * the prefix length of a canonical CIDR (parseCIDR itself accepts "/024").
 */
function canonicalDecimalEnd(text: string, start: number, max: number): number {
  let value = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) break;
    if (i > start && value === 0) return -1; // leading zero
    value = value * 10 + (c - CHAR_0);
    if (value > max) return -1;
  }
  return i === start ? -1 : i;
}

/**
 * Whether `text` is an IPv4 CIDR already in the form formatCIDR(parseCIDR(text)) gives ("10.1.2.3/24"):
 * then the re-parse (BigInt) is skipped. Anything else (IPv6, leading zeros, foreign spellings) takes the
 * full parse, so foreign input is still canonicalised.
 */
function isCanonicalIPv4CIDR(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0 || parseIPv4(text, 0, slash) < 0) return false;
  return canonicalDecimalEnd(text, slash + 1, 32) === text.length;
}

/** Whether `text` is an IPv4 address as formatIP prints it. */
function isCanonicalIPv4(text: string): boolean {
  return parseIPv4(text, 0, text.length) >= 0;
}

/** An address from a result the plugin built: canonical text and its family. */
function canonicalAddress(address: string, path: string): { text: string; family: Family } {
  if (typeof address === "string" && isCanonicalIPv4CIDR(address)) return { text: address, family: 4 };
  const cidr = typeof address === "string" ? parseCIDR(address) : undefined;
  if (cidr === undefined) {
    throw new CniError(ErrorCode.Internal, `result ${path} is not an IP address with a prefix length`, JSON.stringify(address) ?? "");
  }
  return { text: formatCIDR(cidr), family: cidr.ip.family };
}

function canonicalIP(ip: string, path: string): string {
  if (typeof ip === "string" && isCanonicalIPv4(ip)) return ip;
  const parsed = typeof ip === "string" ? parseIP(ip) : undefined;
  if (parsed === undefined) throw new CniError(ErrorCode.Internal, `result ${path} is not an IP address`, JSON.stringify(ip) ?? "");
  return formatIP(parsed);
}

function routeObject(route: Route, path: string, full: boolean): JsonObject {
  const out: JsonObject = { dst: canonicalAddress(route.dst, `${path}.dst`).text };
  if (route.gw) out.gw = canonicalIP(route.gw, `${path}.gw`);
  if (!full) return out; // 0.1/0.2 routes are {dst, gw}
  if (route.mtu) out.mtu = route.mtu;
  if (route.advmss) out.advmss = route.advmss;
  if (route.priority) out.priority = route.priority;
  if (route.table !== undefined && route.table !== null) out.table = route.table;
  if (route.scope !== undefined && route.scope !== null) out.scope = route.scope;
  return out;
}

function interfaceObject(intf: Interface, with11Fields: boolean): JsonObject {
  const out: JsonObject = { name: intf.name ?? "" };
  if (intf.mac) out.mac = intf.mac;
  if (with11Fields && intf.mtu) out.mtu = intf.mtu;
  if (intf.sandbox) out.sandbox = intf.sandbox;
  if (with11Fields && intf.socketPath) out.socketPath = intf.socketPath;
  if (with11Fields && intf.pciID) out.pciID = intf.pciID;
  return out;
}

function ipObject(ip: IPConfig, path: string, withVersion: boolean): JsonObject {
  const address = canonicalAddress(ip.address, `${path}.address`);
  const out: JsonObject = {};
  if (withVersion) out.version = String(address.family);
  if (ip.interface !== undefined && ip.interface !== null) out.interface = ip.interface;
  out.address = address.text;
  if (ip.gateway) out.gateway = canonicalIP(ip.gateway, `${path}.gateway`);
  return out;
}

/**
 * The result as the JSON object of spec `version`, keys in the order the Go plugins print them.
 * Throws CniError code 1 for an unknown version or `cannot convert: no valid IP addresses` (0.1/0.2).
 */
export function resultToVersion(result: Result, version: string): JsonObject {
  if (!isSpecVersion(version)) {
    throw new CniError(ErrorCode.IncompatibleVersion, `cannot convert result to unknown CNI version "${version}"`);
  }
  const family = familyOf(version);
  if (family === "0.2") return resultTo02(result, version);
  const out: JsonObject = { cniVersion: version };
  // 1.0.0 did not define mtu/socketPath/pciID (spec 1.1 added them), so only 1.1.0 prints them.
  const with11 = version === "1.1.0";
  if (result.interfaces?.length) {
    const interfaces: JsonObject[] = [];
    for (const intf of result.interfaces) interfaces.push(interfaceObject(intf, with11));
    out.interfaces = interfaces;
  }
  if (result.ips?.length) {
    const ips: JsonObject[] = [];
    for (let n = 0; n < result.ips.length; n++) ips.push(ipObject(result.ips[n]!, `ips[${n}]`, family === "0.4"));
    out.ips = ips;
  }
  if (result.routes?.length) {
    const routes: JsonObject[] = [];
    for (let n = 0; n < result.routes.length; n++) routes.push(routeObject(result.routes[n]!, `routes[${n}]`, true));
    out.routes = routes;
  }
  // 1.x leaves out an empty dns; 0.3/0.4 always print it ("dns": {}).
  if (family === "0.4" || !isEmptyDNS(result.dns)) out.dns = dnsObject(result.dns);
  return out;
}

function resultTo02(result: Result, version: SpecVersion): JsonObject {
  const byFamily = new Map<Family, JsonObject>();
  (result.ips ?? []).forEach((ip, n) => {
    const address = canonicalAddress(ip.address, `ips[${n}].address`);
    if (byFamily.has(address.family)) return; // 0.1/0.2 hold one address per family
    const conf: JsonObject = { ip: address.text };
    if (ip.gateway) conf.gateway = canonicalIP(ip.gateway, `ips[${n}].gateway`);
    byFamily.set(address.family, conf);
  });
  if (byFamily.size === 0) throw new CniError(ErrorCode.IncompatibleVersion, "cannot convert: no valid IP addresses");
  (result.routes ?? []).forEach((route, n) => {
    const path = `routes[${n}]`;
    const conf = byFamily.get(canonicalAddress(route.dst, `${path}.dst`).family);
    if (conf === undefined) return; // no address of that family to hang the route on
    const routes = (conf.routes as JsonObject[] | undefined) ?? [];
    routes.push(routeObject(route, path, false));
    conf.routes = routes;
  });
  const out: JsonObject = { cniVersion: version };
  const ip4 = byFamily.get(4);
  const ip6 = byFamily.get(6);
  if (ip4) out.ip4 = ip4;
  if (ip6) out.ip6 = ip6;
  out.dns = dnsObject(result.dns);
  return out;
}

/** Convert to `version` and print as the Go plugins do: 4-space indent, no trailing newline. Throws CniError. */
export function formatResult(result: Result, version: string): string {
  return goIndentedJson(resultToVersion(result, version));
}
