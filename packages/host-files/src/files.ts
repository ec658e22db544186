// File operations through the addon, for code on a plugin's per-call path: loading node:fs costs a compiled
// Bun executable start-up time (its module, then a JIT thread), while the addon is loaded anyway by a plugin
// that talks netlink or takes a lock. Only what host-local's lease store and lock need; every failure is a
// NetlinkError (the addon's error) with the errno's `code` ('ENOENT', 'EEXIST', 'EACCES', 'EFBIG', ...),
// `request` (the addon function) and `subject` (the path).
import { call } from "@cni/netlink/addon";
import { native } from "./native";
import type { DirectoryEntry, FileIdentity, FileStatus } from "./types";

/** open(2) flags `openFile` accepts (Linux x86_64 values; aarch64 differs only in directory/noFollow). */
export const OpenFlag = {
  readOnly: 0,
  writeOnly: 0o1,
  readWrite: 0o2,
  create: 0o100,
  exclusive: 0o200,
  noCtty: 0o400,
  truncate: 0o1000,
  append: 0o2000,
  nonBlocking: 0o4000,
  directory: process.arch === "arm64" ? 0o40000 : 0o200000,
  noFollow: process.arch === "arm64" ? 0o100000 : 0o400000,
} as const;

/** Open `path` (O_CLOEXEC always added); `mode` applies when OpenFlag.create makes the file. Returns the fd. */
export function openFile(path: string, flags: number, mode = 0o600): number {
  return call(() => native().fileOpen(path, flags, mode));
}

/** Close an fd from `openFile` (or `lockFile`; closing drops the flock). A closed fd throws 'EBADF'. */
export function closeFile(fd: number): void {
  call(() => native().fileClose(fd));
}

/**
 * The whole content of the file at `path`, as UTF-8 text (invalid sequences replaced). The file is opened
 * non-blocking, so a FIFO cannot hold the call; more than `maxBytes` throws 'EFBIG' (an endless file such
 * as /dev/zero included); a directory 'EISDIR'.
 */
export function readTextFile(path: string, maxBytes: number): string {
  return call(() => native().fileRead(path, maxBytes, true));
}

/** As `readTextFile`, the bytes. */
export function readFileBytes(path: string, maxBytes: number): Buffer {
  return call(() => native().fileRead(path, maxBytes, false));
}

/** As `readTextFile`, but a missing file is `undefined` (no exception: cheap where absence is common). */
export function readTextFileIfExists(path: string, maxBytes: number): string | undefined {
  return call(() => native().fileRead(path, maxBytes, true, true)) ?? undefined;
}

/** As `readFileBytes`, but a missing file is `undefined`. */
export function readFileBytesIfExists(path: string, maxBytes: number): Buffer | undefined {
  return call(() => native().fileRead(path, maxBytes, false, true)) ?? undefined;
}

export interface WriteFileOptions {
  /** permission bits of a file this creates (umask applies); default 0o600 */
  mode?: number;
  /** the file must not exist yet ('EEXIST'); if writing then fails, the new file is removed again */
  exclusive?: boolean;
}

/** Write `data` as the whole content of `path` (created, or truncated and rewritten unless `exclusive`). */
export function writeFile(path: string, data: string | Uint8Array, options: WriteFileOptions = {}): void {
  call(() => native().fileWrite(path, data, options.mode ?? 0o600, options.exclusive ?? false));
}

/** unlink(2): a missing file throws 'ENOENT', a directory 'EISDIR'. */
export function removeFile(path: string): void {
  call(() => native().fileUnlink(path));
}

/** rename(2): replaces `to` atomically when it exists. */
export function renameFile(from: string, to: string): void {
  call(() => native().fileRename(from, to));
}

/** stat(2), symlinks followed; mtime to the nanosecond. */
export function fileStatus(path: string): FileStatus {
  return call(() => native().fileStat(path));
}

/** lstat(2): as `fileStatus`, but a symlink is described itself (kind "symlink"), never followed. */
export function linkStatus(path: string): FileStatus {
  return call(() => native().fileStat(path, false));
}

/** A point in time as utimensat(2) takes it. */
export interface FileTime {
  seconds: number;
  /** 0 .. 999,999,999 */
  nanoseconds: number;
}

/** Set the access and modification times of `path` to `time`, or to now when "now". */
export function setFileTimes(path: string, time: FileTime | "now"): void {
  if (time === "now") call(() => native().fileSetTimes(path, null, 0));
  else call(() => native().fileSetTimes(path, time.seconds, time.nanoseconds));
}

/** access(2): throws ('EACCES', 'EROFS', 'ENOENT', ...) unless `path` allows `mode` to the real user. */
export function checkAccess(path: string, mode: "exists" | "read" | "write" | "execute"): void {
  call(() => native().fileAccess(path, mode));
}

/** Whether `path` exists (symlinks followed): access(2) F_OK, false on any failure. */
export function pathExists(path: string): boolean {
  try {
    checkAccess(path, "exists");
    return true;
  } catch {
    return false;
  }
}

/** realpath(3): every symlink resolved; a missing file throws 'ENOENT'. */
export function realPath(path: string): string {
  return call(() => native().fileRealPath(path));
}

/** mkdir -p: every missing directory of `path` is created with `mode` (umask applies); existing is fine. */
export function makeDirectory(path: string, mode = 0o755): void {
  call(() => native().dirCreate(path, mode));
}

/** rm -rf `path` (symlinks removed, not followed); a missing path is fine. */
export function removeTree(path: string): void {
  call(() => native().dirRemoveTree(path));
}

/** The entries of a directory, unsorted, with their kind; names that are not UTF-8 are left out. */
export function listDirectory(path: string): DirectoryEntry[] {
  return call(() => native().dirList(path));
}

/**
 * The identity (st_dev, st_ino as decimal strings) of the file `path` names, following symlinks: two paths
 * are the same file when both fields are equal, e.g. `fileIdentity("/proc/self/exe")` against a candidate
 * executable. A missing path throws code 'ENOENT'.
 */
export function fileIdentity(path: string): FileIdentity {
  return call(() => native().fileIdentity(path));
}
