// The Go plugin's files in one network directory, byte-compatible with the Go host-local (which may share
// the node):
//   <dataDir>/<network>/<ip>                  one lease: "<containerID>\r\n<ifname>" (old files: "<containerID>"),
//                                             created O_EXCL, mode 0600, named by the canonical address text
//   <dataDir>/<network>/last_reserved_ip.<n>  the address last reserved in range set n
//   <dataDir>/<network>/lock                  empty; flock(LOCK_EX) around every operation (lock.ts)
//
// Every file operation goes through @cni/netlink's addon (loaded anyway for the flock), not node:fs: loading
// node:fs costs a compiled plugin start-up time on every call.
import { listDirectory, readTextFile, readTextFileIfExists, removeFile, writeFile } from "@cni/host-files";
import { type IPAddr, formatIP, parseIP } from "@cni/skel";
import { errnoOf, ioError } from "./io-error";

export const LOCK_FILE = "lock";
const LAST_RESERVED_PREFIX = "last_reserved_ip.";
/** Lease files hold "<containerID>\r\n<ifname>": anything larger is not one of ours (nor Go's). */
const MAX_LEASE_BYTES = 64 * 1024;
/** last_reserved_ip.N holds one address. */
const MAX_LAST_RESERVED_BYTES = 4096;
const LEASE_MODE = 0o600;

/** `dir/name`; node:path is not imported for it (start-up). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

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

/** Whether a lease's content is the old format (container ID alone, before CNI 0.8's ifname). */
export function isOldFormatOwner(owner: string): boolean {
  return owner !== "" && !owner.includes("\r\n");
}

/** The address a lease file name stands for, when the name is its canonical text (as Go's net.IP.String() writes it). */
export function leaseAddress(name: string): IPAddr | undefined {
  const ip = parseIP(name);
  return ip && formatIP(ip) === name ? ip : undefined;
}

/** The lease files, `last_reserved_ip.<n>` and `lock` of one network directory. */
export class LeaseFiles {
  constructor(readonly dir: string) {}

  /** Create the lease `name` holding `owner`, O_EXCL as Go's; false when it exists already. */
  create(name: string, owner: string): boolean {
    const path = joinPath(this.dir, name);
    try {
      // a lease that cannot be written whole is removed again by the addon
      writeFile(path, owner, { mode: LEASE_MODE, exclusive: true });
      return true;
    } catch (err) {
      if (errnoOf(err) === "EEXIST") return false;
      throw ioError(`cannot create lease ${path}`, err);
    }
  }

  /** The trimmed content of lease `name`, or undefined when it cannot be read. */
  read(name: string): string | undefined {
    try {
      return readTextFile(joinPath(this.dir, name), MAX_LEASE_BYTES).trim();
    } catch {
      return undefined;
    }
  }

  /** Remove lease `name`; true when this removed it, false when it was gone already. */
  remove(name: string): boolean {
    const path = joinPath(this.dir, name);
    try {
      removeFile(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return false;
      throw ioError(`cannot remove lease ${path}`, err);
    }
  }

  /** Range set `setIndex`'s last reserved address; undefined when missing or unreadable (round robin starts over, as in Go). */
  lastReserved(setIndex: number): IPAddr | undefined {
    try {
      const text = readTextFileIfExists(joinPath(this.dir, LAST_RESERVED_PREFIX + setIndex), MAX_LAST_RESERVED_BYTES);
      return text === undefined ? undefined : parseIP(text.trim());
    } catch {
      return undefined;
    }
  }

  writeLastReserved(setIndex: number, name: string): void {
    const path = joinPath(this.dir, LAST_RESERVED_PREFIX + setIndex);
    try {
      writeFile(path, name, { mode: LEASE_MODE });
    } catch (err) {
      throw ioError(`cannot write ${path}`, err);
    }
  }

  /** Every lease file: a full walk, reading each (GC, and rebuilding the index). */
  list(): Lease[] {
    let entries;
    try {
      entries = listDirectory(this.dir);
    } catch (err) {
      throw ioError(`cannot read network directory ${this.dir}`, err);
    }
    const leases: Lease[] = [];
    for (const entry of entries) {
      if (entry.kind !== "file" || entry.name === LOCK_FILE || entry.name.startsWith(LAST_RESERVED_PREFIX)) continue;
      const ip = parseIP(entry.name);
      if (!ip) continue; // a stray file: not a lease
      const owner = this.read(entry.name);
      if (owner !== undefined) leases.push({ name: entry.name, ip, owner });
    }
    return leases;
  }
}
