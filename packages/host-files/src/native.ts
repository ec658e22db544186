// The addon functions @cni/host-files calls, with their argument and result types. The binary is the one
// @cni/netlink loads (`@cni/netlink/addon`), so a plugin that talks netlink and reads files loads it once;
// its Rust side is native/src/handlers/{file,sys,netns_exec}.rs. test/addon-exports.test.ts checks that
// the Rust tables and the loaded binary export exactly these plus NetlinkNative.
import { loadedAddon } from "@cni/netlink/addon";
import type { DirectoryEntry, FileIdentity, FileStatus } from "./types";

export interface HostFilesNative {
  // fds, locks and identities (handlers/sys.rs)
  flock(fd: number, mode: "exclusive" | "shared" | "unlock", tryOnly: boolean): boolean;
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
  fileStat(path: string, followLinks?: boolean): FileStatus;
  fileSetTimes(path: string, seconds: number | null, nanoseconds: number): void;
  fileAccess(path: string, mode: "exists" | "read" | "write" | "execute"): void;
  fileRealPath(path: string): string;
  dirCreate(path: string, mode: number): void;
  dirRemoveTree(path: string): void;
  dirList(path: string): DirectoryEntry[];
  // fork + setns + execve (handlers/netns_exec.rs)
  /** argv and env: NUL-terminated strings concatenated; returns the exit status (128+signal if killed) */
  netnsExec(nsPath: string, executable: string, argv: Uint8Array, env: Uint8Array): number;
}

/** The names HostFilesNative declares, at run time (TypeScript rejects a missing or extra name here). */
export const HOST_FILES_NATIVE_FUNCTIONS = {
  flock: true, readFd: true, writeFd: true, fileIdentity: true,
  fileOpen: true, fileClose: true, fileRead: true, fileWrite: true, fileUnlink: true, fileRename: true,
  fileStat: true, fileSetTimes: true, fileAccess: true, fileRealPath: true, dirCreate: true, dirRemoveTree: true, dirList: true,
  netnsExec: true,
} as const satisfies Record<keyof HostFilesNative, true>;

/** The addon as this package uses it, loaded on first call. */
export function native(): HostFilesNative {
  return loadedAddon<HostFilesNative>();
}
