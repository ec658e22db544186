// The network directory's lock: `<dir>/lock`, an empty file taken with flock(LOCK_EX), the same lock
// the Go plugin takes (go-filemutex opens it O_CREAT|O_RDONLY, mode 0750), so the two never interleave.
import { closeFile, lockFile } from "@cni/host-files";
import { ioError } from "./io-error";
import { LOCK_FILE, joinPath } from "./lease-files";
import type { DirLock } from "./store";

const GO_FILEMUTEX_MODE = 0o750;

export function lockNetworkDir(dir: string): DirLock {
  const path = joinPath(dir, LOCK_FILE);
  let fd: number;
  try {
    fd = lockFile(path, "exclusive", GO_FILEMUTEX_MODE);
  } catch (err) {
    throw ioError(`cannot lock ${path}`, err);
  }
  return {
    release(): void {
      // closing the descriptor drops the flock (through the addon: node:fs is never loaded)
      closeFile(fd);
    },
  };
}
