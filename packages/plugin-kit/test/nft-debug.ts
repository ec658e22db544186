// Expressions printed the way libnftnl prints them for `nft --debug=netlink` (data as little-endian
// 32-bit words), so builders are compared with what nft 1.0.6 printed for the rule text they stand for.
import type { NftExpr } from "@cni/netlink";

function words(data: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) {
    let word = 0;
    for (let j = 3; j >= 0; j--) word = word * 256 + (i + j < data.length ? (data[i + j] as number) : 0);
    out.push("0x" + word.toString(16).padStart(8, "0"));
  }
  return out.join(" ");
}

const NAT_FAMILY = { ipv4: "ip", ipv6: "ip6" } as const;
/** NF_NAT_RANGE_PROTO_SPECIFIED: nft sends it with a port register */
const PROTO_SPECIFIED = 2;
/** NFTA_FIB_F_* as nft prints them */
const FIB_FLAGS: readonly [number, string][] = [[1, "saddr"], [2, "daddr"], [4, "mark"], [8, "iif"], [16, "oif"]];

export function debugLines(exprs: readonly NftExpr[]): string[] {
  return exprs.map((e) => {
    switch (e.type) {
      case "meta":
        return `[ meta load ${e.key} => reg ${e.dreg} ]`;
      case "payload":
        return `[ payload load ${e.len}b @ ${e.base} header + ${e.offset} => reg ${e.dreg} ]`;
      case "cmp":
        return `[ cmp ${e.op} reg ${e.sreg} ${words(e.data)} ]`;
      case "bitwise":
        return `[ bitwise reg ${e.dreg} = ( reg ${e.sreg} & ${words(e.mask)} ) ^ ${words(e.xor)} ]`;
      case "verdict":
        return `[ immediate reg 0 ${e.verdict}${e.chain === undefined ? "" : " -> " + e.chain} ]`;
      case "immediate":
        return `[ immediate reg ${e.dreg} ${words(e.data)} ]`;
      case "masq":
        return "[ masq ]";
      case "nat": {
        const flags = (e.flags ?? 0) | (e.protoReg !== undefined ? PROTO_SPECIFIED : 0);
        return (
          `[ nat ${e.nat} ${NAT_FAMILY[e.family]}` +
          (e.addrReg !== undefined ? ` addr_min reg ${e.addrReg}` : "") +
          (e.protoReg !== undefined ? ` proto_min reg ${e.protoReg}` : "") +
          (flags !== 0 ? ` flags 0x${flags.toString(16)}` : "") +
          " ]"
        );
      }
      case "fib": {
        const lookups = FIB_FLAGS.filter(([bit]) => (e.flags & bit) !== 0).map(([, name]) => name);
        return `[ fib ${lookups.join(" . ")} ${e.result} => reg ${e.dreg} ]`;
      }
      case "ct":
        return `[ ct load ${e.key} => reg ${e.dreg} ]`;
      case "counter":
        return "[ counter pkts 0 bytes 0 ]";
      default:
        return `[ ${e.type} ]`;
    }
  });
}
