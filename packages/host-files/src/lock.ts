// flock(2) through the addon: host-local's lock (the Go plugin's go-filemutex) without node:fs.
import { call } from "@cni/netlink/addon";
import { closeFile, OpenFlag, openFile } from "./files";
import { native } from "./native";

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
  // opened through the addon, not node:fs: loading node:fs costs a compiled executable start-up time
  // noFollow: a planted link must not make root create or lock a file elsewhere
  const fd = openFile(path, OpenFlag.readOnly | OpenFlag.create | OpenFlag.noFollow, fileMode);
  try {
    flock(fd, mode);
    return fd;
  } catch (thrown) {
    closeFile(fd);
    throw thrown;
  }
}
