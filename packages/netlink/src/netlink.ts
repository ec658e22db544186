// A handle on one network namespace's rtnetlink socket: one method per kernel request, all synchronous.
import { call, Errno, NetlinkError } from "./errors";
import { native, NetlinkProtocol, type AddressFilter, type NetlinkNative } from "./native";
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

/**
 * A netlink socket opened (once) inside one network namespace, or the caller's own: what Netlink
 * (rtnetlink) and Nftables (nfnetlink) share. Requests on a closed handle throw EBADF.
 */
export abstract class NetlinkSocketHandle {
  /** The namespace path this handle was opened in; null for the caller's own namespace. */
  readonly nsPath: string | null;
  #fd: number | undefined;
  /** Names the handle in the closed-handle error ("netlink", "nftables"). */
  readonly #kind: string;

  protected constructor(nsPath: string | null, protocol: NetlinkProtocol, kind: string) {
    this.#fd = call(() => native().open(nsPath, protocol));
    this.nsPath = nsPath;
    this.#kind = kind;
  }

  /** Close the socket (after a request still running in the background: it is waited for, its error dropped); further calls throw EBADF. */
  close(): void {
    if (this.#fd === undefined) return;
    if (this.#background !== undefined) {
      try {
        this.#wait(this.#background);
      } catch {
        // nobody waited for it: the caller is already failing for another reason
      }
    }
    const fd = this.#fd;
    this.#fd = undefined;
    call(() => native().close(fd));
  }

  /** The id of a request running on a helper thread on this socket (runInBackground), until waited for. */
  #background: number | undefined;

  protected run<T>(request: string, op: (addon: NetlinkNative, fd: number) => T): T {
    return call(() => op(native(), this.#usableFd(request)));
  }

  /**
   * Start a request on a helper thread and return at once; the handle takes no other request until its
   * wait(), which throws what the request threw.
   */
  protected runInBackground(request: string, start: (addon: NetlinkNative, fd: number) => number): PendingRequest {
    const id = call(() => start(native(), this.#usableFd(request)));
    this.#background = id;
    return { wait: (): void => this.#wait(id) };
  }

  #wait(id: number): void {
    if (this.#background !== id) return;
    this.#background = undefined;
    call(() => native().requestWait(id));
  }

  #usableFd(request: string): number {
    const fd = this.#fd;
    if (fd === undefined) {
      throw new NetlinkError(`${request}: ${this.#kind} handle is closed`, { errno: Errno.EBADF, code: "EBADF", request });
    }
    if (this.#background !== undefined) {
      throw new NetlinkError(`${request}: ${this.#kind} handle is busy with a request in the background (wait for it first)`, {
        errno: Errno.EBUSY,
        code: "EBUSY",
        request,
      });
    }
    return fd;
  }
}

/** A kernel request running on a helper thread (Netlink.linkDelInBackground). */
export interface PendingRequest {
  /** Wait for it; throws what the request threw. Waiting again does nothing. */
  wait(): void;
}

export class Netlink extends NetlinkSocketHandle {
  private constructor(nsPath: string | null) {
    super(nsPath, NetlinkProtocol.route, "netlink");
  }

  /**
   * A handle inside the namespace at `nsPath` (/var/run/netns/x, /proc/<pid>/ns/net). Its socket is
   * opened once, inside that namespace, and reused. A missing path throws code 'ENOENT'; a path that is
   * not a network namespace throws code 'ENOTNS' (errno EINVAL).
   */
  static at(nsPath: string): Netlink {
    return new Netlink(nsPath);
  }

  /** A handle on the calling process's own network namespace. */
  static current(): Netlink {
    return new Netlink(null);
  }

  /** A path naming this handle's namespace (for moving links here, comparing, ...). */
  get path(): string {
    // Opened by the calling thread, which is the thread current() ran on: JS is single-threaded here.
    return this.nsPath ?? "/proc/thread-self/ns/net";
  }

  // ---- links ----

  /** One link by name or index; a missing link throws code 'ENODEV'. */
  linkGet(link: LinkRef): Link {
    return this.run("linkGet", (n, fd) => n.linkGet(fd, link));
  }
  linkList(): Link[] {
    return this.run("linkList", (n, fd) => n.linkList(fd));
  }
  /** Create a bridge (EEXIST if the name is taken). */
  linkAddBridge(options: BridgeOptions): void {
    this.run("linkAddBridge", (n, fd) => n.linkAddBridge(fd, options));
  }
  /** Create a veth pair; with `peerNetns` the peer is created directly inside that namespace. */
  linkAddVeth(options: VethOptions): void {
    this.run("linkAddVeth", (n, fd) => n.linkAddVeth(fd, options));
  }
  linkDel(link: LinkRef): void {
    this.run("linkDel", (n, fd) => n.linkDel(fd, link));
  }
  /**
   * linkDel on a helper thread: the kernel's wait for a deleted device (an RCU grace period, ~10 ms) then
   * overlaps what the caller does next. The handle is busy until `wait()`, which throws what linkDel would.
   */
  linkDelInBackground(link: LinkRef): PendingRequest {
    return this.runInBackground("linkDel", (n, fd) => n.linkDelStart(fd, link));
  }
  linkSetUp(link: LinkRef): void {
    this.run("linkSetUp", (n, fd) => n.linkSetUp(fd, link));
  }
  linkSetDown(link: LinkRef): void {
    this.run("linkSetDown", (n, fd) => n.linkSetDown(fd, link));
  }
  linkSetMtu(link: LinkRef, mtu: number): void {
    this.run("linkSetMtu", (n, fd) => n.linkSetMtu(fd, link, mtu));
  }
  linkSetMac(link: LinkRef, mac: string): void {
    this.run("linkSetMac", (n, fd) => n.linkSetMac(fd, link, mac));
  }
  /** Enslave `link` to `master` (a bridge), by name or index. */
  linkSetMaster(link: LinkRef, master: LinkRef): void {
    this.run("linkSetMaster", (n, fd) => n.linkSetMaster(fd, link, master));
  }
  linkSetNoMaster(link: LinkRef): void {
    this.run("linkSetNoMaster", (n, fd) => n.linkSetNoMaster(fd, link));
  }
  linkSetPromisc(link: LinkRef, on: boolean): void {
    this.run("linkSetPromisc", (n, fd) => n.linkSetPromisc(fd, link, on));
  }
  /** Receive all multicast packets (IFF_ALLMULTI), as `ip link set ... allmulticast on|off`. */
  linkSetAllmulti(link: LinkRef, on: boolean): void {
    this.run("linkSetAllmulti", (n, fd) => n.linkSetAllmulti(fd, link, on));
  }
  /** Move `link` into another namespace (a path, or another handle's namespace). */
  linkSetNetns(link: LinkRef, target: string | Netlink): void {
    const nsPath = typeof target === "string" ? target : target.path;
    this.run("linkSetNetns", (n, fd) => n.linkSetNetns(fd, link, nsPath));
  }
  /** Rename `link` (the kernel wants it down). */
  linkSetName(link: LinkRef, name: string): void {
    this.run("linkSetName", (n, fd) => n.linkSetName(fd, link, name));
  }
  linkSetTxQLen(link: LinkRef, txqlen: number): void {
    this.run("linkSetTxQLen", (n, fd) => n.linkSetTxQLen(fd, link, txqlen));
  }
  linkSetAlias(link: LinkRef, alias: string): void {
    this.run("linkSetAlias", (n, fd) => n.linkSetAlias(fd, link, alias));
  }

  // ---- bridge ports ----

  /** Set bridge-port flags (AF_BRIDGE IFLA_PROTINFO); flags left undefined are unchanged. */
  bridgePortSetFlags(link: LinkRef, flags: BridgePortFlags): void {
    this.run("bridgePortSetFlags", (n, fd) => n.bridgePortSetFlags(fd, link, { ...flags }));
  }
  /** The port's flags; EINVAL when `link` is not a bridge port. */
  bridgePortGet(link: LinkRef): BridgePortInfo {
    return this.run("bridgePortGet", (n, fd) => n.bridgePortGet(fd, link));
  }
  bridgeVlanAdd(link: LinkRef, vid: number, options: VlanOptions = {}): void {
    this.run("bridgeVlanAdd", (n, fd) => n.bridgeVlanAdd(fd, link, vid, { ...options }));
  }
  bridgeVlanDel(link: LinkRef, vid: number, options: Pick<VlanOptions, "self"> = {}): void {
    this.run("bridgeVlanDel", (n, fd) => n.bridgeVlanDel(fd, link, vid, { ...options }));
  }
  /** VLANs of every bridge port (and bridge), or of the link with this index. */
  bridgeVlanList(linkIndex?: number): Vlan[] {
    return this.run("bridgeVlanList", (n, fd) => n.bridgeVlanList(fd, linkIndex));
  }

  // ---- addresses ----

  /** Add `address` ("10.0.0.2/24") to `link`; EEXIST if present. */
  addrAdd(link: LinkRef, address: string, options: AddressOptions = {}): void {
    this.run("addrAdd", (n, fd) => n.addrAdd(fd, link, { ...options, address }));
  }
  /** Add or update `address` on `link`. */
  addrReplace(link: LinkRef, address: string, options: AddressOptions = {}): void {
    this.run("addrReplace", (n, fd) => n.addrReplace(fd, link, { ...options, address }));
  }
  /** Remove `address` (with its prefix length) from `link`; EADDRNOTAVAIL if absent. */
  addrDel(link: LinkRef, address: string, options: Pick<AddressOptions, "prefixLength"> = {}): void {
    this.run("addrDel", (n, fd) => n.addrDel(fd, link, { ...options, address }));
  }
  addrList(filter: AddressFilter = {}): Address[] {
    return this.run("addrList", (n, fd) => n.addrList(fd, { ...filter }));
  }

  // ---- routes ----

  /** Add a route; EEXIST if the same route exists. */
  routeAdd(route: RouteSpec): void {
    this.run("routeAdd", (n, fd) => n.routeAdd(fd, route));
  }
  /** Add or replace the route to `dst` (same table, metric). */
  routeReplace(route: RouteSpec): void {
    this.run("routeReplace", (n, fd) => n.routeReplace(fd, route));
  }
  /** Add a route next to existing ones to the same destination (IPv6: becomes an ECMP next hop). */
  routeAppend(route: RouteSpec): void {
    this.run("routeAppend", (n, fd) => n.routeAppend(fd, route));
  }
  /** Delete the first route matching the given fields (any scope/protocol/type unless given); ESRCH if none. */
  routeDel(route: RouteSpec): void {
    this.run("routeDel", (n, fd) => n.routeDel(fd, route));
  }
  /** Routes of the main table (or `table`, 0 = all), optionally only those matching dst/gateway/link. */
  routeList(filter: RouteFilter = {}): Route[] {
    return this.run("routeList", (n, fd) => n.routeList(fd, { ...filter }));
  }

  // ---- sysctls (inside this handle's namespace) ----

  /** Read a sysctl ("net.ipv4.ip_forward" or "net/ipv4/conf/eth0.100/forwarding"), trailing newline removed. */
  sysctlGet(key: string): string {
    return call(() => native().sysctlGet(this.nsPath, key));
  }
  sysctlSet(key: string, value: string | number): void {
    call(() => native().sysctlSet(this.nsPath, key, String(value)));
  }
  /**
   * Read several sysctls on one trip into the namespace (one helper thread, not one per key), in the
   * order given. A failure throws for the whole call, naming the key (`subject`).
   */
  sysctlGetMany(keys: readonly string[]): string[] {
    return call(() => native().sysctlGetMany(this.nsPath, nulTerminated(keys)));
  }
  /**
   * Set several sysctls, in order, on one trip into the namespace; returns the values they had (null for a
   * key that can be written but not read). A key already holding its value is not written. All or
   * nothing: when a write fails, the keys written before it get their old values back before the error
   * (naming the failed key as `subject`) is thrown.
   */
  sysctlExchange(entries: ReadonlyArray<readonly [key: string, value: string]>): (string | null)[] {
    const flat: string[] = [];
    for (const [key, value] of entries) flat.push(key, value);
    return call(() => native().sysctlExchange(this.nsPath, nulTerminated(flat)));
  }
}

/** Strings as the addon takes a list: each followed by a NUL (none of them may hold one). */
function nulTerminated(items: readonly string[]): string {
  let joined = "";
  for (const item of items) {
    if (item.includes("\0")) throw new NetlinkError(`a NUL byte in ${JSON.stringify(item)}`, { errno: Errno.EINVAL, code: "EINVAL", request: "sysctl" });
    joined += `${item}\0`;
  }
  return joined;
}
