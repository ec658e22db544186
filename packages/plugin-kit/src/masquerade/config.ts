import { CniError, ErrorCode } from "@cni/skel";

/** Where masquerade rules go: nftables over netlink (the default) or the iptables CLI. */
export type IpMasqBackend = "nftables" | "iptables";

/**
 * The `ipMasqBackend` config field of bridge / veth: unset means nftables; anything but "nftables" or
 * "iptables" is a code-7 error naming the field.
 */
export function parseIpMasqBackend(value: unknown): IpMasqBackend {
  if (value === undefined || value === null) return "nftables";
  if (value === "nftables" || value === "iptables") return value;
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `invalid ipMasqBackend ${JSON.stringify(value)}: must be "nftables" or "iptables"`,
  );
}
