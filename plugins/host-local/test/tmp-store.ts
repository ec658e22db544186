// Test helpers: a DiskStore over a throwaway directory. The lock is a no-op: these tests run one
// operation at a time in one process (real flock is exercised by the black-box tests).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { DiskStore } from "../src/store";

export const NETWORK = "hli-net";

export function tempDataDir(): { dataDir: string; cleanup(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), "hli-"));
  return { dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

export function openTestStore(dataDir: string, network = NETWORK): DiskStore {
  return DiskStore.open(dataDir, network, () => ({ release() {} }));
}

/** A fresh data directory and store for every test of the calling file, removed after each. */
export function useTempStore(): { readonly dataDir: string; readonly store: DiskStore; reopen(): void } {
  let current: { dataDir: string; cleanup(): void; store: DiskStore } | undefined;
  beforeEach(() => {
    const dir = tempDataDir();
    current = { ...dir, store: openTestStore(dir.dataDir) };
  });
  afterEach(() => current?.cleanup());
  return {
    get dataDir() {
      return current!.dataDir;
    },
    get store() {
      return current!.store;
    },
    /** A new store over the same directory, as the next plugin process would open it. */
    reopen() {
      current!.store = openTestStore(current!.dataDir);
    },
  };
}
