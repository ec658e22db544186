// The lease store: the Go plugin's on-disk format, plus a private index that keeps ADD and DEL
// from reading every lease file.
//
// The truth (byte-compatible with the Go host-local, which may share the node):
//   <dataDir>/<network>/<ip>                  one lease: "<containerID>\r\n<ifname>" (old files: "<containerID>"),
//                                             created O_EXCL, mode 0600, named by the canonical address text
//   <dataDir>/<network>/last_reserved_ip.<n>  the address last reserved in range set n
//   <dataDir>/<network>/lock                  empty; flock(LOCK_EX) around every operation
//
// The index (ours only; Go never looks there — a name starting with '.' is never a network name):
//   <dataDir>/.host-local-index/<network>/state        {"mtimeNs": m, "ino": i}: the index matches the
//                                                     network directory when its mtime is m and inode i
//   <dataDir>/.host-local-index/<network>/owners-XXX   1024 buckets by hash of a lease's content:
//                                                     {"<content>": ["<lease file name>", ...]}
//   <dataDir>/.host-local-index/<network>/used4-XXXXXXXX, used6-X{32}
//                                                     one bit per address of an aligned 65536-address
//                                                     block: a lease file with that name exists
//
// How it stays right: every change to the network directory happens under the flock. At the end of
// an operation that changed it, we set the directory's mtime to a sentinel one second in the past with
// random microseconds, and record it to the nanosecond. The kernel only ever stamps "now", which is later,
// so anybody else creating or deleting a file there (the Go plugin, a person) moves the mtime away from
// it, and one stat() tells. (The directory's mtime stays recent, so age-based cleanup is not misled.) Then, and when
// the state is missing or a lookup finds a lease that does not say what the index says, we rebuild
// with one full walk (O(n), once). A lookup is verified by reading the one lease file it names.
// If the index cannot be written, the operation still works from the walk it just did.
//
// Costs with a valid index: ADD reads state + one or two buckets + one bitmap block and creates the
// lease; DEL reads the same and unlinks; neither depends on the number of leases. GC walks.
//
// Every file operation goes through @cni/netlink's addon (loaded anyway for the flock), not node:fs: loading
// node:fs costs a compiled plugin start-up time on every call.
import {
  checkAccess,
  fileStatus,
  listDirectory,
  makeDirectory,
  readFileBytesIfExists,
  readTextFile,
  readTextFileIfExists,
  removeFile,
  removeTree,
  setFileTimes,
  writeFile,
} from "@cni/netlink";
import { CniError, ErrorCode, type Family, type IPAddr, formatIP, isValidName, parseIP } from "@cni/skel";
import type { LeaseBook } from "./allocator";

/** An exclusive lock on a directory, held until `release()`. */
export interface DirLock {
  release(): void;
}
/** Take the lock of a network directory (`<dir>/lock`, blocking). */
export type LockDir = (dir: string) => DirLock;

/** `dir/name`; node:path is not imported for it (start-up). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

export const INDEX_DIR_NAME = ".host-local-index";
const LAST_RESERVED_PREFIX = "last_reserved_ip.";
const LOCK_FILE = "lock";
const BUCKETS = 1024;
const BLOCK_BITS = 16n;
const BLOCK_BYTES = 1 << (Number(BLOCK_BITS) - 3);
/** Lease files hold "<containerID>\r\n<ifname>": anything larger is not one of ours (nor Go's). */
const MAX_LEASE_BYTES = 64 * 1024;
/** last_reserved_ip.N and the index's state: an address, or two decimal numbers. */
const MAX_SMALL_FILE_BYTES = 4096;
/** An owners bucket: 1/1024 of the owners, each a few dozen bytes. Larger is damage: rebuild. */
const MAX_BUCKET_BYTES = 16 * 1024 * 1024;
const LEASE_MODE = 0o600;
const INDEX_FILE_MODE = 0o600;
const INDEX_DIR_MODE = 0o700;
const NETWORK_DIR_MODE = 0o755;

/** One lease file as found on disk. */
export interface Lease {
  /** the file name (the address text) */
  name: string;
  ip: IPAddr;
  /** trimmed content: "<id>\r\n<ifname>", or "<id>" in the old format, or anything else when damaged */
  owner: string;
}

/** The content a lease of (containerId, ifName) holds, trimmed the way Go compares it. */
export function leaseOwner(containerId: string, ifName: string): string {
  return `${containerId.trim()}\r\n${ifName}`;
}

/** The errno code ('ENOENT', 'EACCES', ...) of what a file operation threw (a NetlinkError). */
function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function ioError(what: string, err: unknown): CniError {
  return new CniError(ErrorCode.IOFailure, `${what}: ${errnoOf(err) ?? String(err)}`);
}

interface IndexState {
  /** the network directory's mtime in nanoseconds (decimal) and inode when the index was saved */
  mtimeNs: string;
  ino: string;
}

export class DiskStore implements LeaseBook {
  readonly networkDir: string;
  private readonly indexDir: string;
  private locked = false;
  // in-memory view of the index during one locked operation
  private state: IndexState | undefined;
  private buckets = new Map<number, Record<string, string[]>>();
  private blocks = new Map<string, Uint8Array | null>();
  private dirtyBuckets = new Set<number>();
  private dirtyBlocks = new Set<string>();
  /** everything is in memory (after a rebuild): a missing bucket or block is empty, no file read */
  private complete = false;
  /** we created or removed a file in the network directory during this operation */
  private directoryChanged = false;
  /** the index directory is known to exist (its state file was read in this operation) */
  private indexDirExists = false;

  private constructor(
    dataDir: string,
    network: string,
    private readonly lockDir: LockDir,
  ) {
    this.networkDir = joinPath(dataDir, network);
    this.indexDir = joinPath(joinPath(dataDir, INDEX_DIR_NAME), network);
  }

  /** Open (creating the directory if needed) the store of `network` under `dataDir`. */
  static open(dataDir: string, network: string, lockDir: LockDir): DiskStore {
    // skel has checked the name already; the store builds paths from it, so it checks again itself
    if (!isValidName(network)) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", network);
    }
    const store = new DiskStore(dataDir, network, lockDir);
    try {
      makeDirectory(store.networkDir, NETWORK_DIR_MODE);
    } catch (err) {
      throw ioError(`cannot create data directory ${store.networkDir}`, err);
    }
    // A directory another user owns or can write is not trusted: they could delete a lease (its address is
    // then handed out twice) or plant links. One stat per call.
    let owner: number;
    let mode: number;
    try {
      ({ uid: owner, mode } = fileStatus(store.networkDir));
    } catch (err) {
      throw ioError(`cannot read data directory ${store.networkDir}`, err);
    }
    if (owner !== process.geteuid?.() || (mode & 0o022) !== 0) {
      throw new CniError(
        ErrorCode.IOFailure,
        `data directory ${store.networkDir} is writable by another user`,
        `owner uid ${owner}, mode ${mode.toString(8)}`,
      );
    }
    return store;
  }

  /** Run `fn` holding the network's lock, with the index checked first and saved after. */
  withLock<T>(fn: () => T): T {
    const lock = this.lockDir(this.networkDir);
    this.locked = true;
    try {
      this.loadIndexState();
      return fn();
    } finally {
      try {
        this.saveIndex();
      } finally {
        this.resetIndexView();
        this.locked = false;
        lock.release();
      }
    }
  }

  // ---- LeaseBook (the allocator's view) ----

  reserve(ip: IPAddr, containerId: string, ifName: string, setIndex: number): boolean {
    this.assertLocked();
    const name = formatIP(ip);
    const owner = leaseOwner(containerId, ifName);
    const path = joinPath(this.networkDir, name);
    try {
      // O_EXCL, as Go's; a lease that cannot be written whole is removed again by the addon
      writeFile(path, owner, { mode: LEASE_MODE, exclusive: true });
    } catch (err) {
      if (errnoOf(err) === "EEXIST") {
        this.markUsed(ip, true); // taken behind the index's back: remember it
        return false;
      }
      throw ioError(`cannot create lease ${path}`, err);
    }
    this.directoryChanged = true;
    this.writeLastReserved(setIndex, name);
    this.addOwner(owner, name);
    this.markUsed(ip, true);
    return true;
  }

  lastReserved(setIndex: number): IPAddr | undefined {
    try {
      const path = joinPath(this.networkDir, LAST_RESERVED_PREFIX + setIndex);
      const text = readTextFileIfExists(path, MAX_SMALL_FILE_BYTES);
      return text === undefined ? undefined : parseIP(text.trim());
    } catch {
      return undefined; // missing or unreadable: round robin starts over, as in Go
    }
  }

  addressesOf(containerId: string, ifName: string): IPAddr[] {
    const addresses: IPAddr[] = [];
    for (const owner of [leaseOwner(containerId, ifName), containerId.trim()]) {
      for (const name of this.verifiedLeases(owner)) {
        const ip = parseIP(name);
        if (ip !== undefined) addresses.push(ip);
      }
    }
    return addresses;
  }

  nextMaybeFree(family: Family, from: bigint, to: bigint): bigint | undefined {
    let value = from;
    while (value <= to) {
      const base = (value >> BLOCK_BITS) << BLOCK_BITS;
      const block = this.block(family, base);
      if (!block) return value;
      const last = to - base > 65535n ? 65535 : Number(to - base);
      for (let i = Number(value - base); i <= last; ) {
        const byte = block[i >> 3]!;
        if (byte === 0xff && (i & 7) === 0) {
          i += 8;
          continue;
        }
        if ((byte & (1 << (i & 7))) === 0) return base + BigInt(i);
        i++;
      }
      value = base + (1n << BLOCK_BITS);
    }
    return undefined;
  }

  // ---- the verbs' other needs ----

  /** CHECK: does (containerId, ifName) hold any lease (or containerId an old-format one)? */
  hasLease(containerId: string, ifName: string): boolean {
    return (
      this.verifiedLeases(leaseOwner(containerId, ifName)).length > 0 ||
      this.verifiedLeases(containerId.trim()).length > 0
    );
  }

  /**
   * DEL: remove every lease of (containerId, ifName); when there is none, the old-format leases
   * holding only containerId. Returns the addresses released.
   */
  releaseAttachment(containerId: string, ifName: string): string[] {
    let owner = leaseOwner(containerId, ifName);
    let names = this.verifiedLeases(owner);
    if (names.length === 0) {
      owner = containerId.trim();
      names = this.verifiedLeases(owner);
    }
    for (const name of names) this.removeLease(name, owner);
    return names;
  }

  /** Undo one reservation made by this operation (ADD failed in a later range set). */
  releaseAddress(ip: IPAddr, containerId: string, ifName: string): void {
    this.removeLease(formatIP(ip), leaseOwner(containerId, ifName));
  }

  /** Every lease file of the network (GC): a full walk. */
  listLeases(): Lease[] {
    this.assertLocked();
    return this.walk();
  }

  /** GC: remove these leases (as returned by listLeases). */
  removeLeases(leases: readonly Lease[]): void {
    for (const lease of leases) this.removeLease(lease.name, lease.owner);
  }

  /** STATUS: can leases be written? Throws CniError naming the problem. */
  checkWritable(): void {
    try {
      checkAccess(this.networkDir, "write");
    } catch (err) {
      throw ioError(`data directory ${this.networkDir} is not writable`, err);
    }
  }

  // ---- lease files ----

  /** File names whose content is `owner`, per the index, each confirmed by reading it. */
  private verifiedLeases(owner: string): string[] {
    this.assertLocked();
    for (let attempt = 0; ; attempt++) {
      const names = this.bucket(owner)[owner] ?? [];
      const confirmed: string[] = [];
      for (const name of names) if (this.readLease(name) === owner) confirmed.push(name);
      if (confirmed.length === names.length || attempt > 0) return confirmed;
      this.rebuildIndex(); // someone changed a lease without touching the directory
    }
  }

  private readLease(name: string): string | undefined {
    try {
      return readTextFile(joinPath(this.networkDir, name), MAX_LEASE_BYTES).trim();
    } catch {
      return undefined;
    }
  }

  private removeLease(name: string, owner: string): void {
    try {
      removeFile(joinPath(this.networkDir, name));
      this.directoryChanged = true;
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") throw ioError(`cannot remove lease ${joinPath(this.networkDir, name)}`, err);
    }
    this.removeOwner(owner, name);
    const ip = parseIP(name);
    if (ip && formatIP(ip) === name) this.markUsed(ip, false);
  }

  private writeLastReserved(setIndex: number, name: string): void {
    const path = joinPath(this.networkDir, LAST_RESERVED_PREFIX + setIndex);
    try {
      writeFile(path, name, { mode: LEASE_MODE });
      this.directoryChanged = true;
    } catch (err) {
      throw ioError(`cannot write ${path}`, err);
    }
  }

  private walk(): Lease[] {
    let entries;
    try {
      entries = listDirectory(this.networkDir);
    } catch (err) {
      throw ioError(`cannot read data directory ${this.networkDir}`, err);
    }
    const leases: Lease[] = [];
    for (const entry of entries) {
      if (entry.kind !== "file" || entry.name === LOCK_FILE || entry.name.startsWith(LAST_RESERVED_PREFIX)) continue;
      const ip = parseIP(entry.name);
      if (!ip) continue; // a stray file: not a lease
      const owner = this.readLease(entry.name);
      if (owner !== undefined) leases.push({ name: entry.name, ip, owner });
    }
    return leases;
  }

  // ---- the index ----

  private assertLocked(): void {
    if (!this.locked) throw new Error("DiskStore used outside withLock()");
  }

  private loadIndexState(): void {
    this.resetIndexView();
    try {
      const text = readTextFileIfExists(joinPath(this.indexDir, "state"), MAX_SMALL_FILE_BYTES);
      if (text !== undefined) {
        this.indexDirExists = true;
        const state = JSON.parse(text) as Partial<IndexState>;
        const dir = fileStatus(this.networkDir);
        if (state.mtimeNs === dir.mtimeNs && state.ino === dir.ino) {
          this.state = { mtimeNs: state.mtimeNs, ino: state.ino };
          return;
        }
      }
    } catch {
      /* no index yet, or damaged: rebuild */
    }
    this.rebuildIndex();
  }

  /** One full walk of the network directory; the index is then held in memory and saved at the end. */
  private rebuildIndex(): void {
    const leases = this.walk();
    this.resetIndexView();
    this.complete = true;
    this.directoryChanged = true; // the saved index must be stamped even if nothing else changes
    try {
      removeTree(this.indexDir);
      this.indexDirExists = false;
    } catch {
      /* best effort: stale files are overwritten or ignored */
    }
    for (const lease of leases) {
      if (lease.owner !== "") this.addOwner(lease.owner, lease.name);
      if (formatIP(lease.ip) === lease.name) this.markUsed(lease.ip, true);
    }
    // the real values are taken when the index is saved and the directory stamped
    this.state = { mtimeNs: "", ino: "" };
  }

  private resetIndexView(): void {
    this.state = undefined;
    this.buckets.clear();
    this.blocks.clear();
    this.dirtyBuckets.clear();
    this.dirtyBlocks.clear();
    this.complete = false;
    this.directoryChanged = false;
    this.indexDirExists = false;
  }

  private bucketOf(owner: string): number {
    let hash = 0x811c9dc5; // FNV-1a
    for (let i = 0; i < owner.length; i++) {
      hash ^= owner.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return (hash >>> 0) % BUCKETS;
  }

  private bucketFile(index: number): string {
    return joinPath(this.indexDir, `owners-${index.toString(16).padStart(3, "0")}`);
  }

  private bucket(owner: string): Record<string, string[]> {
    const index = this.bucketOf(owner);
    let bucket = this.buckets.get(index);
    if (!bucket) {
      bucket = Object.create(null) as Record<string, string[]>;
      if (!this.complete) {
        try {
          const text = readTextFileIfExists(this.bucketFile(index), MAX_BUCKET_BYTES);
          const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
          if (parsed && typeof parsed === "object") Object.assign(bucket, parsed);
        } catch {
          /* missing: empty */
        }
      }
      this.buckets.set(index, bucket);
    }
    return bucket;
  }

  private addOwner(owner: string, name: string): void {
    const bucket = this.bucket(owner);
    const names = (bucket[owner] ??= []);
    if (!names.includes(name)) names.push(name);
    this.dirtyBuckets.add(this.bucketOf(owner));
  }

  private removeOwner(owner: string, name: string): void {
    const bucket = this.bucket(owner);
    const names = bucket[owner];
    if (!names) return;
    const remaining = names.filter((n) => n !== name);
    if (remaining.length > 0) bucket[owner] = remaining;
    else delete bucket[owner];
    this.dirtyBuckets.add(this.bucketOf(owner));
  }

  private blockFile(family: Family, base: bigint): string {
    const hex = base.toString(16).padStart(family === 4 ? 8 : 32, "0");
    return joinPath(this.indexDir, `used${family}-${hex}`);
  }

  private block(family: Family, base: bigint): Uint8Array | null {
    const file = this.blockFile(family, base);
    let block = this.blocks.get(file);
    if (block === undefined) {
      block = null;
      if (!this.complete) {
        try {
          const data = readFileBytesIfExists(file, BLOCK_BYTES);
          if (data !== undefined && data.length === BLOCK_BYTES) block = data;
        } catch {
          /* missing: nothing used */
        }
      }
      this.blocks.set(file, block);
    }
    return block;
  }

  private markUsed(ip: IPAddr, used: boolean): void {
    const base = (ip.value >> BLOCK_BITS) << BLOCK_BITS;
    const file = this.blockFile(ip.family, base);
    let block = this.block(ip.family, base);
    if (!block) {
      if (!used) return;
      block = new Uint8Array(BLOCK_BYTES);
      this.blocks.set(file, block);
    }
    const bit = Number(ip.value - base);
    const before = block[bit >> 3]!;
    const after = used ? before | (1 << (bit & 7)) : before & ~(1 << (bit & 7));
    if (after === before) return;
    block[bit >> 3] = after;
    this.dirtyBlocks.add(file);
  }

  /** Write what changed, then stamp the network directory with the sentinel. */
  private saveIndex(): void {
    if (!this.state) return;
    const dirty = this.dirtyBuckets.size > 0 || this.dirtyBlocks.size > 0;
    if (!dirty && !this.directoryChanged) return;
    try {
      if (!this.directoryChanged) {
        // only the index changes: make the directory look changed first, so a crash half-way
        // through leaves an index that is rebuilt rather than trusted
        setFileTimes(this.networkDir, "now");
      }
      // after a rebuild (or without a state file) the index directory may be missing
      if (!this.indexDirExists) makeDirectory(this.indexDir, INDEX_DIR_MODE);
      for (const index of this.dirtyBuckets) {
        const bucket = this.buckets.get(index)!;
        let empty = true;
        for (const _owner in bucket) {
          empty = false;
          break;
        }
        if (!empty) writeFile(this.bucketFile(index), JSON.stringify(bucket), { mode: INDEX_FILE_MODE });
        else removeIndexFile(this.bucketFile(index));
      }
      for (const file of this.dirtyBlocks) {
        const block = this.blocks.get(file);
        if (block) writeFile(file, block, { mode: INDEX_FILE_MODE });
      }
      // a second in the past, random to the nanosecond: see the comment at the top
      const sentinel = { seconds: Math.floor(Date.now() / 1000) - 1, nanoseconds: Math.floor(Math.random() * 1e9) };
      setFileTimes(this.networkDir, sentinel);
      const dir = fileStatus(this.networkDir);
      this.state = { mtimeNs: dir.mtimeNs, ino: dir.ino };
      writeFile(joinPath(this.indexDir, "state"), JSON.stringify(this.state), { mode: INDEX_FILE_MODE });
    } catch {
      // the index could not be saved: leave the directory's mtime off the sentinel, so the next
      // operation rebuilds instead of trusting it
      try {
        setFileTimes(this.networkDir, "now");
      } catch {
        /* nothing more to do: a kernel stamp is later than any sentinel we recorded */
      }
    }
  }
}

/** Remove an index file; one that is already gone is fine. */
function removeIndexFile(path: string): void {
  try {
    removeFile(path);
  } catch (err) {
    if (errnoOf(err) !== "ENOENT") throw err;
  }
}
