// The bridge plugin's own config keys, read once per call on top of @cni/skel's NetConf. Every invalid
// value or combination is a code-7 error naming the key, found before anything is created.
// Field meanings: reference-plugins.md §1.2 (the Go NetConf of plugins/main/bridge).
import { CniError, ErrorCode, isJsonObject, readKey, validateIfName, type CmdArgs } from "@cni/skel";
import { parseIpMasqBackend, readMtu, type IpMasqBackend } from "@cni/plugin-kit";

export const DEFAULT_BRIDGE_NAME = "cni0";
/** The highest VLAN id a port can carry (4095 is reserved). */
export const MAX_VLAN_ID = 4094;

export interface BridgeConfig {
  /** the bridge in the host namespace */
  bridge: string;
  /** the IPAM plugin; "" = L2 mode (`"ipam": {}`): no addresses at all */
  ipamType: string;
  /** `isGateway`, or implied by `isDefaultGateway` */
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  ipMasqBackend: IpMasqBackend;
  /** new bridge and both veth ends; undefined = the kernel's default */
  mtu: number | undefined;
  hairpinMode: boolean;
  promiscMode: boolean;
  /** access VLAN of the port (PVID, untagged); 0 = none */
  vlan: number;
  /** tagged VLANs of the port, deduplicated and sorted; empty = none */
  vlanTrunk: number[];
  /** whether `vlanTrunk` was given at all (the reference turns vlan_filtering on for an empty list too) */
  vlanTrunkGiven: boolean;
  preserveDefaultVlan: boolean;
  enableDad: boolean;
  macSpoofCheck: boolean;
  disableContainerInterface: boolean;
  portIsolation: boolean;
}

/** The config keys every verb needs; code 7 for a wrong type, an out-of-range value, a forbidden combination. */
export function readBridgeConfig(args: CmdArgs): BridgeConfig {
  const raw = args.config.raw;
  const bridge = readKey.string(raw, "bridge") || DEFAULT_BRIDGE_NAME;
  requireInterfaceName(bridge);
  const ipamType = args.config.ipam?.type ?? "";

  const mtu = readMtu(raw);
  const vlan = readKey.integer(raw, "vlan") ?? 0;
  if (vlan < 0 || vlan > MAX_VLAN_ID) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "vlan": invalid VLAN ID ${vlan} (must be between 0 and ${MAX_VLAN_ID})`);
  }
  const trunk = readKey.array(raw, "vlanTrunk");

  const isDefaultGateway = readKey.boolean(raw, "isDefaultGateway") ?? false;
  const conf: BridgeConfig = {
    bridge,
    ipamType,
    isGateway: (readKey.boolean(raw, "isGateway") ?? false) || isDefaultGateway,
    isDefaultGateway,
    forceAddress: readKey.boolean(raw, "forceAddress") ?? false,
    ipMasq: readKey.boolean(raw, "ipMasq") ?? false,
    ipMasqBackend: parseIpMasqBackend(readKey.string(raw, "ipMasqBackend")),
    mtu,
    hairpinMode: readKey.boolean(raw, "hairpinMode") ?? false,
    promiscMode: readKey.boolean(raw, "promiscMode") ?? false,
    vlan,
    vlanTrunk: trunk === undefined ? [] : collectVlanTrunk(trunk),
    vlanTrunkGiven: trunk !== undefined,
    preserveDefaultVlan: readKey.boolean(raw, "preserveDefaultVlan") ?? false,
    enableDad: readKey.boolean(raw, "enabledad") ?? false,
    macSpoofCheck: readKey.boolean(raw, "macspoofchk") ?? false,
    disableContainerInterface: readKey.boolean(raw, "disableContainerInterface") ?? false,
    portIsolation: readKey.boolean(raw, "portIsolation") ?? false,
  };
  if (conf.hairpinMode && conf.promiscMode) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `"hairpinMode" and "promiscMode": cannot set hairpin mode and promiscuous mode at the same time`);
  }
  if (conf.disableContainerInterface && ipamType !== "") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `"disableContainerInterface": cannot use IPAM when DisableContainerInterface flag is set`);
  }
  return conf;
}

/** Whether the port gets VLAN configuration (and a new bridge vlan_filtering). */
export function usesVlans(conf: BridgeConfig): boolean {
  return conf.vlan !== 0 || conf.vlanTrunkGiven;
}

/**
 * `vlanTrunk`: `[{id}|{minID,maxID}]` as a sorted list of distinct VIDs, with the reference's messages
 * (prefixed with the key). An item may hold both an id and a range.
 */
export function collectVlanTrunk(items: readonly unknown[]): number[] {
  const vids = new Set<number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const where = `vlanTrunk[${i}]`;
    if (!isJsonObject(item)) throw new CniError(ErrorCode.InvalidNetworkConfig, `"${where}" must be an object ({"id": n} or {"minID": n, "maxID": m})`);
    const minId = readKey.integer(item, "minID", where);
    const maxId = readKey.integer(item, "maxID", where);
    const id = readKey.integer(item, "id", where);
    if (minId !== undefined && maxId !== undefined) {
      if (!isVlanId(minId)) throw trunkError(where, "incorrect trunk minID parameter");
      if (!isVlanId(maxId)) throw trunkError(where, "incorrect trunk maxID parameter");
      if (maxId < minId) throw trunkError(where, "minID is greater than maxID in trunk parameter");
      for (let vid = minId; vid <= maxId; vid++) vids.add(vid);
    } else if (maxId !== undefined) {
      throw trunkError(where, "minID and maxID should be configured simultaneously, minID is missing");
    } else if (minId !== undefined) {
      throw trunkError(where, "minID and maxID should be configured simultaneously, maxID is missing");
    }
    if (id !== undefined) {
      if (!isVlanId(id)) throw trunkError(where, "incorrect trunk id parameter");
      vids.add(id);
    }
  }
  const sorted = [...vids];
  sorted.sort((a, b) => a - b);
  return sorted;
}

function isVlanId(vid: number): boolean {
  return vid > 0 && vid <= MAX_VLAN_ID;
}

function trunkError(where: string, message: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `invalid "${where}": ${message}`);
}

/** A bridge name must be a valid interface name; the kernel's own refusal would come after IPAM. */
function requireInterfaceName(name: string): void {
  try {
    validateIfName(name);
  } catch (thrown) {
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "bridge" ${JSON.stringify(name)}: ${reason}`);
  }
}
