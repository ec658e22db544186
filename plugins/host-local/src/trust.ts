// Which directories the store may work in. Root runs host-local; a directory another user can change is
// not trusted: they could delete a lease (its address is then handed out twice), or put a symlink where a
// directory of ours goes, so that root deletes or writes somewhere else (the index rebuilt through a linked
// `.host-local-index` once removed a root-only directory; GC through a linked network directory removed
// another store's leases). Every directory of the store is looked at with lstat (a link is never followed)
// and must be
//   - a real directory, not a symbolic link,
//   - owned by us or by root,
//   - writable by nobody else: no group or other write bit. The data directory alone may be shared the way
//     /tmp is (sticky bit set): others cannot then rename or remove what we create in it, and what they
//     create there first fails the checks of the directory it stands for.
// A directory that is missing is created first and checked after, never the other way round: checking a
// name and creating it later would leave a moment for someone else to create it.
import { type FileStatus, linkStatus, makeDirectory } from "@cni/host-files";
import { CniError, ErrorCode } from "@cni/skel";
import { errnoOf, ioError } from "./io-error";

const ROOT_UID = 0;
const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export interface DirectoryRole {
  /** how messages name it: "dataDir", "network directory", "index directory" */
  what: string;
  /** mode of the directory when this creates it (umask applies) */
  mode: number;
  /** may be writable by others when sticky (the data directory, e.g. /tmp itself) */
  sharedWhenSticky?: boolean;
}

/**
 * Make sure `path` is a directory the store can trust, creating it (and missing parents) when absent.
 * Throws a CniError (code 5) naming the path and what is wrong with it.
 */
export function ensureTrustedDirectory(path: string, role: DirectoryRole): void {
  let status = statusOf(path, role);
  if (status === undefined) {
    try {
      makeDirectory(path, role.mode);
    } catch (err) {
      throw ioError(`cannot create ${role.what} ${path}`, err);
    }
    status = statusOf(path, role);
    if (status === undefined) throw new CniError(ErrorCode.IOFailure, `${role.what} ${path} vanished after it was created`);
  }
  checkTrusted(path, role, status);
}

/** As `ensureTrustedDirectory`, without creating it: false when `path` does not exist. */
export function checkTrustedDirectoryIfExists(path: string, role: DirectoryRole): boolean {
  const status = statusOf(path, role);
  if (status === undefined) return false;
  checkTrusted(path, role, status);
  return true;
}

/** lstat(path); undefined when it does not exist. */
function statusOf(path: string, role: DirectoryRole): FileStatus | undefined {
  try {
    // without its trailing slashes: "link/" would be resolved to what the link names
    return linkStatus(path.length > 1 ? path.replace(/\/+$/, "") || "/" : path);
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw ioError(`cannot read ${role.what} ${path}`, err);
  }
}

function checkTrusted(path: string, role: DirectoryRole, status: FileStatus): void {
  if (status.kind === "symlink") throw untrusted(path, role, "is a symbolic link");
  if (status.kind !== "directory") throw untrusted(path, role, "is not a directory");
  const self = process.geteuid?.() ?? ROOT_UID;
  if (status.uid !== self && status.uid !== ROOT_UID) {
    throw untrusted(path, role, `is owned by uid ${status.uid}, not by uid ${self}${self === ROOT_UID ? "" : " or root"}`);
  }
  const sharedOk = role.sharedWhenSticky === true && (status.mode & STICKY) !== 0;
  if ((status.mode & GROUP_OR_OTHER_WRITE) !== 0 && !sharedOk) {
    throw untrusted(path, role, `is writable by group or others (mode ${status.mode.toString(8)})`);
  }
}

function untrusted(path: string, role: DirectoryRole, problem: string): CniError {
  return new CniError(
    ErrorCode.IOFailure,
    `${role.what} ${path} ${problem}: refusing to use it`,
    "another user could change the leases in it or make root write or delete elsewhere through it",
  );
}
