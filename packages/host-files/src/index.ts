// @cni/host-files: whole-file reads and writes, directories, stat, access and times, flock, stdin/stdout
// by fd, and running a command in a network namespace, through the Rust addon @cni/netlink loads (one
// binary, one load per process). For code on a plugin's per-call path, where loading node:fs would cost
// start-up time. Failures are @cni/netlink's NetlinkError with the errno's `code`.
export {
  OpenFlag,
  openFile,
  closeFile,
  readTextFile,
  readFileBytes,
  readTextFileIfExists,
  readFileBytesIfExists,
  writeFile,
  removeFile,
  renameFile,
  fileStatus,
  linkStatus,
  setFileTimes,
  checkAccess,
  pathExists,
  realPath,
  makeDirectory,
  removeTree,
  listDirectory,
  fileIdentity,
} from "./files";
export type { WriteFileOptions, FileTime } from "./files";
export { flock, tryFlock, lockFile } from "./lock";
export { readFd, writeFd } from "./descriptors";
export { execInNetns, findExecutable, isExecutableFile } from "./exec";
export type { DirectoryEntry, FileIdentity, FileKind, FileStatus } from "./types";
