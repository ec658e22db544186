// The network directory's lock: `<dir>/lock`, an empty file taken with flock(LOCK_EX), the same lock
// the Go plugin takes (go-filemutex opens it O_CREAT|O_RDONLY, mode 0750), so the two never interleave.
import { closeSync, constants as fsConstants, openSync } from "node:fs";
import { join } from "node:path";
import { flock } from "@cni/netlink";
import { CniError, ErrorCode } from "@cni/skel";
import type { DirLock } from "./store";

export function lockNetworkDir(dir: string): DirLock {
  const path = join(dir, "lock");
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_CREAT | fsConstants.O_RDONLY, 0o750);
  } catch (err) {
    throw new CniError(ErrorCode.IOFailure, `cannot open lock ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    flock(fd, "exclusive");
  } catch (err) {
    closeSync(fd);
    throw new CniError(ErrorCode.IOFailure, `cannot lock ${path}: ${(err as Error).message}`);
  }
  return {
    release(): void {
      // closing the descriptor drops the flock
      closeSync(fd);
    },
  };
}
