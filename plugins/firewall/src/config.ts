// The firewall plugin's own config keys (the Go FirewallNetConf of plugins/meta/firewall), read once per
// call on top of @cni/skel's NetConf, and what the call is about: the container's addresses from
// prevResult and, for an ingress policy, its bridge. Every invalid value is a code-7 error naming the key,
// found before anything changes. Behaviour reference: docs reference-chained-plugins.md §2.
import { CniError, ErrorCode, formatIP, parseCIDR, readKey, type CIDR, type CmdArgs, type Result } from "@cni/skel";

/** The reference supports 0.4.0 and later (1.1.1: 0.4.0, 1.0.0; HEAD adds 1.1.0). */
export const SUPPORTED_VERSIONS: readonly string[] = ["0.4.0", "1.0.0", "1.1.0"];
/** The reference's words for ADD and CHECK without prevResult. */
export const MISSING_PREV_RESULT = "missing prevResult from earlier plugin";

export type BackendName = "iptables" | "nftables" | "firewalld";
const BACKENDS: readonly BackendName[] = ["iptables", "nftables", "firewalld"];

/** `open`: no isolation; `same-bridge`: only the container's own bridge may reach it; `isolated` (HEAD): not even that. */
export type IngressPolicy = "open" | "same-bridge" | "isolated";
const INGRESS_POLICIES: readonly IngressPolicy[] = ["open", "same-bridge", "isolated"];

export const DEFAULT_ADMIN_CHAIN = "CNI-ADMIN";
export const DEFAULT_FIREWALLD_ZONE = "trusted";
/** iptables chain names are at most 28 characters (XT_EXTENSION_MAXNAMELEN less the NUL). */
const MAX_CHAIN_NAME = 28;
/** Interface names are at most 15 bytes (IFNAMSIZ less the NUL). */
const MAX_IFNAME = 15;
/** Names iptables reserves (targets and built-in chains) and the plugin's own chains: not an admin chain. */
const RESERVED_CHAIN_NAMES = new Set([
  "ACCEPT", "DROP", "RETURN", "QUEUE", "REJECT", "LOG", "MARK", "MASQUERADE", "DNAT", "SNAT",
  "INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING",
  "CNI-FORWARD", "CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2",
]);

export interface FirewallConfig {
  /** undefined: chosen per host (backend.ts, selectBackend) */
  backend: BackendName | undefined;
  /** `iptablesAdminChainName`: created empty, jumped to first from CNI-FORWARD, never written */
  adminChain: string;
  /** `firewalldZone` (firewalld only) */
  firewalldZone: string;
  ingressPolicy: IngressPolicy;
}

export function readFirewallConfig(args: CmdArgs): FirewallConfig {
  const raw = args.config.raw;
  return {
    backend: readChoice(readKey.string(raw, "backend"), "backend", BACKENDS),
    adminChain: readAdminChain(readKey.string(raw, "iptablesAdminChainName")),
    firewalldZone: readKey.string(raw, "firewalldZone") || DEFAULT_FIREWALLD_ZONE,
    ingressPolicy: readChoice(readKey.string(raw, "ingressPolicy"), "ingressPolicy", INGRESS_POLICIES) ?? "open",
  };
}

/**
 * An enumerated key: unset or "" is undefined. The reference takes any other backend as "auto" and fails
 * an unknown ingress policy only after it changed the host (F11); we refuse both up front.
 */
function readChoice<T extends string>(value: string | undefined, key: string, choices: readonly T[]): T | undefined {
  if (value === undefined || value === "") return undefined;
  for (const choice of choices) if (choice === value) return choice;
  const allowed = choices.map((c) => JSON.stringify(c)).join(", ");
  throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "${key}": ${JSON.stringify(value)} is not one of ${allowed}`);
}

/** The admin chain goes into iptables-restore input as is: only a plain chain name of ours to create. */
function readAdminChain(value: string | undefined): string {
  if (value === undefined || value === "") return DEFAULT_ADMIN_CHAIN;
  const why =
    value.length > MAX_CHAIN_NAME ? `longer than ${MAX_CHAIN_NAME} characters`
    : !isPlainName(value) ? "only letters, digits, _ . - are allowed, starting with a letter or digit"
    : RESERVED_CHAIN_NAMES.has(value.toUpperCase()) ? "a built-in chain, target or the plugin's own chain"
    : undefined;
  if (why !== undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "iptablesAdminChainName" ${JSON.stringify(value)}: ${why}`);
  return value;
}

/** `^[A-Za-z0-9][A-Za-z0-9_.-]*$`: safe as one token in iptables-restore input and as an interface name match. */
function isPlainName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name);
}

// ---- what one call is about ----

/** One attachment as the backends see it. */
export interface FirewallAttachment {
  network: string;
  containerId: string;
  ifName: string;
  /** the container's addresses from prevResult (each once); empty on a DEL without prevResult */
  addresses: CIDR[];
}

/** The attachment, its addresses read from `prevResult` (a bad one: code 7 naming it). */
export function describeAttachment(args: CmdArgs, prevResult: Result | undefined): FirewallAttachment {
  const addresses: CIDR[] = [];
  const seen = new Set<string>();
  for (const [i, ip] of (prevResult?.ips ?? []).entries()) {
    const cidr = parseCIDR(ip.address);
    if (cidr === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "prevResult.ips[${i}].address": ${JSON.stringify(ip.address)}`);
    const key = formatIP(cidr.ip);
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(cidr);
  }
  return { network: args.config.name, containerId: args.containerId, ifName: args.ifName, addresses };
}

/**
 * The bridge an ingress policy isolates: prevResult's first interface, as the reference takes it (so
 * firewall must follow bridge in the chain). Undefined for `open`. Checked as a plain name: it is
 * written into iptables rules, where `+` would be a wildcard and a space a new argument.
 */
export function ingressBridge(conf: FirewallConfig, prevResult: Result): string | undefined {
  if (conf.ingressPolicy === "open") return undefined;
  const first = prevResult.interfaces?.[0];
  if (first === undefined) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `interface needs to be set for ingress policy "${conf.ingressPolicy}", make sure to chain "firewall" plugin with "bridge"`,
    );
  }
  if (first.name === "") throw new CniError(ErrorCode.InvalidNetworkConfig, "got empty bridge name");
  if (first.name.length > MAX_IFNAME || !isPlainName(first.name)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid "prevResult.interfaces[0].name" ${JSON.stringify(first.name)}: not a bridge name the ingress policy can match (up to 15 letters, digits, _ . -)`,
    );
  }
  return first.name;
}
