// The veth plugin's own config keys, read once per call on top of @cni/skel's NetConf. Every problem
// is a CNI error naming the key (code 7), found before IPAM runs.
import { CniError, ErrorCode, readKey, type CmdArgs } from "@cni/skel";
import { parseIpMasqBackend, readMtu, type IpMasqBackend } from "@cni/plugin-kit";

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
  return {
    ipamType,
    mtu: readMtu(raw),
    ipMasq: readKey.boolean(raw, "ipMasq") ?? false,
    ipMasqBackend: parseIpMasqBackend(readKey.string(raw, "ipMasqBackend")),
    enableDad: readKey.boolean(raw, "enabledad") ?? false,
  };
}
