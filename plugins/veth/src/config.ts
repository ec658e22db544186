// The veth plugin's own config keys, read once per call on top of @cni/skel's NetConf. Every problem
// is a CNI error naming the key (code 7 for the config, code 4 for CNI_ARGS), found before IPAM runs.
import { CniError, ErrorCode, parseCniArgs, readKey, type CmdArgs } from "@cni/skel";
import { parseIpMasqBackend, type IpMasqBackend } from "@cni/plugin-kit";

export interface VethConfig {
  /** the IPAM plugin (required: veth has no address of its own to give) */
  ipamType: string;
  /** both ends of the pair; undefined = the kernel's default */
  mtu: number | undefined;
  ipMasq: boolean;
  ipMasqBackend: IpMasqBackend;
  /** IPv6 duplicate address detection on both ends (off by default: no 1.5–2 s wait) */
  enableDad: boolean;
}

/** Keys CNI_ARGS may hold for veth and the host-local it delegates to (anything else needs IgnoreUnknown). */
const KNOWN_CNI_ARGS = ["MAC", "IP"] as const;

/** The config keys every verb needs. Code 7 for a missing IPAM, a wrong type, a negative mtu, a bad backend. */
export function readVethConfig(args: CmdArgs): VethConfig {
  const raw = args.config.raw;
  const ipam = args.config.ipam;
  if (ipam === undefined) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `missing "ipam": veth needs an IPAM plugin to get its addresses`);
  }
  const ipamType = ipam.type ?? "";
  if (ipamType === "") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `missing "ipam.type": no IPAM plugin name provided`);
  }
  const mtu = readKey.integer(raw, "mtu");
  if (mtu !== undefined && mtu < 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "mtu" ${mtu}: must be 0 (the kernel's default) or more`);
  }
  return {
    ipamType,
    mtu: mtu === undefined || mtu === 0 ? undefined : mtu,
    ipMasq: readKey.boolean(raw, "ipMasq") ?? false,
    ipMasqBackend: parseIpMasqBackend(readKey.string(raw, "ipMasqBackend")),
    enableDad: readKey.boolean(raw, "enabledad") ?? false,
  };
}

/**
 * The container end's MAC, as the Go bridge reads it: `runtimeConfig.mac`, else `args.cni.mac`, else
 * `CNI_ARGS MAC=`; undefined when none is given (the kernel picks one). Lowercase `aa:bb:cc:dd:ee:ff`.
 */
export function readContainerMac(args: CmdArgs): string | undefined {
  const fromRuntime = readKey.string(args.config.runtimeConfig, "mac", "runtimeConfig");
  if (fromRuntime) return parseMac(fromRuntime, "runtimeConfig.mac", ErrorCode.InvalidNetworkConfig);
  const argsObject = readKey.object(args.config.raw, "args");
  const cni = argsObject === undefined ? undefined : readKey.object(argsObject, "cni", "args");
  const fromArgs = cni === undefined ? undefined : readKey.string(cni, "mac", "args.cni");
  if (fromArgs) return parseMac(fromArgs, "args.cni.mac", ErrorCode.InvalidNetworkConfig);
  if (args.args === "") return undefined;
  const fromEnv = parseCniArgs(args.args, KNOWN_CNI_ARGS).MAC;
  if (fromEnv) return parseMac(fromEnv, "CNI_ARGS MAC", ErrorCode.InvalidEnvironment);
  return undefined;
}

const MAC_BYTES = 6;

/** `aa:bb:cc:dd:ee:ff` (or with `-`), any case, as lowercase with colons; otherwise a CNI error naming `source`. */
export function parseMac(text: string, source: string, code: number): string {
  const invalid = (): CniError => new CniError(code, `invalid MAC address ${JSON.stringify(text)} in ${source}`, "expected six hex pairs such as 0a:58:0a:f4:00:02");
  if (text.length !== MAC_BYTES * 3 - 1) throw invalid();
  let mac = "";
  for (let i = 0; i < text.length; i += 3) {
    if (i > 0) {
      const separator = text[i - 1];
      if (separator !== ":" && separator !== "-") throw invalid();
      mac += ":";
    }
    const pair = text.slice(i, i + 2).toLowerCase();
    if (!isHexDigit(pair.charCodeAt(0)) || !isHexDigit(pair.charCodeAt(1))) throw invalid();
    mac += pair;
  }
  // A multicast source address (low bit of the first byte) cannot be a NIC's: the kernel refuses it late.
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw new CniError(code, `invalid MAC address ${JSON.stringify(text)} in ${source}`, "a multicast address cannot be an interface's");
  }
  return mac;
}

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_A_LOWER = 97;
const CHAR_F_LOWER = 102;

function isHexDigit(c: number): boolean {
  return (c >= CHAR_0 && c <= CHAR_9) || (c >= CHAR_A_LOWER && c <= CHAR_F_LOWER);
}
