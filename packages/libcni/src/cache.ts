// The result cache in Go libcni's format (api.go cachedInfo, kind "cniCacheV1"):
// <cacheDir>/results/<network>-<containerID>-<ifName>, JSON with the list's config base64-encoded, the
// runtime's CNI_ARGS as [[k, v], ...] and capability args. Files are written whole and renamed into
// place; a missing, empty or corrupt file reads as "nothing cached" and never blocks DEL.
//
// Root runs this, and the file names are Go's, so two attachments can map to one name (network "a" with
// container "b-c", network "a-b" with container "c": both "a-b-c-eth0"). An entry is therefore only ever
// taken as an attachment's when the network, container ID and interface recorded inside it are that
// attachment's, and never deleted otherwise. The directories are not trusted blindly either: a symlink, a
// directory another user owns or may write, or an entry that is not a plain root-written file is refused or
// ignored, and temporary files are created exclusively (a planted `*.tmp` link is never followed).
import { ErrorCode, isJsonObject, isValidName, validateIfName, type JsonObject } from "@cni/skel";

export const DEFAULT_CACHE_DIR = "/var/lib/cni";
export const CACHE_KIND = "cniCacheV1";

/** One cached attachment, as Go's libcni writes it. */
export interface CachedAttachment {
  readonly containerId: string;
  readonly ifName: string;
  readonly networkName: string;
  readonly netns: string;
  readonly cniArgs: ReadonlyArray<readonly [string, string]>;
  readonly capabilityArgs: JsonObject;
  /** the network list's JSON as it was used */
  readonly config: Buffer | undefined;
  /** the final result of ADD */
  readonly result: JsonObject | undefined;
}

/** Which attachment an entry is for. */
export interface AttachmentKey {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
}

/** The cache directory cannot be trusted (a symlink, another user's, writable by others): nothing is read or written. */
export class CacheTrustError extends Error {
  /** as a CNI error code: an I/O problem on the host (5) */
  readonly code = ErrorCode.IOFailure;
  constructor(readonly dir: string, reason: string) {
    super(`refusing the result cache directory ${dir}: ${reason}`);
    this.name = "CacheTrustError";
  }
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;
const MODE_BITS = 0o7777;
const TEMP_NAME_ATTEMPTS = 10;

function fsModule(): typeof import("node:fs") {
  return process.getBuiltinModule("node:fs");
}

export function resultsDir(cacheDir: string): string {
  return `${cacheDir}/results`;
}

/** The file an attachment is cached in (Go's name: the three parts joined by "-"). */
export function cacheFile(cacheDir: string, networkName: string, containerId: string, ifName: string): string {
  return `${resultsDir(cacheDir)}/${networkName}-${containerId}-${ifName}`;
}

/** Whether `entry` records exactly the attachment `key`. */
export function isEntryFor(entry: AttachmentKey, key: AttachmentKey): boolean {
  return entry.networkName === key.networkName && entry.containerId === key.containerId && entry.ifName === key.ifName;
}

/** Root, or the user running this (a runtime may run unprivileged with its own cache directory). */
function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === process.geteuid?.();
}

function octal(mode: number): string {
  return `0${(mode & MODE_BITS).toString(8)}`;
}

/**
 * Check one directory by lstat: a real directory owned by root (or this user), not writable by others —
 * unless `stickyShared` and it has the sticky bit (as /tmp: others may add names but not replace ours).
 * Returns false when it does not exist.
 */
function checkDirectory(dir: string, stickyShared: boolean): boolean {
  let stat: import("node:fs").Stats;
  try {
    stat = fsModule().lstatSync(dir);
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new CacheTrustError(dir, (thrown as Error).message);
  }
  if (stat.isSymbolicLink()) throw new CacheTrustError(dir, "it is a symbolic link");
  if (!stat.isDirectory()) throw new CacheTrustError(dir, "it is not a directory");
  if (!trustedOwner(stat.uid)) throw new CacheTrustError(dir, `it is owned by uid ${stat.uid}, not root`);
  if ((stat.mode & GROUP_OTHER_WRITE) !== 0 && !(stickyShared && (stat.mode & STICKY) !== 0)) {
    throw new CacheTrustError(dir, `it is writable by group or others (mode ${octal(stat.mode)})`);
  }
  return true;
}

/**
 * The results directory once it is trusted; with `create`, made (0700) where missing. Undefined when it
 * does not exist and `create` is false (nothing is cached). Throws CacheTrustError.
 */
export function trustedResultsDir(cacheDir: string, create: boolean): string | undefined {
  const fs = fsModule();
  const dir = resultsDir(cacheDir);
  // the cache directory is shared (host-local keeps its leases below it): sticky and world-writable is safe
  if (!checkDirectory(cacheDir, true)) {
    if (!create) return undefined;
    fs.mkdirSync(cacheDir, { recursive: true, mode: DIR_MODE });
    checkDirectory(cacheDir, true);
  }
  if (!checkDirectory(dir, false)) {
    if (!create) return undefined;
    try {
      fs.mkdirSync(dir, { mode: DIR_MODE });
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== "EEXIST") throw thrown;
    }
    checkDirectory(dir, false);
  }
  return dir;
}

/** Write an attachment's cache entry (0600, in a 0700 directory), replacing any old one atomically. */
export function writeCache(cacheDir: string, entry: CachedAttachment): void {
  const fs = fsModule();
  trustedResultsDir(cacheDir, true);
  const info: JsonObject = {
    kind: CACHE_KIND,
    containerId: entry.containerId,
    config: (entry.config ?? Buffer.alloc(0)).toString("base64"),
    ifName: entry.ifName,
    networkName: entry.networkName,
  };
  if (entry.netns !== "") info.netns = entry.netns;
  if (entry.cniArgs.length > 0) info.cniArgs = entry.cniArgs.map(([k, v]) => [k, v]);
  if (Object.keys(entry.capabilityArgs).length > 0) info.capabilityArgs = entry.capabilityArgs;
  if (entry.result !== undefined) info.result = entry.result;
  const file = cacheFile(cacheDir, entry.networkName, entry.containerId, entry.ifName);
  const { fd, path: temporary } = createTemporary(file);
  try {
    try {
      fs.writeSync(fd, JSON.stringify(info));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (thrown) {
    fs.rmSync(temporary, { force: true });
    throw thrown;
  }
}

/** A new file beside `file`, created exclusively (O_EXCL: an existing name, a planted link included, is never opened). */
function createTemporary(file: string): { fd: number; path: string } {
  const fs = fsModule();
  const { randomBytes } = process.getBuiltinModule("node:crypto");
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  for (let attempt = 0; ; attempt++) {
    const path = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      return { fd: fs.openSync(path, flags, FILE_MODE), path };
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== "EEXIST" || attempt + 1 >= TEMP_NAME_ATTEMPTS) throw thrown;
    }
  }
}

/**
 * Remove an attachment's cache entry (missing is fine). An entry recording another attachment under the
 * same file name is left alone; returns whether a file was removed.
 */
export function deleteCache(cacheDir: string, networkName: string, containerId: string, ifName: string): boolean {
  const dir = trustedResultsDir(cacheDir, false);
  if (dir === undefined) return false;
  const file = cacheFile(cacheDir, networkName, containerId, ifName);
  const occupant = readEntryFile(file);
  if (occupant !== undefined && !isEntryFor(occupant, { networkName, containerId, ifName })) return false;
  try {
    fsModule().unlinkSync(file); // a link is removed itself, never what it points to
    return true;
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw thrown;
  }
}

/** Decode one cache file's text; undefined when it is empty, not JSON or not a cniCacheV1 entry. */
export function parseCache(text: string): CachedAttachment | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(decoded) || decoded.kind !== CACHE_KIND) return undefined;
  const parsed: JsonObject = decoded;
  const str = (key: string): string => (typeof parsed[key] === "string" ? (parsed[key] as string) : "");
  const cniArgs: Array<[string, string]> = [];
  if (Array.isArray(parsed.cniArgs)) {
    for (const pair of parsed.cniArgs as unknown[]) {
      if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string") cniArgs.push([pair[0], pair[1]]);
    }
  }
  const config = typeof parsed.config === "string" ? Buffer.from(parsed.config, "base64") : undefined;
  return {
    containerId: str("containerId"),
    ifName: str("ifName"),
    networkName: str("networkName"),
    netns: str("netns"),
    cniArgs,
    capabilityArgs: isJsonObject(parsed.capabilityArgs) ? parsed.capabilityArgs : {},
    config,
    result: isJsonObject(parsed.result) ? parsed.result : undefined,
  };
}

/**
 * A cache file's entry, whoever it is for; undefined unless it is a plain file (never a link: O_NOFOLLOW)
 * owned by root (or this user), not writable by others, holding a cniCacheV1 entry.
 */
function readEntryFile(file: string): CachedAttachment | undefined {
  const fs = fsModule();
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || !trustedOwner(stat.uid) || (stat.mode & GROUP_OTHER_WRITE) !== 0) return undefined;
    return parseCache(fs.readFileSync(fd, "utf8"));
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whatever entry holds the file name of attachment `key`, also another attachment's (undefined: none readable). */
export function readCacheSlot(cacheDir: string, key: AttachmentKey): CachedAttachment | undefined {
  if (trustedResultsDir(cacheDir, false) === undefined) return undefined;
  return readEntryFile(cacheFile(cacheDir, key.networkName, key.containerId, key.ifName));
}

/** An attachment's cache entry, or undefined (missing, empty, corrupt, or another attachment's). */
export function readCache(cacheDir: string, networkName: string, containerId: string, ifName: string): CachedAttachment | undefined {
  const key = { networkName, containerId, ifName };
  const entry = readCacheSlot(cacheDir, key);
  return entry !== undefined && isEntryFor(entry, key) ? entry : undefined;
}

/** Whether an entry's fields are an attachment libcni could have written: valid names, stored under its own name. */
function isWellFormed(entry: CachedAttachment, fileName: string): boolean {
  if (!isValidName(entry.containerId) || !isValidName(entry.networkName)) return false;
  try {
    validateIfName(entry.ifName);
  } catch {
    return false;
  }
  return fileName === `${entry.networkName}-${entry.containerId}-${entry.ifName}`;
}

/**
 * Every valid cache entry of `networkName` (libcni's GetCachedAttachments): plain root-written files that
 * record this network, stored under the name their own fields give.
 */
export function listCachedAttachments(cacheDir: string, networkName: string): CachedAttachment[] {
  const dir = trustedResultsDir(cacheDir, false);
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = fsModule().readdirSync(dir).sort();
  } catch {
    return [];
  }
  const found: CachedAttachment[] = [];
  const prefix = `${networkName}-`;
  for (const name of names) {
    if (!name.startsWith(prefix) || name.endsWith(".tmp")) continue;
    const entry = readEntryFile(`${dir}/${name}`);
    if (entry !== undefined && entry.networkName === networkName && isWellFormed(entry, name)) found.push(entry);
  }
  return found;
}
