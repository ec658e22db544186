// What the addon's file functions return. The addon builds these objects in Rust
// (native/src/js/build.rs); the field records below are what test/boundary.kernel.test.ts checks real
// results against (see @cni/netlink's types.ts for `Shape`).
import type { Shape } from "@cni/netlink";

/** A file's identity: decimal st_dev and st_ino (strings: exact beyond 2^53). */
export interface FileIdentity {
  dev: string;
  ino: string;
}

/** What a directory entry or `fileStatus` names. */
export type FileKind = "file" | "directory" | "symlink" | "other";

/** stat(2) of a path (symlinks followed). */
export interface FileStatus {
  /** decimal st_dev / st_ino (strings: exact beyond 2^53) */
  dev: string;
  ino: string;
  /** st_mtime in nanoseconds since the epoch, decimal (exact) */
  mtimeNs: string;
  kind: FileKind;
  /** permission bits (st_mode & 0o7777) */
  mode: number;
  uid: number;
  size: number;
}

/** One entry of `listDirectory` ("." and ".." are not listed). */
export interface DirectoryEntry {
  name: string;
  kind: FileKind;
}

export const FILE_IDENTITY_FIELDS = {
  dev: { kind: "string", optional: false },
  ino: { kind: "string", optional: false },
} as const satisfies Shape<FileIdentity>;

export const FILE_STATUS_FIELDS = {
  dev: { kind: "string", optional: false },
  ino: { kind: "string", optional: false },
  mtimeNs: { kind: "string", optional: false },
  kind: { kind: "string", optional: false },
  mode: { kind: "number", optional: false },
  uid: { kind: "number", optional: false },
  size: { kind: "number", optional: false },
} as const satisfies Shape<FileStatus>;

export const DIRECTORY_ENTRY_FIELDS = {
  name: { kind: "string", optional: false },
  kind: { kind: "string", optional: false },
} as const satisfies Shape<DirectoryEntry>;
