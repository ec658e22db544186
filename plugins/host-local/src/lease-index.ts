// The index: ours only, it keeps ADD and DEL from reading every lease file. Go never looks there (a name
// starting with '.' is never a network name).
//   <dataDir>/.host-local-index/<network>/state        {"mtimeNs": m, "ino": i, "oldFormat": b}: the index
//                                                     matches the network directory when its mtime is m and
//                                                     its inode i; b: some owner is an old-format lease
//   <dataDir>/.host-local-index/<network>/owners-XXX   1024 buckets by hash of a lease's content:
//                                                     {"<content>": ["<lease file name>", ...]}
//   <dataDir>/.host-local-index/<network>/used4-XXXXXXXX, used6-X{32}
//                                                     one bit per address of an aligned 65536-address
//                                                     block: a lease file with that name exists
//
// How it stays right: every change to the network directory happens under the flock. At the end of an
// operation that changed it, we set the directory's mtime to a sentinel in the past with random
// nanoseconds, recorded in `state`. The kernel only ever stamps "now", which is later, so anybody else
// creating or deleting a file there (the Go plugin, a person) moves the mtime away from it, and one stat()
// tells. Then, and when the state is missing or a lookup finds a lease that does not say what the index
// says, the store rebuilds the index with one full walk (O(n), once). A lookup is verified by reading the
// one lease file it names. If the index cannot be written, the operation still works from the walk.
//
// What a call writes: only index files whose content changed, and the state only when the sentinel is new
// (after a rebuild, or once the old one is an hour old: the directory's mtime stays recent, so age-based
// clean-up is not misled). Otherwise the directory gets the recorded sentinel back.
import { fileStatus, makeDirectory, readFileBytesIfExists, readTextFileIfExists, removeFile, removeTree, setFileTimes, writeFile } from "@cni/host-files";
import type { Family, IPAddr } from "@cni/skel";
import { errnoOf } from "./io-error";
import { type Lease, isOldFormatOwner, joinPath, leaseAddress } from "./lease-files";

export const INDEX_DIR_NAME = ".host-local-index";
const BUCKETS = 1024;
const BLOCK_BITS = 16n;
const BLOCK_BYTES = 1 << (Number(BLOCK_BITS) - 3);
/** The state: two decimal numbers and a flag. */
const MAX_STATE_BYTES = 4096;
/** An owners bucket: 1/1024 of the owners, each a few dozen bytes. Larger is damage: rebuild. */
const MAX_BUCKET_BYTES = 16 * 1024 * 1024;
const INDEX_FILE_MODE = 0o600;
const INDEX_DIR_MODE = 0o700;
const NS_PER_SECOND = 1_000_000_000n;
/** A sentinel older than this is replaced by a fresh one (one more state write per hour). */
const SENTINEL_REUSE_NS = 3600n * NS_PER_SECOND;

interface IndexState {
  /** the network directory's mtime in nanoseconds (decimal) and inode when the index was saved */
  mtimeNs: string;
  ino: string;
  /** some lease holds the old format (container ID alone): lookups must try that owner too */
  oldFormat: boolean;
}

type Bucket = Record<string, string[]>;

/** The index of one network, as seen during one locked operation of the store. */
export class LeaseIndex {
  /** the saved state when it matched the directory, or the state to save after a rebuild */
  private state: IndexState | undefined;
  private buckets = new Map<number, Bucket>();
  private blocks = new Map<string, Uint8Array | null>();
  private dirtyBuckets = new Set<number>();
  private dirtyBlocks = new Set<string>();
  /** everything is in memory (after a rebuild): a missing bucket or block is empty, no file read */
  private complete = false;
  /** the state must be written with a fresh sentinel (after a rebuild) */
  private fresh = false;
  /** a file was created or removed in the network directory during this operation */
  private directoryChanged = false;
  /** the index can be read and saved (its directory is there and trusted) */
  private persistent = false;

  constructor(
    private readonly networkDir: string,
    /** `<dataDir>/.host-local-index/<network>` */
    readonly dir: string,
  ) {}

  /**
   * Start an operation. With `persistent`, the saved index is read when it matches the network directory
   * (true); otherwise (false) the caller rebuilds it from a walk.
   */
  begin(persistent: boolean): boolean {
    this.reset();
    this.persistent = persistent;
    if (!persistent) return false;
    try {
      const text = readTextFileIfExists(joinPath(this.dir, "state"), MAX_STATE_BYTES);
      if (text === undefined) return false;
      const saved = JSON.parse(text) as Partial<IndexState>;
      if (typeof saved.oldFormat !== "boolean") return false; // written by an older version: rebuild once
      const dir = fileStatus(this.networkDir);
      if (saved.mtimeNs !== dir.mtimeNs || saved.ino !== dir.ino) return false;
      this.state = { mtimeNs: saved.mtimeNs, ino: saved.ino, oldFormat: saved.oldFormat };
      return true;
    } catch {
      return false; // damaged: rebuild
    }
  }

  /** Replace the index with the one `leases` (a full walk) make; it is saved at the end of the operation. */
  rebuild(leases: readonly Lease[]): void {
    const directoryChanged = this.directoryChanged;
    this.reset();
    this.directoryChanged = directoryChanged;
    this.complete = true;
    this.fresh = true;
    if (this.persistent) {
      try {
        removeTree(this.dir); // stale buckets and blocks would be read as the truth later
      } catch {
        /* saving fails too then, and the directory is left looking changed */
      }
    }
    let oldFormat = false;
    for (const lease of leases) {
      if (lease.owner !== "") this.addOwner(lease.owner, lease.name);
      if (isOldFormatOwner(lease.owner)) oldFormat = true;
      if (leaseAddress(lease.name)) this.markUsed(lease.ip, true);
    }
    // the real values are taken when the index is saved and the directory stamped
    this.state = { mtimeNs: "", ino: "", oldFormat };
  }

  /** Whether an old-format owner may be in the index (else looking one up can only find nothing). */
  get mayHoldOldFormat(): boolean {
    return this.state?.oldFormat ?? true;
  }

  /** A file was created or removed in the network directory. */
  noteDirectoryChanged(): void {
    this.directoryChanged = true;
  }

  /** The lease names the index lists for `owner` (unverified). */
  namesOf(owner: string): readonly string[] {
    return this.bucket(owner)[owner] ?? [];
  }

  addOwner(owner: string, name: string): void {
    const names = (this.bucket(owner)[owner] ??= []);
    if (names.includes(name)) return;
    names.push(name);
    this.dirtyBuckets.add(bucketOf(owner));
  }

  removeOwner(owner: string, name: string): void {
    const bucket = this.bucket(owner);
    const names = bucket[owner];
    if (!names?.includes(name)) return;
    const remaining = names.filter((n) => n !== name);
    if (remaining.length > 0) bucket[owner] = remaining;
    else delete bucket[owner];
    this.dirtyBuckets.add(bucketOf(owner));
  }

  markUsed(ip: IPAddr, used: boolean): void {
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

  /** The first address in [from, to] not marked used, or undefined. */
  nextUnused(family: Family, from: bigint, to: bigint): bigint | undefined {
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

  /** End the operation: write what changed, then stamp the network directory with the sentinel. */
  finish(): void {
    try {
      if (this.persistent && this.state) this.save(this.state);
    } finally {
      this.reset();
    }
  }

  private save(state: IndexState): void {
    const dirty = this.dirtyBuckets.size > 0 || this.dirtyBlocks.size > 0;
    if (!dirty && !this.directoryChanged && !this.fresh) return;
    try {
      if (!this.directoryChanged) {
        // only the index changes: make the directory look changed first, so a crash half-way
        // through leaves an index that is rebuilt rather than trusted
        setFileTimes(this.networkDir, "now");
      }
      if (this.fresh) makeDirectory(this.dir, INDEX_DIR_MODE); // removed by the rebuild
      for (const index of this.dirtyBuckets) this.writeBucket(index);
      for (const file of this.dirtyBlocks) {
        const block = this.blocks.get(file);
        if (block) writeFile(file, block, { mode: INDEX_FILE_MODE });
      }
      const now = BigInt(Date.now()) * 1_000_000n;
      const recorded = this.fresh ? undefined : BigInt(state.mtimeNs);
      if (recorded !== undefined && recorded < now && now - recorded < SENTINEL_REUSE_NS) {
        // the recorded sentinel again: the state stays true as written, no rewrite
        setFileTimes(this.networkDir, { seconds: Number(recorded / NS_PER_SECOND), nanoseconds: Number(recorded % NS_PER_SECOND) });
        return;
      }
      // a second in the past, random to the nanosecond: see the comment at the top
      const sentinel = { seconds: Math.floor(Date.now() / 1000) - 1, nanoseconds: Math.floor(Math.random() * 1e9) };
      setFileTimes(this.networkDir, sentinel);
      const dir = fileStatus(this.networkDir);
      const saved: IndexState = { mtimeNs: dir.mtimeNs, ino: dir.ino, oldFormat: state.oldFormat };
      writeFile(joinPath(this.dir, "state"), JSON.stringify(saved), { mode: INDEX_FILE_MODE });
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

  private writeBucket(index: number): void {
    const bucket = this.buckets.get(index)!;
    for (const _owner in bucket) {
      writeFile(this.bucketFile(index), JSON.stringify(bucket), { mode: INDEX_FILE_MODE });
      return;
    }
    try {
      removeFile(this.bucketFile(index)); // empty: no file
    } catch (err) {
      if (errnoOf(err) !== "ENOENT") throw err;
    }
  }

  private reset(): void {
    this.state = undefined;
    this.buckets.clear();
    this.blocks.clear();
    this.dirtyBuckets.clear();
    this.dirtyBlocks.clear();
    this.complete = false;
    this.fresh = false;
    this.directoryChanged = false;
  }

  private bucketFile(index: number): string {
    return joinPath(this.dir, `owners-${index.toString(16).padStart(3, "0")}`);
  }

  private bucket(owner: string): Bucket {
    const index = bucketOf(owner);
    let bucket = this.buckets.get(index);
    if (!bucket) {
      bucket = Object.create(null) as Bucket;
      if (!this.complete) {
        try {
          const text = readTextFileIfExists(this.bucketFile(index), MAX_BUCKET_BYTES);
          const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
          if (parsed && typeof parsed === "object") Object.assign(bucket, parsed);
        } catch {
          /* unreadable: empty (a lookup that misses what a lease says rebuilds) */
        }
      }
      this.buckets.set(index, bucket);
    }
    return bucket;
  }

  private blockFile(family: Family, base: bigint): string {
    const hex = base.toString(16).padStart(family === 4 ? 8 : 32, "0");
    return joinPath(this.dir, `used${family}-${hex}`);
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
}

function bucketOf(owner: string): number {
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < owner.length; i++) {
    hash ^= owner.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}
