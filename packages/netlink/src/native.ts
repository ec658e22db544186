// The addon functions @cni/netlink calls, with their argument and result types: the declaration the
// rest of this package is checked against. The Rust side (native/src/handlers/*.rs, one EXPORTS table per
// domain) must export exactly these plus @cni/host-files' (HostFilesNative); its test
// addon-exports.test.ts checks the Rust tables and the loaded binary against both lists.
import { loadedAddon } from "./addon";
import type { NftChain, NftFamily, NftOp, NftRule, NftTable } from "./nftables-types";
import type {
  Address,
  AddressOptions,
  BridgeOptions,
  BridgePortFlags,
  BridgePortInfo,
  Link,
  LinkRef,
  Route,
  RouteFilter,
  RouteSpec,
  VethOptions,
  Vlan,
  VlanOptions,
} from "./types";

/** Netlink protocol families `open` accepts (linux/netlink.h NETLINK_*). */
export const NetlinkProtocol = { route: 0, netfilter: 12 } as const;
export type NetlinkProtocol = (typeof NetlinkProtocol)[keyof typeof NetlinkProtocol];

/** What addrAdd/addrReplace/addrDel take: the address ("10.0.0.2/24") and its options. */
export interface AddressSpec extends AddressOptions {
  address: string;
}

/** What addrList filters on. */
export interface AddressFilter {
  link?: LinkRef;
  family?: 4 | 6;
}

/** The first argument of socket calls is the fd from `open`. */
export interface NetlinkNative {
  // sockets (handlers/socket.rs)
  open(nsPath: string | null, protocol?: NetlinkProtocol): number;
  close(fd: number): void;
  // links and bridge ports (handlers/link.rs)
  linkGet(fd: number, link: LinkRef): Link;
  linkList(fd: number): Link[];
  linkAddBridge(fd: number, opts: BridgeOptions): void;
  linkAddVeth(fd: number, opts: VethOptions): void;
  linkDel(fd: number, link: LinkRef): void;
  /** linkDel on a helper thread; returns the id requestWait takes */
  linkDelStart(fd: number, link: LinkRef): number;
  /** join a request a *Start function began; throws what it threw */
  requestWait(id: number): void;
  linkSetUp(fd: number, link: LinkRef): void;
  linkSetDown(fd: number, link: LinkRef): void;
  linkSetMtu(fd: number, link: LinkRef, mtu: number): void;
  linkSetMac(fd: number, link: LinkRef, mac: string): void;
  linkSetMaster(fd: number, link: LinkRef, master: LinkRef): void;
  linkSetNoMaster(fd: number, link: LinkRef): void;
  linkSetPromisc(fd: number, link: LinkRef, on: boolean): void;
  linkSetAllmulti(fd: number, link: LinkRef, on: boolean): void;
  linkSetNetns(fd: number, link: LinkRef, nsPath: string): void;
  linkSetName(fd: number, link: LinkRef, name: string): void;
  linkSetTxQLen(fd: number, link: LinkRef, len: number): void;
  linkSetAlias(fd: number, link: LinkRef, alias: string): void;
  bridgePortSetFlags(fd: number, link: LinkRef, flags: BridgePortFlags): void;
  bridgePortGet(fd: number, link: LinkRef): BridgePortInfo;
  // bridge VLANs (handlers/vlan.rs)
  bridgeVlanAdd(fd: number, link: LinkRef, vid: number, opts: VlanOptions): void;
  bridgeVlanDel(fd: number, link: LinkRef, vid: number, opts: Pick<VlanOptions, "self">): void;
  bridgeVlanList(fd: number, linkIndex?: number): Vlan[];
  // addresses (handlers/addr.rs)
  addrAdd(fd: number, link: LinkRef, spec: AddressSpec): void;
  addrReplace(fd: number, link: LinkRef, spec: AddressSpec): void;
  addrDel(fd: number, link: LinkRef, spec: AddressSpec): void;
  addrList(fd: number, filter: AddressFilter): Address[];
  // routes (handlers/route.rs)
  routeAdd(fd: number, spec: RouteSpec): void;
  routeReplace(fd: number, spec: RouteSpec): void;
  routeAppend(fd: number, spec: RouteSpec): void;
  routeDel(fd: number, spec: RouteSpec): void;
  routeList(fd: number, filter: RouteFilter): Route[];
  // named namespaces (handlers/netns.rs)
  netnsCreate(name: string): string;
  netnsDelete(name: string): void;
  netnsCheck(path: string): void;
  netnsIsNetns(path: string): boolean;
  netnsSame(a: string, b: string): boolean;
  // sysctls (handlers/sys.rs)
  sysctlGet(nsPath: string | null, key: string): string;
  sysctlSet(nsPath: string | null, key: string, value: string): void;
  /** keys: each NUL-terminated, concatenated */
  sysctlGetMany(nsPath: string | null, keys: string): string[];
  /** entries: key then value, each NUL-terminated, concatenated; returns the old values (null: unreadable) */
  sysctlExchange(nsPath: string | null, entries: string): (string | null)[];
  // nftables (handlers/nft.rs), on a NETLINK_NETFILTER socket
  nftCommit(fd: number, ops: readonly NftOp[]): void;
  nftListTables(fd: number, family: NftFamily | null): NftTable[];
  nftListChains(fd: number, family: NftFamily | null, table: string | null): NftChain[];
  nftListRules(fd: number, family: NftFamily, table: string, chain: string | null, commentPrefix: string | null): NftRule[];
  nftDeleteRulesByCommentPrefix(fd: number, family: NftFamily, table: string, chain: string, prefix: string): number;
  // conntrack (handlers/conntrack.rs), on a NETLINK_NETFILTER socket; returns how many entries it deleted
  conntrackDeleteByDstPort(fd: number, family: number, protocol: number, ports: readonly number[], replySource?: Uint8Array): number;
}

/** The names NetlinkNative declares, at run time (TypeScript rejects a missing or extra name here). */
export const NETLINK_NATIVE_FUNCTIONS = {
  open: true, close: true,
  linkGet: true, linkList: true, linkAddBridge: true, linkAddVeth: true, linkDel: true, linkDelStart: true, requestWait: true, linkSetUp: true,
  linkSetDown: true, linkSetMtu: true, linkSetMac: true, linkSetMaster: true, linkSetNoMaster: true,
  linkSetPromisc: true, linkSetAllmulti: true, linkSetNetns: true, linkSetName: true, linkSetTxQLen: true,
  linkSetAlias: true, bridgePortSetFlags: true, bridgePortGet: true,
  bridgeVlanAdd: true, bridgeVlanDel: true, bridgeVlanList: true,
  addrAdd: true, addrReplace: true, addrDel: true, addrList: true,
  routeAdd: true, routeReplace: true, routeAppend: true, routeDel: true, routeList: true,
  netnsCreate: true, netnsDelete: true, netnsCheck: true, netnsIsNetns: true, netnsSame: true,
  sysctlGet: true, sysctlSet: true, sysctlGetMany: true, sysctlExchange: true,
  nftCommit: true, nftListTables: true, nftListChains: true, nftListRules: true, nftDeleteRulesByCommentPrefix: true,
  conntrackDeleteByDstPort: true,
} as const satisfies Record<keyof NetlinkNative, true>;

/** The addon as this package uses it, loaded on first call. */
export function native(): NetlinkNative {
  return loadedAddon<NetlinkNative>();
}
