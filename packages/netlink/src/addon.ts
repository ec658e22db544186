// Loading the Rust addon (packages/netlink/native -> rtnetlink.node), lazily on first use so that a
// plugin's VERSION never pays for it.
//
// The literal `require("../rtnetlink.node")` matters: esbuild (--format=cjs --external:*.node) keeps it in
// the bundle, and `bun build --compile` then embeds build/rtnetlink.node. Under vitest (ESM) `require`
// is undefined (a ReferenceError) and createRequire resolves the same file relative to this module.
import type { NftOp } from "./nftables-types";
import type { BridgeOptions, DirectoryEntry, FileIdentity, FileStatus, VethOptions } from "./types";

type Obj = Record<string, unknown>;

/** Netlink protocol families `open` accepts (linux/netlink.h NETLINK_*). */
export const NetlinkProtocol = { route: 0, netfilter: 12 } as const;
export type NetlinkProtocol = (typeof NetlinkProtocol)[keyof typeof NetlinkProtocol];

/**
 * What the addon exports (see native/src/handlers/*.rs, one EXPORTS table per domain); the first argument
 * of socket calls is the fd from `open`.
 */
export interface NativeAddon {
  open(nsPath: string | null, protocol?: NetlinkProtocol): number;
  close(fd: number): void;
  linkGet(fd: number, link: string | number): Obj;
  linkList(fd: number): Obj[];
  linkAddBridge(fd: number, opts: BridgeOptions): void;
  linkAddVeth(fd: number, opts: VethOptions): void;
  linkDel(fd: number, link: string | number): void;
  linkSetUp(fd: number, link: string | number): void;
  linkSetDown(fd: number, link: string | number): void;
  linkSetMtu(fd: number, link: string | number, mtu: number): void;
  linkSetMac(fd: number, link: string | number, mac: string): void;
  linkSetMaster(fd: number, link: string | number, master: string | number): void;
  linkSetNoMaster(fd: number, link: string | number): void;
  linkSetPromisc(fd: number, link: string | number, on: boolean): void;
  linkSetNetns(fd: number, link: string | number, nsPath: string): void;
  linkSetName(fd: number, link: string | number, name: string): void;
  linkSetTxQLen(fd: number, link: string | number, len: number): void;
  linkSetAlias(fd: number, link: string | number, alias: string): void;
  bridgePortSetFlags(fd: number, link: string | number, flags: Obj): void;
  bridgePortGet(fd: number, link: string | number): Obj;
  bridgeVlanAdd(fd: number, link: string | number, vid: number, opts: Obj): void;
  bridgeVlanDel(fd: number, link: string | number, vid: number, opts: Obj): void;
  bridgeVlanList(fd: number, linkIndex?: number): Obj[];
  addrAdd(fd: number, link: string | number, spec: Obj): void;
  addrReplace(fd: number, link: string | number, spec: Obj): void;
  addrDel(fd: number, link: string | number, spec: Obj): void;
  addrList(fd: number, filter: Obj): Obj[];
  routeAdd(fd: number, spec: Obj): void;
  routeReplace(fd: number, spec: Obj): void;
  routeAppend(fd: number, spec: Obj): void;
  routeDel(fd: number, spec: Obj): void;
  routeList(fd: number, filter: Obj): Obj[];
  netnsCreate(name: string): string;
  netnsDelete(name: string): void;
  netnsCheck(path: string): void;
  netnsIsNetns(path: string): boolean;
  netnsSame(a: string, b: string): boolean;
  /** argv and env: NUL-terminated strings concatenated; returns the exit status (128+signal if killed) */
  netnsExec(nsPath: string, executable: string, argv: Uint8Array, env: Uint8Array): number;
  sysctlGet(nsPath: string | null, key: string): string;
  sysctlSet(nsPath: string | null, key: string, value: string): void;
  flock(fd: number, mode: string, tryOnly: boolean): boolean;
  readFd(fd: number, maxBytes: number): Buffer;
  writeFd(fd: number, data: string | Uint8Array): void;
  fileIdentity(path: string): FileIdentity;
  // files (handlers/file.rs): what host-local's store and lock need without node:fs
  fileOpen(path: string, flags: number, mode: number): number;
  fileClose(fd: number): void;
  fileRead(path: string, maxBytes: number, asText: true, missingOk?: false): string;
  fileRead(path: string, maxBytes: number, asText: false, missingOk?: false): Buffer;
  fileRead(path: string, maxBytes: number, asText: true, missingOk: true): string | null;
  fileRead(path: string, maxBytes: number, asText: false, missingOk: true): Buffer | null;
  fileWrite(path: string, data: string | Uint8Array, mode: number, exclusive: boolean): void;
  fileUnlink(path: string): void;
  fileRename(from: string, to: string): void;
  fileStat(path: string): FileStatus;
  fileSetTimes(path: string, seconds: number | null, nanoseconds: number): void;
  fileAccess(path: string, mode: "exists" | "read" | "write" | "execute"): void;
  dirCreate(path: string, mode: number): void;
  dirRemoveTree(path: string): void;
  dirList(path: string): DirectoryEntry[];
  // nftables (handlers/nft.rs), on a NETLINK_NETFILTER socket
  nftCommit(fd: number, ops: readonly NftOp[]): void;
  nftListTables(fd: number, family: string | null): Obj[];
  nftListChains(fd: number, family: string | null, table: string | null): Obj[];
  nftListRules(fd: number, family: string, table: string, chain: string | null, commentPrefix: string | null): Obj[];
  nftDeleteRulesByCommentPrefix(fd: number, family: string, table: string, chain: string, prefix: string): number;
}

let loaded: NativeAddon | undefined;

/** The addon, loaded on first call. */
export function native(): NativeAddon {
  loaded ??= loadAddon();
  return loaded;
}

function requireAddon(): NativeAddon {
  // Not `typeof require === "function"`: in a Bun executable that test alone costs ~0.4 ms per start, as it
  // makes the runtime build a full `require` for the bundle. Under ESM the bare name is a ReferenceError.
  try {
    return require("../rtnetlink.node") as NativeAddon;
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return esmRequire()("../rtnetlink.node") as NativeAddon;
  }
}

// A Bun-compiled executable writes its embedded addon to $TMPDIR (read once at start-up, default /tmp) and
// dlopens it there. On nodes that mount /tmp noexec that fails (and Bun remembers the failed module, so
// requiring again is pointless). Then we copy the embedded file ourselves into a private directory under
// the first of these that allows exec, and dlopen it from there.
const FALLBACK_DIRS = ["/dev/shm", "/run", "/var/run", "/var/lib/cni", "/var/tmp"];

interface BunRuntime {
  embeddedFiles?: ReadonlyArray<Blob & { name?: string }>;
}

function loadAddon(): NativeAddon {
  try {
    return requireAddon();
  } catch (failure) {
    const bun = (globalThis as { Bun?: BunRuntime }).Bun;
    const embedded = bun?.embeddedFiles?.find((file) => file.name?.endsWith(".node") === true)?.name;
    if (embedded === undefined) throw failure;
    for (const base of FALLBACK_DIRS) {
      try {
        return dlopenCopy(`/$bunfs/root/${embedded}`, `${base}/cni-rtnetlink`, embedded);
      } catch {
        // not writable, noexec, or missing: next candidate
      }
    }
    throw failure;
  }
}

/**
 * Copy the embedded addon to `dir/name` and dlopen it. An existing copy of the same size is reused: Bun's
 * name for the embedded file carries a content hash.
 */
function dlopenCopy(embeddedPath: string, dir: string, name: string): NativeAddon {
  // node:fs is fetched here, not imported: importing it costs a compiled executable ~3 ms at start-up.
  const fs = process.getBuiltinModule("node:fs");
  // Only the private leaf is created: a missing base directory (say /var/lib/cni) rules the candidate out.
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
  // Some bases are world-writable (/dev/shm): a directory someone else made there, or could write into,
  // could hand us their library to dlopen (as root). Only a private directory of our own is trusted.
  const info = fs.lstatSync(dir);
  if (!info.isDirectory() || info.uid !== process.geteuid?.() || (info.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
  const target = `${dir}/${name}`;
  const bytes = fs.readFileSync(embeddedPath);
  let present = false;
  try {
    present = fs.statSync(target).size === bytes.length;
  } catch {
    // not there yet
  }
  if (!present) {
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, bytes, { mode: 0o700 });
    fs.renameSync(temporary, target);
  }
  const module = { exports: {} as NativeAddon };
  try {
    process.dlopen(module, target);
  } catch (failure) {
    fs.rmSync(target, { force: true });
    throw failure;
  }
  return module.exports;
}

/** `require` for ESM callers (vitest): node:module fetched on use, since importing it slows start-up. */
function esmRequire(): NodeJS.Require {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url);
}
