// The backup file: the link attributes ADD changed, with the values they had before, for DEL to put back.
// Go's format and place exactly (reference-chained-plugins.md §3.3), so Go's DEL restores what our ADD
// changed and ours what Go's changed: `<dataDir>/<containerID>_<ifname>.json`, mode 0600, JSON indented by
// one space, no trailing newline, keys in the order mac, promisc, mtu, allmulti, txQLen, only those changed.
//
// Unlike Go, a second ADD for the same attachment keeps the values the first one saved (Go overwrites them
// with the already-changed ones, so DEL would restore the first ADD's values, not the originals), and the
// data directory is made 0700 (Go makes it 0600, a directory nobody but root can enter).
import { readTextFileIfExists, removeFile, makeDirectory, writeFile } from "@cni/host-files";
import { isJsonObject, ErrorCode, type JsonObject } from "@cni/skel";
import { isNetlinkCode, netlinkStep, type UndoStack } from "@cni/plugin-kit";

/** What the backup holds, by Go's JSON key. */
export interface SavedAttributes {
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
}

const MAX_BACKUP_BYTES = 64 * 1024;
const FILE_MODE = 0o600;
const DIRECTORY_MODE = 0o700;

export function backupPath(dataDir: string, containerId: string, ifName: string): string {
  return `${dataDir}/${containerId}_${ifName}.json`;
}

/** The file's text, as Go's json.MarshalIndent(v, "", " ") writes it. */
export function formatBackup(saved: SavedAttributes): string {
  // Go's field order, whatever order `saved` was filled in
  const ordered: SavedAttributes = {};
  if (saved.mac !== undefined) ordered.mac = saved.mac;
  if (saved.promisc !== undefined) ordered.promisc = saved.promisc;
  if (saved.mtu !== undefined) ordered.mtu = saved.mtu;
  if (saved.allmulti !== undefined) ordered.allmulti = saved.allmulti;
  if (saved.txQLen !== undefined) ordered.txQLen = saved.txQLen;
  return JSON.stringify(ordered, null, 1);
}

/**
 * The attributes a backup file's text holds; what is not valid JSON, or not of the right type, is left out
 * (Go's DEL gives up on a file it cannot parse; we keep what can be used).
 */
export function parseBackup(text: string): SavedAttributes {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isJsonObject(value)) return {};
  const saved: SavedAttributes = {};
  const { mac, promisc, mtu, allmulti, txQLen } = value as JsonObject;
  if (typeof mac === "string" && mac !== "") saved.mac = mac;
  if (typeof promisc === "boolean") saved.promisc = promisc;
  if (typeof mtu === "number" && Number.isSafeInteger(mtu) && mtu > 0) saved.mtu = mtu;
  if (typeof allmulti === "boolean") saved.allmulti = allmulti;
  if (typeof txQLen === "number" && Number.isSafeInteger(txQLen) && txQLen >= 0) saved.txQLen = txQLen;
  return saved;
}

/** The backup at `path`, or undefined when there is none. */
export function readBackup(path: string): SavedAttributes | undefined {
  const text = netlinkStep(`failed to read ${path}`, () => readTextFileIfExists(path, MAX_BACKUP_BYTES), ErrorCode.IOFailure);
  return text === undefined ? undefined : parseBackup(text);
}

/**
 * Save `current` (the values about to change) at `path`, below what an earlier ADD of the same attachment
 * saved; the undo puts the file back as it was (removed, or its old text).
 */
export function writeBackup(path: string, dataDir: string, current: SavedAttributes, undo: UndoStack): void {
  const before = netlinkStep(`failed to read ${path}`, () => readTextFileIfExists(path, MAX_BACKUP_BYTES), ErrorCode.IOFailure);
  const saved = before === undefined ? current : { ...current, ...parseBackup(before) };
  netlinkStep(`failed to create the backup directory ${dataDir}`, () => makeDirectory(dataDir, DIRECTORY_MODE), ErrorCode.IOFailure);
  undo.step(
    `backup file ${path}`,
    () => netlinkStep(`failed to save ${path}`, () => writeFile(path, formatBackup(saved), { mode: FILE_MODE }), ErrorCode.IOFailure),
    () => (before === undefined ? removeBackup(path) : writeFile(path, before, { mode: FILE_MODE })),
  );
}

/** Remove the backup; one already gone is fine. */
export function removeBackup(path: string): void {
  try {
    removeFile(path);
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENOENT")) return;
    throw thrown;
  }
}
