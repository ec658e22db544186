// The portmap plugin's config, read once per call on top of @cni/skel's NetConf. Every wrong value is a
// code-7 error naming the field, found before any rule is written. Field meanings:
// reference-chained-plugins.md §1.1 (the Go PortMapConf).
import {
  CniError,
  ErrorCode,
  isJsonObject,
  parseCIDR,
  parseIP,
  readKey,
  type CmdArgs,
  type Family,
  type IPAddr,
  type JsonObject,
  type Result,
} from "@cni/skel";
import type { TransportProtocol } from "@cni/plugin-kit/netfilter";

export type PortmapBackendName = "nftables" | "iptables";

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: TransportProtocol;
  /** `hostIP` as given; undefined = every local address. `0.0.0.0` / `::` also mean every address, of that family only. */
  hostIP?: IPAddr;
}

/** One `conditionsV4`/`conditionsV6` match the nftables backend understands. */
export type NftCondition =
  | { kind: "address"; which: "saddr" | "daddr"; op: "eq" | "neq"; address: IPAddr; prefix: number }
  | { kind: "interface"; key: "iifname" | "oifname"; op: "eq" | "neq"; name: string };

export interface PortmapConfig {
  mappings: PortMapping[];
  /** hairpin and 127.0.0.1 masquerade (default true) */
  snat: boolean;
  /** masquerade every source reaching the container, not only hairpin and localhost */
  masqAll: boolean;
  backend: PortmapBackendName;
  /** iptables backend: the mark bit of CNI-HOSTPORT-SETMARK (default 13) */
  markMasqBit: number;
  /** iptables backend: an existing chain that marks for masquerade, instead of CNI-HOSTPORT-SETMARK */
  externalSetMarkChain?: string;
  /** extra matches, as given (the iptables backend appends them to the entry rules) */
  conditions: Record<Family, string[]>;
}

export const DEFAULT_MARK_MASQ_BIT = 13;
const MAX_MARK_BIT = 31;
const MAX_PORT = 65535;
const PROTOCOLS: readonly TransportProtocol[] = ["tcp", "udp", "sctp"];
const MAPPINGS_PATH = "runtimeConfig.portMappings";

function invalid(message: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, message);
}

/** The config keys every verb needs. */
export function readPortmapConfig(args: CmdArgs): PortmapConfig {
  const raw = args.config.raw;
  const markMasqBit = readKey.integer(raw, "markMasqBit");
  const externalSetMarkChain = readKey.string(raw, "externalSetMarkChain");
  if (markMasqBit !== undefined && externalSetMarkChain !== undefined) {
    throw invalid(`"markMasqBit" and "externalSetMarkChain" cannot both be set`);
  }
  if (markMasqBit !== undefined && (markMasqBit < 0 || markMasqBit > MAX_MARK_BIT)) {
    throw invalid(`invalid "markMasqBit": ${markMasqBit} (must be between 0 and ${MAX_MARK_BIT})`);
  }
  if (externalSetMarkChain === "") throw invalid(`invalid "externalSetMarkChain": empty chain name`);
  const conditions: Record<Family, string[]> = {
    4: readKey.stringArray(raw, "conditionsV4") ?? [],
    6: readKey.stringArray(raw, "conditionsV6") ?? [],
  };
  const backend = readBackend(raw, externalSetMarkChain, conditions);
  if (backend === "nftables") {
    parseNftConditions(conditions[4], 4);
    parseNftConditions(conditions[6], 6);
  }
  return {
    mappings: readMappings(args.config.runtimeConfig),
    snat: readKey.boolean(raw, "snat") ?? true,
    masqAll: readKey.boolean(raw, "masqAll") ?? false,
    backend,
    markMasqBit: markMasqBit ?? DEFAULT_MARK_MASQ_BIT,
    ...(externalSetMarkChain !== undefined ? { externalSetMarkChain } : {}),
    conditions,
  };
}

/**
 * `backend`: "nftables" (our default) or "iptables". Unset, a config with iptables-only options
 * (externalSetMarkChain, conditions written as iptables arguments: first token `-…` or `!`) gets iptables,
 * as the reference picks it for them; a backend that contradicts its options is refused.
 */
function readBackend(raw: JsonObject, externalSetMarkChain: string | undefined, conditions: Record<Family, string[]>): PortmapBackendName {
  const iptablesOnly: string[] = [];
  if (externalSetMarkChain !== undefined) iptablesOnly.push("externalSetMarkChain");
  for (const family of [4, 6] as const) if (isIptablesConditions(conditions[family])) iptablesOnly.push(`conditionsV${family}`);
  const nftablesOnly: string[] = [];
  for (const family of [4, 6] as const) if (conditions[family].length > 0 && !isIptablesConditions(conditions[family])) nftablesOnly.push(`conditionsV${family}`);
  const given = readKey.string(raw, "backend");
  if (given === undefined) {
    if (iptablesOnly.length > 0 && nftablesOnly.length > 0) {
      throw invalid(`configuration mixes iptables-only options (${iptablesOnly.join(", ")}) with nftables conditions (${nftablesOnly.join(", ")})`);
    }
    return iptablesOnly.length > 0 ? "iptables" : "nftables";
  }
  if (given !== "nftables" && given !== "iptables") throw invalid(`invalid "backend": unrecognized backend ${JSON.stringify(given)} (use "nftables" or "iptables")`);
  const conflicting = given === "nftables" ? iptablesOnly : nftablesOnly;
  if (conflicting.length > 0) {
    const other = given === "nftables" ? "iptables" : "nftables";
    throw invalid(`invalid "backend": ${given} backend was requested but the configuration contains ${other}-specific options [${conflicting.join(" ")}]`);
  }
  return given;
}

function isIptablesConditions(tokens: readonly string[]): boolean {
  const first = tokens[0];
  return first !== undefined && (first.startsWith("-") || first === "!");
}

/** `runtimeConfig.portMappings` (read even without the capability, as the reference does). */
function readMappings(runtimeConfig: JsonObject): PortMapping[] {
  const list = readKey.array(runtimeConfig, "portMappings", "runtimeConfig") ?? [];
  const mappings: PortMapping[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const where = `${MAPPINGS_PATH}[${i}]`;
    if (!isJsonObject(entry)) throw invalid(`invalid "${where}": must be an object`);
    mappings.push(readMapping(entry, where));
  }
  return mappings;
}

function readMapping(entry: JsonObject, where: string): PortMapping {
  const containerPort = readPort(entry, "containerPort", where);
  const hostPort = readPort(entry, "hostPort", where);
  const protocolText = readKey.string(entry, "protocol", where);
  if (protocolText === undefined) throw invalid(`missing "${where}.protocol": must be tcp, udp or sctp`);
  // Runtimes send "TCP" as often as "tcp"; iptables accepts both, nft only the lowercase name.
  const protocol = protocolText.toLowerCase() as TransportProtocol;
  if (!PROTOCOLS.includes(protocol)) throw invalid(`invalid "${where}.protocol": unknown protocol ${JSON.stringify(protocolText)} (must be tcp, udp or sctp)`);
  const hostIPText = readKey.string(entry, "hostIP", where) ?? "";
  const mapping: PortMapping = { hostPort, containerPort, protocol };
  if (hostIPText !== "") {
    const hostIP = parseIP(hostIPText);
    if (hostIP === undefined) throw invalid(`invalid "${where}.hostIP": ${JSON.stringify(hostIPText)} is not an IP address`);
    mapping.hostIP = hostIP;
  }
  return mapping;
}

function readPort(entry: JsonObject, key: string, where: string): number {
  const port = readKey.integer(entry, key, where);
  if (port === undefined) throw invalid(`missing "${where}.${key}"`);
  if (port < 1 || port > MAX_PORT) throw invalid(`invalid "${where}.${key}": port ${port} (must be between 1 and ${MAX_PORT})`);
  return port;
}

/**
 * conditionsV4/V6 for the nftables backend: we write no rule text through `nft`, so the conditions are
 * the matches we can build as expressions, any number of them in a row:
 * `ip|ip6 saddr|daddr [==|!=] <address>[/<prefix>]` and `iifname|oifname [==|!=] <name>`.
 * Anything else is a code-7 error naming the token.
 */
export function parseNftConditions(tokens: readonly string[], family: Family): NftCondition[] {
  const field = `conditionsV${family}`;
  const ipWord = family === 4 ? "ip" : "ip6";
  const conditions: NftCondition[] = [];
  let i = 0;
  const at = (offset: number): string | undefined => tokens[i + offset];
  const fail = (index: number, why: string): CniError =>
    invalid(`invalid "${field}[${index}]" (${JSON.stringify(tokens[index] ?? "")}): ${why}; the nftables backend takes "${ipWord} saddr|daddr [!=] <address>[/<prefix>]" and "iifname|oifname [!=] <name>"`);
  while (i < tokens.length) {
    const word = at(0) as string;
    if (word === ipWord) {
      const which = at(1);
      if (which !== "saddr" && which !== "daddr") throw fail(i + 1, "expected saddr or daddr");
      let next = 2;
      let op: "eq" | "neq" = "eq";
      if (at(next) === "!=" || at(next) === "==") op = at(next++) === "!=" ? "neq" : "eq";
      const valueIndex = i + next;
      const text = tokens[valueIndex];
      const cidr = text === undefined ? undefined : text.includes("/") ? parseCIDR(text) : undefined;
      const address = cidr?.ip ?? (text === undefined || text.includes("/") ? undefined : parseIP(text));
      if (address === undefined || address.family !== family) throw fail(valueIndex, `expected an IPv${family} address or network`);
      const prefix = cidr?.prefix ?? (family === 4 ? 32 : 128);
      conditions.push({ kind: "address", which, op, address, prefix });
      i = valueIndex + 1;
    } else if (word === "iifname" || word === "oifname") {
      let next = 1;
      let op: "eq" | "neq" = "eq";
      if (at(next) === "!=" || at(next) === "==") op = at(next++) === "!=" ? "neq" : "eq";
      const nameIndex = i + next;
      const name = unquote(tokens[nameIndex] ?? "");
      if (name === "" || name.length > 15) throw fail(nameIndex, "expected an interface name");
      conditions.push({ kind: "interface", key: word, op, name });
      i = nameIndex + 1;
    } else {
      throw fail(i, "not a match the nftables backend builds");
    }
  }
  return conditions;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** A container address the mappings forward to: the address and the prefix of its subnet. */
export interface ContainerAddress {
  address: IPAddr;
  prefix: number;
}

/**
 * The container's addresses (P12): the first IPv4 and the first IPv6 of prevResult's `ips`, skipping an
 * IP whose `interface` names an interface other than CNI_IFNAME or one without a sandbox. No match: none
 * (ADD then succeeds without a rule, as the reference's).
 */
export function containerAddresses(prevResult: Result, ifName: string): ContainerAddress[] {
  const found = new Map<Family, ContainerAddress>();
  for (const ip of prevResult.ips ?? []) {
    if (ip.interface !== undefined) {
      const iface = prevResult.interfaces?.[ip.interface];
      if (iface === undefined || iface.name !== ifName || iface.sandbox === undefined || iface.sandbox === "") continue;
    }
    const cidr = parseCIDR(ip.address);
    if (cidr === undefined || found.has(cidr.ip.family)) continue;
    found.set(cidr.ip.family, { address: cidr.ip, prefix: cidr.prefix });
  }
  const addresses: ContainerAddress[] = [];
  for (const family of [4, 6] as const) {
    const address = found.get(family);
    if (address !== undefined) addresses.push(address);
  }
  return addresses;
}

/**
 * ADD: a mapping's hostIP of a family the container has no address of would forward nothing (the
 * reference skips it silently); we refuse it, naming the mapping.
 */
export function requireHostIPFamilies(mappings: readonly PortMapping[], addresses: readonly ContainerAddress[]): void {
  const families = new Set<Family>();
  for (const { address } of addresses) families.add(address.family);
  for (let i = 0; i < mappings.length; i++) {
    const hostIP = mappings[i]?.hostIP;
    if (hostIP !== undefined && !families.has(hostIP.family)) {
      throw invalid(`invalid "${MAPPINGS_PATH}[${i}].hostIP": an IPv${hostIP.family} address, but the container has no IPv${hostIP.family} address`);
    }
  }
}

/** The mappings that apply to a container address of `family`: those without hostIP or with one of that family. */
export function mappingsFor(mappings: readonly PortMapping[], family: Family): PortMapping[] {
  const applying: PortMapping[] = [];
  for (const mapping of mappings) if (mapping.hostIP === undefined || mapping.hostIP.family === family) applying.push(mapping);
  return applying;
}

/** The destination a mapping is restricted to: undefined for none, `0.0.0.0` and `::` (every local address). */
export function destinationOf(mapping: PortMapping): IPAddr | undefined {
  return mapping.hostIP === undefined || mapping.hostIP.value === 0n ? undefined : mapping.hostIP;
}
