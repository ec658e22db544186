// The lease store of one network: Go's files (lease-files.ts) are the truth, our index (lease-index.ts) keeps
// ADD and DEL from reading every lease, and every directory is checked before use (trust.ts).
//
// Costs with a valid index: ADD reads the state, one owners bucket (two while old-format leases exist), one
// bitmap block and last_reserved_ip, then creates the lease and writes last_reserved_ip, the bucket and the
// block; DEL reads the state, the bucket, the lease and the block, then removes the lease and writes the
// bucket and the block. Neither depends on the number of leases. GC walks.
import { checkAccess } from "@cni/host-files";
import { CniError, ErrorCode, type Family, type IPAddr, formatIP, isValidName, parseIP } from "@cni/skel";
import type { LeaseBook } from "./allocator";
import { ioError } from "./io-error";
import { type Lease, LeaseFiles, joinPath, leaseAddress, leaseOwner } from "./lease-files";
import { INDEX_DIR_NAME, LeaseIndex } from "./lease-index";
import { type DirectoryRole, checkTrustedDirectoryIfExists, ensureTrustedDirectory } from "./trust";

/** An exclusive lock on a directory, held until `release()`. */
export interface DirLock {
  release(): void;
}
/** Take the lock of a network directory (`<dir>/lock`, blocking). */
export type LockDir = (dir: string) => DirLock;

const DATA_DIR: DirectoryRole = { what: "dataDir", mode: 0o755, sharedWhenSticky: true };
const NETWORK_DIR: DirectoryRole = { what: "network directory", mode: 0o755 };
const INDEX_DIR: DirectoryRole = { what: "index directory", mode: 0o700 };

export class DiskStore implements LeaseBook {
  private readonly files: LeaseFiles;
  private readonly index: LeaseIndex;
  private readonly indexRoot: string;
  private locked = false;

  private constructor(
    dataDir: string,
    network: string,
    private readonly lockDir: LockDir,
  ) {
    this.files = new LeaseFiles(joinPath(dataDir, network));
    this.indexRoot = joinPath(dataDir, INDEX_DIR_NAME);
    this.index = new LeaseIndex(this.files.dir, joinPath(this.indexRoot, network));
  }

  get networkDir(): string {
    return this.files.dir;
  }

  /** Open the store of `network` under `dataDir`, creating its directories if needed, each checked (trust.ts). */
  static open(dataDir: string, network: string, lockDir: LockDir): DiskStore {
    // skel has checked the name already; the store builds paths from it, so it checks again itself
    if (!isValidName(network)) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", network);
    }
    const store = new DiskStore(dataDir, network, lockDir);
    ensureTrustedDirectory(dataDir, DATA_DIR);
    ensureTrustedDirectory(store.networkDir, NETWORK_DIR);
    return store;
  }

  /** Run `fn` holding the network's lock, with the index checked first and saved after. */
  withLock<T>(fn: () => T): T {
    const lock = this.lockDir(this.networkDir);
    this.locked = true;
    try {
      if (!this.index.begin(this.prepareIndexDirectory())) this.index.rebuild(this.files.list());
      return fn();
    } finally {
      try {
        this.index.finish();
      } finally {
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
    if (!this.files.create(name, owner)) {
      this.index.markUsed(ip, true); // taken behind the index's back: remember it
      return false;
    }
    this.index.noteDirectoryChanged();
    this.files.writeLastReserved(setIndex, name);
    this.index.addOwner(owner, name);
    this.index.markUsed(ip, true);
    return true;
  }

  lastReserved(setIndex: number): IPAddr | undefined {
    return this.files.lastReserved(setIndex);
  }

  addressesOf(containerId: string, ifName: string): IPAddr[] {
    const addresses: IPAddr[] = [];
    for (const name of this.leasesOf(containerId, ifName, "all")) {
      const ip = parseIP(name);
      if (ip !== undefined) addresses.push(ip);
    }
    return addresses;
  }

  nextMaybeFree(family: Family, from: bigint, to: bigint): bigint | undefined {
    this.assertLocked();
    return this.index.nextUnused(family, from, to);
  }

  // ---- the verbs' other needs ----

  /** CHECK: does (containerId, ifName) hold any lease (or containerId an old-format one)? */
  hasLease(containerId: string, ifName: string): boolean {
    return this.leasesOf(containerId, ifName, "first").length > 0;
  }

  /**
   * DEL: remove every lease of (containerId, ifName); when there is none, the old-format leases
   * holding only containerId. Returns the addresses released.
   */
  releaseAttachment(containerId: string, ifName: string): string[] {
    let owner = leaseOwner(containerId, ifName);
    let names = this.verifiedLeases(owner);
    if (names.length === 0 && this.index.mayHoldOldFormat) {
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
    return this.files.list();
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
      throw ioError(`network directory ${this.networkDir} is not writable`, err);
    }
  }

  // ---- lease files, looked up through the index ----

  /**
   * Leases of (containerId, ifName) and, while the index holds old-format leases, of containerId alone:
   * "all" of both, or stop at the "first" owner that has any.
   */
  private leasesOf(containerId: string, ifName: string, how: "all" | "first"): string[] {
    const names = this.verifiedLeases(leaseOwner(containerId, ifName));
    if ((how === "first" && names.length > 0) || !this.index.mayHoldOldFormat) return names;
    return names.concat(this.verifiedLeases(containerId.trim()));
  }

  /** File names whose content is `owner`, per the index, each confirmed by reading it. */
  private verifiedLeases(owner: string): string[] {
    this.assertLocked();
    for (let attempt = 0; ; attempt++) {
      const names = this.index.namesOf(owner);
      const confirmed: string[] = [];
      // a name that is no address is no lease of ours (nor a path to follow)
      for (const name of names) if (parseIP(name) && this.files.read(name) === owner) confirmed.push(name);
      if (confirmed.length === names.length || attempt > 0) return confirmed;
      this.index.rebuild(this.files.list()); // someone changed a lease without touching the directory
    }
  }

  private removeLease(name: string, owner: string): void {
    if (this.files.remove(name)) this.index.noteDirectoryChanged();
    this.index.removeOwner(owner, name);
    const ip = leaseAddress(name);
    if (ip) this.index.markUsed(ip, false);
  }

  /**
   * Make sure the index's directories can be trusted (trust.ts), creating the top one. False when it
   * cannot be created (a read-only or full data directory): the operation then works from a walk alone.
   */
  private prepareIndexDirectory(): boolean {
    try {
      ensureTrustedDirectory(this.indexRoot, INDEX_DIR);
    } catch (err) {
      if (checkTrustedDirectoryIfExists(this.indexRoot, INDEX_DIR)) throw err;
      return false; // it is not there and cannot be made
    }
    checkTrustedDirectoryIfExists(this.index.dir, INDEX_DIR);
    return true;
  }

  private assertLocked(): void {
    if (!this.locked) throw new Error("DiskStore used outside withLock()");
  }
}
