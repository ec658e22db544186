// The network configuration on stdin: the well-known keys decoded case-insensitively and type-checked
// (docs/protocol.md §3), and the GC input list of valid attachments.
import { CniError, ErrorCode } from "./errors";
import { isValidName } from "./env";
import { getKey, isJsonObject, readKey, wrongType, type JsonObject } from "./json";
import { decodeResultAt, readDNSFields } from "./result";
import type { Attachment, DNS, NetConf } from "./types";
import { DEFAULT_CONFIG_VERSION } from "./versions";

/** The config's `cniVersion`, "" and absent meaning 0.1.0. A non-string is code 7 naming the key. */
export function configVersion(raw: JsonObject): string {
  return readKey.string(raw, "cniVersion") || DEFAULT_CONFIG_VERSION;
}

/** The network `name`: missing is code 7 `missing network name`; bad characters code 7 with the name in details. */
export function validateNetworkName(raw: JsonObject): string {
  const name = readKey.string(raw, "name");
  if (!name) throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  if (!isValidName(name)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
  }
  return name;
}

export interface NetConfOptions {
  /**
   * How to treat a `prevResult` that cannot be parsed: "error" (code 7 naming the key) or "drop"
   * (DEL: a corrupt cached result must not block the release of resources).
   */
  badPrevResult?: "error" | "drop";
  /** Where a dropped prevResult is reported. */
  warn?: (message: string) => void;
}

/** Decode the well-known keys of a config object (already known to be a JSON object). Throws CniError. */
export function parseNetConf(raw: JsonObject, options: NetConfOptions = {}): NetConf {
  const cniVersion = configVersion(raw);
  const conf: NetConf = {
    cniVersion,
    name: validateNetworkName(raw),
    type: readKey.string(raw, "type") ?? "",
    runtimeConfig: readKey.object(raw, "runtimeConfig") ?? {},
    raw,
  };
  const ipam = readKey.object(raw, "ipam");
  if (ipam !== undefined) {
    readKey.string(ipam, "type", "ipam"); // type-checked here so every plugin reports it the same way
    conf.ipam = ipam as JsonObject & { type?: string };
    const ipamType = getKey(ipam, "type");
    if (typeof ipamType === "string" && ipam.type !== ipamType) conf.ipam = { ...ipam, type: ipamType };
  }
  const dns = parseDNS(readKey.object(raw, "dns"), "dns");
  if (dns !== undefined) conf.dns = dns;
  const prevResult = readKey.object(raw, "prevResult");
  if (prevResult !== undefined) {
    try {
      // Parsed by its own version (the config's only when it has none), then held in the current shape.
      conf.prevResult = decodeResultAt(prevResult, cniVersion, "prevResult");
    } catch (err) {
      if (options.badPrevResult !== "drop") throw err;
      options.warn?.(`ignoring unparsable prevResult: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return conf;
}

/**
 * The config's `dns` as given: every field that is present is kept, even an empty list, because a
 * plugin's `dns` override is "set" when any field is present (bridge/ptp semantics).
 */
function parseDNS(obj: JsonObject | undefined, where: string): DNS | undefined {
  return obj === undefined ? undefined : readDNSFields(obj, where);
}

export const VALID_ATTACHMENTS_KEY = "cni.dev/valid-attachments";
/** The older, misspelt key libcni also sends (cni#1101). */
export const LEGACY_ATTACHMENTS_KEY = "cni.dev/attachments";

/**
 * GC input: the still-valid attachments, from `cni.dev/valid-attachments`, else `cni.dev/attachments`.
 * An empty list is meaningful (nothing is valid). Neither key present is an error (code 7) rather than
 * "none valid": reading a missing list as empty would release every attachment of the network.
 */
export function validAttachments(config: NetConf): Attachment[] {
  let key = VALID_ATTACHMENTS_KEY;
  let list = readKey.array(config.raw, key);
  if (list === undefined) {
    key = LEGACY_ATTACHMENTS_KEY;
    list = readKey.array(config.raw, key);
  }
  if (list === undefined) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `missing "${VALID_ATTACHMENTS_KEY}" in GC input`,
      "the runtime must list the attachments that are still valid; refusing to treat a missing list as empty",
    );
  }
  const attachments: Attachment[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const where = `${key}[${i}]`;
    if (!isJsonObject(item)) throw wrongType(where, "an object", item);
    const containerID = readKey.string(item, "containerID", where);
    const ifname = readKey.string(item, "ifname", where);
    if (!containerID) throw wrongType(`${where}.containerID`, "a non-empty string", getKey(item, "containerID") ?? null);
    if (!ifname) throw wrongType(`${where}.ifname`, "a non-empty string", getKey(item, "ifname") ?? null);
    attachments.push({ containerID, ifname });
  }
  return attachments;
}
