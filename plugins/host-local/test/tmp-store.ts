// Test helpers: a DiskStore over a throwaway directory. The lock is a no-op: these tests run one
// operation at a time in one process (real flock is exercised by the black-box tests).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskStore } from "../src/store";

export const NETWORK = "hli-net";

export function tempDataDir(): { dataDir: string; cleanup(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), "hli-"));
  return { dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

export function openTestStore(dataDir: string, network = NETWORK): DiskStore {
  return DiskStore.open(dataDir, network, () => ({ release() {} }));
}
