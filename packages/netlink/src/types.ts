/** A link named by its interface name or its index. */
export type LinkRef = string | number;

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

/** Link flags (IFF_*, linux/if.h) that `Link.flags` may hold and no boolean field of Link spells out. */
export const IFF_ALLMULTI = 0x200;

/** Route and address scopes (rtnetlink RT_SCOPE_*, as `ip route ... scope` names them). */
export const RT_SCOPE_UNIVERSE = 0;
/** on the link itself: a gateway reachable without a hop, an IPv6 link-local address */
export const RT_SCOPE_LINK = 253;
/** this host only */
export const RT_SCOPE_HOST = 254;

/** An address as addrList reports it. */
export interface Address {
  linkIndex: number;
  family: 4 | 6;
  /** the address without prefix, e.g. "10.0.0.1" */
  address: string;
  prefixLength: number;
  /** RT_SCOPE_*: 0 global (RT_SCOPE_UNIVERSE), 253 link, 254 host */
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
  /** point-to-point peer address ("10.0.0.2") */
  peer?: string;
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
  /** destination ("10.1.0.0/16"); absent = default route (then `gateway` or `family` says which family) */
  dst?: string;
  /** an address ("10.0.0.1"), as `src` */
  gateway?: string;
  link?: LinkRef;
  src?: string;
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
  dst?: string;
  gateway?: string;
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

// ---- the JS/Rust boundary, declared once ----
// The addon builds the objects above in Rust (native/src/js/build.rs); nothing at run time checks them.
// `Shape<T>` turns an interface into the record of its fields (JS type, optional or not, nested shapes),
// and each constant below must satisfy it: TypeScript rejects a missing, extra or mistyped field. The
// kernel test test/boundary.kernel.test.ts then checks real addon results against these records, so a
// field renamed or retyped on the Rust side fails a test instead of a plugin.

type FieldOf<V, Optional extends boolean> = [V] extends [string]
  ? { readonly kind: "string"; readonly optional: Optional }
  : [V] extends [number]
    ? { readonly kind: "number"; readonly optional: Optional }
    : [V] extends [boolean]
      ? { readonly kind: "boolean"; readonly optional: Optional }
      : [V] extends [ReadonlyArray<infer Item>]
        ? { readonly kind: "array"; readonly optional: Optional; readonly items: Shape<Item> }
        : { readonly kind: "object"; readonly optional: Optional; readonly shape: Shape<V> };

/** Every field of `T` with its JS type ("string" | "number" | "boolean" | "array" | "object") and optionality. */
export type Shape<T> = {
  readonly [K in keyof T]-?: FieldOf<NonNullable<T[K]>, object extends Pick<T, K> ? true : false>;
};

/** What `checkShape`-style code sees of any shape. */
export interface FieldDescription {
  readonly kind: "string" | "number" | "boolean" | "array" | "object";
  readonly optional: boolean;
  readonly items?: Readonly<Record<string, FieldDescription>>;
  readonly shape?: Readonly<Record<string, FieldDescription>>;
}

export const BRIDGE_PORT_INFO_FIELDS = {
  hairpin: { kind: "boolean", optional: true },
  isolated: { kind: "boolean", optional: true },
  learning: { kind: "boolean", optional: true },
  unicastFlood: { kind: "boolean", optional: true },
  state: { kind: "number", optional: true },
} as const satisfies Shape<BridgePortInfo>;

export const LINK_FIELDS = {
  index: { kind: "number", optional: false },
  name: { kind: "string", optional: false },
  kind: { kind: "string", optional: true },
  slaveKind: { kind: "string", optional: true },
  mtu: { kind: "number", optional: false },
  minMtu: { kind: "number", optional: true },
  maxMtu: { kind: "number", optional: true },
  mac: { kind: "string", optional: false },
  broadcast: { kind: "string", optional: true },
  permMac: { kind: "string", optional: true },
  up: { kind: "boolean", optional: false },
  promisc: { kind: "boolean", optional: false },
  flags: { kind: "number", optional: false },
  linkType: { kind: "number", optional: false },
  operstate: { kind: "string", optional: false },
  master: { kind: "number", optional: true },
  peerIndex: { kind: "number", optional: true },
  netnsId: { kind: "number", optional: true },
  txqlen: { kind: "number", optional: true },
  alias: { kind: "string", optional: true },
  vlanFiltering: { kind: "boolean", optional: true },
  bridgePort: { kind: "object", optional: true, shape: BRIDGE_PORT_INFO_FIELDS },
} as const satisfies Shape<Link>;

export const ADDRESS_FIELDS = {
  linkIndex: { kind: "number", optional: false },
  family: { kind: "number", optional: false },
  address: { kind: "string", optional: false },
  prefixLength: { kind: "number", optional: false },
  scope: { kind: "number", optional: false },
  flags: { kind: "number", optional: false },
  tentative: { kind: "boolean", optional: false },
  dadFailed: { kind: "boolean", optional: false },
  deprecated: { kind: "boolean", optional: false },
  permanent: { kind: "boolean", optional: false },
  nodad: { kind: "boolean", optional: false },
  peer: { kind: "string", optional: true },
  broadcast: { kind: "string", optional: true },
  label: { kind: "string", optional: true },
  validLft: { kind: "number", optional: true },
  preferredLft: { kind: "number", optional: true },
} as const satisfies Shape<Address>;

export const NEXT_HOP_FIELDS = {
  gateway: { kind: "string", optional: true },
  linkIndex: { kind: "number", optional: false },
  weight: { kind: "number", optional: false },
  flags: { kind: "number", optional: false },
} as const satisfies Shape<NextHop>;

export const ROUTE_FIELDS = {
  family: { kind: "number", optional: false },
  dst: { kind: "string", optional: false },
  gateway: { kind: "string", optional: true },
  linkIndex: { kind: "number", optional: true },
  src: { kind: "string", optional: true },
  scope: { kind: "number", optional: false },
  metric: { kind: "number", optional: true },
  table: { kind: "number", optional: false },
  protocol: { kind: "number", optional: false },
  type: { kind: "number", optional: false },
  flags: { kind: "number", optional: false },
  mtu: { kind: "number", optional: true },
  advmss: { kind: "number", optional: true },
  multipath: { kind: "array", optional: true, items: NEXT_HOP_FIELDS },
} as const satisfies Shape<Route>;

export const VLAN_FIELDS = {
  linkIndex: { kind: "number", optional: false },
  vid: { kind: "number", optional: false },
  pvid: { kind: "boolean", optional: false },
  untagged: { kind: "boolean", optional: false },
} as const satisfies Shape<Vlan>;
