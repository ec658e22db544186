// The container end's MAC address as the runtime may request it (bridge and veth both honour it): read
// from the three places the Go bridge reads it, validated before anything is created.
import { CniError, ErrorCode, parseCniArgs, readKey, type CmdArgs } from "@cni/skel";

/** Keys CNI_ARGS may hold for these plugins and the host-local they delegate to (anything else needs IgnoreUnknown). */
const KNOWN_CNI_ARGS = ["MAC", "IP"] as const;

/**
 * The container end's MAC, as the Go bridge reads it: `runtimeConfig.mac` beats `args.cni.mac`, which
 * beats `CNI_ARGS MAC=`; undefined when none is given (the kernel picks one). Lowercase with colons.
 * A malformed one is code 7 (code 4 from CNI_ARGS), naming where it came from.
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
  const invalid = (): CniError =>
    new CniError(code, `invalid MAC address ${JSON.stringify(text)} in ${source}`, "expected six hex pairs such as 0a:58:0a:f4:00:02");
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
