import type { Address4, Address6 } from "ip-address";

/** A link named by its interface name or its index. */
export type LinkRef = string | number;

/** An IP address or CIDR: text ("10.0.0.1", "10.0.0.0/24", "fd00::1/64") or an ip-address value. */
export type IpValue = string | Address4 | Address6;

export interface BridgePortFlags {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
  unicastFlood?: boolean;
}
export interface BridgePortInfo extends BridgePortFlags {
  /** STP port state (0 disabled .. 4 blocking; 3 forwarding). */
  state?: number;
}

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: "veth", "bridge", ... (absent for physical devices and lo) */
  kind?: string;
  /** "bridge" when the link is a bridge port */
  slaveKind?: string;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  /** "aa:bb:cc:dd:ee:ff" ("" when the link has no hardware address) */
  mac: string;
  broadcast?: string;
  permMac?: string;
  up: boolean;
  promisc: boolean;
  /** IFF_* flags */
  flags: number;
  /** ARPHRD_* (1 ethernet, 772 loopback) */
  linkType: number;
  /** "up", "down", "lowerlayerdown", "unknown", ... */
  operstate: string;
  master?: number;
  /** IFLA_LINK: for a veth, the peer's index (in the peer's namespace) */
  peerIndex?: number;
  /** IFLA_LINK_NETNSID: the id, in this namespace, of the namespace the peer lives in */
  netnsId?: number;
  txqlen?: number;
  alias?: string;
  /** bridges only */
  vlanFiltering?: boolean;
  /** bridge ports only */
  bridgePort?: BridgePortInfo;
}

/** An address as addrList reports it; `addressToIp(a)` gives it as an ip-address value. */
export interface Address {
  linkIndex: number;
  family: 4 | 6;
  /** the address without prefix, e.g. "10.0.0.1" */
  address: string;
  prefixLength: number;
  /** RT_SCOPE_*: 0 global, 253 link, 254 host */
  scope: number;
  /** IFA_F_* flags */
  flags: number;
  tentative: boolean;
  dadFailed: boolean;
  deprecated: boolean;
  permanent: boolean;
  nodad: boolean;
  peer?: string;
  broadcast?: string;
  label?: string;
  validLft?: number;
  preferredLft?: number;
}

export interface AddressOptions {
  /** override the prefix length of `address` */
  prefixLength?: number;
  /** point-to-point peer address */
  peer?: IpValue;
  /** IPv4 broadcast; computed for prefixes shorter than /31 unless given or `noBroadcast` */
  broadcast?: string;
  noBroadcast?: boolean;
  label?: string;
  /** IPv6: skip duplicate address detection */
  nodad?: boolean;
  noprefixroute?: boolean;
  scope?: number;
  validLft?: number;
  preferredLft?: number;
}

export interface NextHop {
  gateway?: string;
  linkIndex: number;
  weight: number;
  flags: number;
}

export interface Route {
  family: 4 | 6;
  /** "10.0.0.0/24"; "0.0.0.0/0" or "::/0" for a default route */
  dst: string;
  gateway?: string;
  linkIndex?: number;
  /** preferred source (RTA_PREFSRC) */
  src?: string;
  scope: number;
  metric?: number;
  table: number;
  protocol: number;
  type: number;
  flags: number;
  mtu?: number;
  advmss?: number;
  /** ECMP next hops (RTA_MULTIPATH) */
  multipath?: NextHop[];
}

export interface RouteSpec {
  /** destination; absent = default route (then `gateway` or `family` says which family) */
  dst?: IpValue;
  gateway?: IpValue;
  link?: LinkRef;
  src?: IpValue;
  /** RT_SCOPE_*; adds default to universe (0), deletes match any scope */
  scope?: number;
  metric?: number;
  mtu?: number;
  advmss?: number;
  /** default main (254) */
  table?: number;
  /** RTPROT_*; default boot (3) */
  protocol?: number;
  /** RTN_*; default unicast (1) */
  type?: number;
  onlink?: boolean;
  family?: 4 | 6;
}

export interface RouteFilter {
  family?: 4 | 6;
  /** default main (254); 0 = every table */
  table?: number;
  dst?: IpValue;
  gateway?: IpValue;
  link?: LinkRef;
}

export interface BridgeOptions {
  name: string;
  mtu?: number;
  mac?: string;
  txqlen?: number;
  vlanFiltering?: boolean;
  up?: boolean;
}

export interface VethOptions {
  name: string;
  peerName: string;
  mtu?: number;
  mac?: string;
  /** defaults to `mtu` */
  peerMtu?: number;
  peerMac?: string;
  /** create the peer directly inside this namespace (a path such as /var/run/netns/x) */
  peerNetns?: string;
  txqlen?: number;
  /** bring `name` up at creation (the peer cannot be: the kernel answers ENOTCONN; set it up afterwards) */
  up?: boolean;
}

export interface Vlan {
  linkIndex: number;
  vid: number;
  pvid: boolean;
  untagged: boolean;
}

export interface VlanOptions {
  pvid?: boolean;
  untagged?: boolean;
  /** act on the bridge device itself (BRIDGE_FLAGS_SELF) */
  self?: boolean;
}
