// nftables expressions as nft 1.0.6 generates them for rule text (pure: no kernel). Each builder names the
// rule text it stands for; `nft --debug=netlink add rule ...` prints the same list, and the addon's
// encoder is checked byte for byte against nft (packages/netlink/native/src/nft/golden.rs). Values go
// through NFT_REG_1 (a nat's port through NFT_REG_2), as nft does, so `nft list ruleset` prints our rules
// as the text below.
import { NFT_REG_1, NFT_REG_2, type NftCmpOp, type NftExpr, type NftMetaKey, type NftPayloadBase, type NftVerdictCode } from "@cni/netlink";

export type IpFamily = 4 | 6;
export type TransportProtocol = "tcp" | "udp" | "sctp";

/** An address with the prefix length of its network (10.1.0.2/24), as bytes. */
export interface AddressWithPrefix {
  family: IpFamily;
  /** 4 or 16 bytes, network order */
  bytes: Uint8Array;
  prefix: number;
}

const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
const IPPROTO: Record<TransportProtocol, number> = { tcp: 6, udp: 17, sctp: 132 };
/** offsets of the source and destination address in the IPv4 / IPv6 header */
const ADDRESS_OFFSET: Record<IpFamily, Record<"saddr" | "daddr", number>> = {
  4: { saddr: 12, daddr: 16 },
  6: { saddr: 8, daddr: 24 },
};
/** offsets of the source and destination port in the TCP, UDP and SCTP headers */
const PORT_OFFSET: Record<"sport" | "dport", number> = { sport: 0, dport: 2 };
const PORT_BYTES = 2;
/** the Ethernet source address: bytes 6..11 of the link-layer header */
const ETHER_SADDR_OFFSET = 6;
const MAC_BYTES = 6;
/** IFNAMSIZ: nft compares iifname/oifname as a 16-byte, NUL-padded string */
const IFNAME_BYTES = 16;
/** NFTA_FIB_F_DADDR: look the destination address up */
const FIB_F_DADDR = 2;
/** RTN_LOCAL: the address type of the host's own addresses */
const RTN_LOCAL = 2;
/** conntrack state bits as nft's `ct state` compares them (NF_CT_STATE_*_BIT) */
const CT_STATE_BITS = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 } as const;
/** conntrack status bits (IPS_SRC_NAT, IPS_DST_NAT) */
const CT_STATUS_BITS = { snat: 0x10, dnat: 0x20 } as const;
export type CtState = keyof typeof CT_STATE_BITS;

// ---- the kernel's expressions, one each ----

/** `meta <key>` loaded into NFT_REG_1. */
export function meta(key: NftMetaKey): NftExpr {
  return { type: "meta", key, dreg: NFT_REG_1 };
}
/** NFT_REG_1 compared with `data`. */
export function cmp(op: NftCmpOp, data: Uint8Array): NftExpr {
  return { type: "cmp", op, sreg: NFT_REG_1, data };
}
/** `len` bytes at `offset` of a header loaded into NFT_REG_1. */
export function payload(base: NftPayloadBase, offset: number, len: number): NftExpr {
  return { type: "payload", base, offset, len, dreg: NFT_REG_1 };
}
/** NFT_REG_1 &= mask (over mask.length bytes). */
export function bitwiseAnd(mask: Uint8Array): NftExpr {
  return { type: "bitwise", sreg: NFT_REG_1, dreg: NFT_REG_1, len: mask.length, mask, xor: new Uint8Array(mask.length) };
}
export function immediate(dreg: number, data: Uint8Array): NftExpr {
  return { type: "immediate", dreg, data };
}
/** accept, drop, return, continue */
export function verdict(code: Exclude<NftVerdictCode, "jump" | "goto">): NftExpr {
  return { type: "verdict", verdict: code };
}
export function jump(chain: string): NftExpr {
  return { type: "verdict", verdict: "jump", chain };
}
export function goto(chain: string): NftExpr {
  return { type: "verdict", verdict: "goto", chain };
}
export function counter(): NftExpr {
  return { type: "counter" };
}
export function masquerade(): NftExpr {
  return { type: "masq" };
}

// ---- matches, as rule text ----

/** `meta nfproto ipv4|ipv6`: what nft puts before any ip/ip6 match in an inet table. */
export function nfprotoIs(family: IpFamily): NftExpr[] {
  return [meta("nfproto"), cmp("eq", Uint8Array.of(family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6))];
}

/** `meta l4proto tcp|udp|sctp`. */
export function l4protoIs(protocol: TransportProtocol): NftExpr[] {
  return [meta("l4proto"), cmp("eq", Uint8Array.of(IPPROTO[protocol]))];
}

/** `tcp|udp|sctp dport|sport <port>`. */
export function portEquals(protocol: TransportProtocol, which: "sport" | "dport", port: number): NftExpr[] {
  return [...l4protoIs(protocol), payload("transport", PORT_OFFSET[which], PORT_BYTES), cmp("eq", portBytes(port))];
}

/** `ip|ip6 saddr|daddr <addr>` (the whole address; in an inet table put nfprotoIs first). */
export function addressEquals(family: IpFamily, which: "saddr" | "daddr", bytes: Uint8Array): NftExpr[] {
  return [payload("network", ADDRESS_OFFSET[family][which], bytes.length), cmp("eq", bytes)];
}

/**
 * `ip daddr ==|!= <net>/<prefix>` as nft encodes it: a whole-byte prefix loads and compares just those
 * bytes; any other prefix loads the whole address and masks it first.
 */
export function addressInNetwork(which: "saddr" | "daddr", op: "eq" | "neq", net: AddressWithPrefix): NftExpr[] {
  const offset = ADDRESS_OFFSET[net.family][which];
  const network = networkBytes(net);
  if (net.prefix % 8 === 0 && net.prefix > 0) {
    const len = net.prefix / 8;
    return [payload("network", offset, len), cmp(op, network.slice(0, len))];
  }
  return [payload("network", offset, network.length), bitwiseAnd(prefixMask(network.length, net.prefix)), cmp(op, network)];
}

/** `iifname|oifname "<name>"`. */
export function interfaceNameEquals(key: "iifname" | "oifname", name: string): NftExpr[] {
  const bytes = new Uint8Array(IFNAME_BYTES);
  bytes.set(new TextEncoder().encode(name).subarray(0, IFNAME_BYTES - 1));
  return [meta(key), cmp("eq", bytes)];
}

/** `ether saddr <mac>` (bridge family). */
export function etherSourceEquals(mac: Uint8Array): NftExpr[] {
  return [payload("link", ETHER_SADDR_OFFSET, MAC_BYTES), cmp("eq", mac)];
}

/** `fib daddr type local`: the destination is one of the host's own addresses. */
export function fibDestinationIsLocal(): NftExpr[] {
  return [{ type: "fib", dreg: NFT_REG_1, result: "type", flags: FIB_F_DADDR }, cmp("eq", hostU32(RTN_LOCAL))];
}

/** `ct state <s1>,<s2>...` (any of them). */
export function ctStateIn(states: readonly CtState[]): NftExpr[] {
  let bits = 0;
  for (const state of states) bits |= CT_STATE_BITS[state];
  return ctBitsSet("state", bits);
}

/** `ct status snat|dnat`: the connection's source or destination was translated. */
export function ctStatusHas(status: keyof typeof CT_STATUS_BITS): NftExpr[] {
  return ctBitsSet("status", CT_STATUS_BITS[status]);
}

/** `ct mark <mark>`. */
export function ctMarkEquals(mark: number): NftExpr[] {
  return [{ type: "ct", key: "mark", dreg: NFT_REG_1 }, cmp("eq", hostU32(mark))];
}

// ---- actions ----

/** `dnat to <addr>[:<port>]` (`[v6]:port`): the address into NFT_REG_1, the port into NFT_REG_2. */
export function dnatTo(family: IpFamily, address: Uint8Array, port?: number): NftExpr[] {
  return natTo("dnat", family, address, port);
}

/** `snat to <addr>[:<port>]`. */
export function snatTo(family: IpFamily, address: Uint8Array, port?: number): NftExpr[] {
  return natTo("snat", family, address, port);
}

function natTo(kind: "snat" | "dnat", family: IpFamily, address: Uint8Array, port: number | undefined): NftExpr[] {
  const exprs: NftExpr[] = [immediate(NFT_REG_1, address)];
  if (port !== undefined) exprs.push(immediate(NFT_REG_2, portBytes(port)));
  exprs.push({
    type: "nat",
    nat: kind,
    family: family === 4 ? "ipv4" : "ipv6",
    addrReg: NFT_REG_1,
    ...(port !== undefined ? { protoReg: NFT_REG_2 } : {}),
  });
  return exprs;
}

// ---- values ----

/** The address with its host bits cleared. */
export function networkBytes(address: AddressWithPrefix): Uint8Array {
  const mask = prefixMask(address.bytes.length, address.prefix);
  const out = new Uint8Array(address.bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = (address.bytes[i] as number) & (mask[i] as number);
  return out;
}

function prefixMask(length: number, prefix: number): Uint8Array {
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const bits = prefix - 8 * i;
    mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return mask;
}

function portBytes(port: number): Uint8Array {
  return Uint8Array.of(port >> 8, port & 0xff);
}

/** ct and fib values are host-order 32-bit integers (nft prints them as 0x00000002). */
function hostU32(value: number): Uint8Array {
  return new Uint8Array(Uint32Array.of(value).buffer);
}

/** `ct <key> <bits>`: load, mask, compare with zero (as nft encodes a flag match). */
function ctBitsSet(key: "state" | "status", bits: number): NftExpr[] {
  return [{ type: "ct", key, dreg: NFT_REG_1 }, bitwiseAnd(hostU32(bits)), cmp("neq", new Uint8Array(4))];
}

/** "aa:bb:cc:dd:ee:ff" as 6 bytes. */
export function macBytes(mac: string): Uint8Array {
  const bytes = new Uint8Array(MAC_BYTES);
  for (let i = 0; i < MAC_BYTES; i++) bytes[i] = parseInt(mac.slice(i * 3, i * 3 + 2), 16);
  return bytes;
}
