// Named network namespaces (as `ip netns` keeps them under /var/run/netns), file locks, and the file
// primitives a plugin's per-call path needs without loading node:fs (reading stdin, a file's identity).
import { native } from "./addon";
import { call } from "./errors";
import type { FileIdentity } from "./types";

export const NETNS_RUN_DIR = "/var/run/netns";

export const netns = {
  /** `ip netns add <name>`: a new namespace bind-mounted on /var/run/netns/<name>; returns that path (EEXIST if taken). */
  create(name: string): string {
    return call(() => native().netnsCreate(name));
  },
  /** `ip netns del <name>` (ENOENT if there is no such name). */
  delete(name: string): void {
    call(() => native().netnsDelete(name));
  },
  /** Path of a named namespace. */
  pathOf(name: string): string {
    return `${NETNS_RUN_DIR}/${name}`;
  },
  /** Whether `path` is a network namespace (a missing file is not). */
  isNetns(path: string): boolean {
    return call(() => native().netnsIsNetns(path));
  },
  /** Throw code 'ENOENT' (missing) or 'ENOTNS' (not a network namespace) unless `path` is one. */
  check(path: string): void {
    call(() => native().netnsCheck(path));
  },
  /** Whether two paths name the same namespace. */
  same(a: string, b: string): boolean {
    return call(() => native().netnsSame(a, b));
  },
  /** Path of the calling thread's own network namespace. */
  currentPath(): string {
    return "/proc/thread-self/ns/net";
  },
};

/** flock(2) on an open file descriptor; blocks until granted. */
export function flock(fd: number, mode: "exclusive" | "shared" | "unlock"): void {
  call(() => native().flock(fd, mode, false));
}

/** Non-blocking flock(2): false when another holder has a conflicting lock. */
export function tryFlock(fd: number, mode: "exclusive" | "shared"): boolean {
  return call(() => native().flock(fd, mode, true));
}

/**
 * Open (creating if needed with `fileMode`, default 0600) and flock the file at `path`; returns the fd —
 * closing it releases the lock. Host-local's `<dataDir>/<network>/lock` is taken this way (mode 0750, as
 * the Go plugin's go-filemutex creates it), so the two implementations exclude each other.
 */
export function lockFile(path: string, mode: "exclusive" | "shared" = "exclusive", fileMode = 0o600): number {
  // node:fs fetched on use, not imported: the import alone costs a compiled executable ~3 ms at start-up.
  const fs = process.getBuiltinModule("node:fs");
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_CREAT, fileMode);
  try {
    flock(fd, mode);
    return fd;
  } catch (thrown) {
    fs.closeSync(fd);
    throw thrown;
  }
}

/**
 * The whole content of file descriptor `fd` (0 = stdin), read until end of file. A non-blocking fd (stdin
 * handed over by a runtime as O_NONBLOCK) is waited on with poll(2) rather than failing with EAGAIN. More
 * than `maxBytes` throws code 'EFBIG'; a closed fd 'EBADF'.
 */
export function readFd(fd: number, maxBytes: number): Buffer {
  return call(() => native().readFd(fd, maxBytes));
}

/**
 * The identity (st_dev, st_ino as decimal strings) of the file `path` names, following symlinks: two paths
 * are the same file when both fields are equal, e.g. `fileIdentity("/proc/self/exe")` against a candidate
 * executable. A missing path throws code 'ENOENT'.
 */
export function fileIdentity(path: string): FileIdentity {
  return call(() => native().fileIdentity(path));
}
