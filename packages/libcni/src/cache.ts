// The result cache in Go libcni's format (api.go cachedInfo, kind "cniCacheV1"):
// <cacheDir>/results/<network>-<containerID>-<ifName>, JSON with the list's config base64-encoded, the
// runtime's CNI_ARGS as [[k, v], ...] and capability args. Files are written whole and renamed into
// place; a missing, empty or corrupt file reads as "nothing cached" and never blocks DEL.
import { isJsonObject, type JsonObject } from "@cni/skel";

export const DEFAULT_CACHE_DIR = "/var/lib/cni";
export const CACHE_KIND = "cniCacheV1";

/** One cached attachment, as Go's libcni writes it. */
export interface CachedAttachment {
  readonly containerId: string;
  readonly ifName: string;
  readonly networkName: string;
  readonly netns: string;
  readonly cniArgs: ReadonlyArray<readonly [string, string]>;
  readonly capabilityArgs: JsonObject;
  /** the network list's JSON as it was used */
  readonly config: Buffer | undefined;
  /** the final result of ADD */
  readonly result: JsonObject | undefined;
}

function fsModule(): typeof import("node:fs") {
  return process.getBuiltinModule("node:fs");
}

export function resultsDir(cacheDir: string): string {
  return `${cacheDir}/results`;
}

/** The file an attachment is cached in. */
export function cacheFile(cacheDir: string, networkName: string, containerId: string, ifName: string): string {
  return `${resultsDir(cacheDir)}/${networkName}-${containerId}-${ifName}`;
}

/** Write an attachment's cache entry (0600, in a 0700 directory), replacing any old one atomically. */
export function writeCache(cacheDir: string, entry: CachedAttachment): void {
  const fs = fsModule();
  const dir = resultsDir(cacheDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info: JsonObject = {
    kind: CACHE_KIND,
    containerId: entry.containerId,
    config: (entry.config ?? Buffer.alloc(0)).toString("base64"),
    ifName: entry.ifName,
    networkName: entry.networkName,
  };
  if (entry.netns !== "") info.netns = entry.netns;
  if (entry.cniArgs.length > 0) info.cniArgs = entry.cniArgs.map(([k, v]) => [k, v]);
  if (Object.keys(entry.capabilityArgs).length > 0) info.capabilityArgs = entry.capabilityArgs;
  if (entry.result !== undefined) info.result = entry.result;
  const file = cacheFile(cacheDir, entry.networkName, entry.containerId, entry.ifName);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(info), { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** Remove an attachment's cache entry (missing is fine). */
export function deleteCache(cacheDir: string, networkName: string, containerId: string, ifName: string): void {
  fsModule().rmSync(cacheFile(cacheDir, networkName, containerId, ifName), { force: true });
}

/** Decode one cache file's text; undefined when it is empty, not JSON or not a cniCacheV1 entry. */
export function parseCache(text: string): CachedAttachment | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(decoded) || decoded.kind !== CACHE_KIND) return undefined;
  const parsed: JsonObject = decoded;
  const str = (key: string): string => (typeof parsed[key] === "string" ? (parsed[key] as string) : "");
  const cniArgs: Array<[string, string]> = [];
  if (Array.isArray(parsed.cniArgs)) {
    for (const pair of parsed.cniArgs as unknown[]) {
      if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string") cniArgs.push([pair[0], pair[1]]);
    }
  }
  const config = typeof parsed.config === "string" ? Buffer.from(parsed.config, "base64") : undefined;
  return {
    containerId: str("containerId"),
    ifName: str("ifName"),
    networkName: str("networkName"),
    netns: str("netns"),
    cniArgs,
    capabilityArgs: isJsonObject(parsed.capabilityArgs) ? parsed.capabilityArgs : {},
    config,
    result: isJsonObject(parsed.result) ? parsed.result : undefined,
  };
}

/** An attachment's cache entry, or undefined (missing, empty, corrupt). */
export function readCache(cacheDir: string, networkName: string, containerId: string, ifName: string): CachedAttachment | undefined {
  let text: string;
  try {
    text = fsModule().readFileSync(cacheFile(cacheDir, networkName, containerId, ifName), "utf8");
  } catch {
    return undefined;
  }
  return parseCache(text);
}

/** Every readable cache entry of `networkName` (libcni's GetCachedAttachments). */
export function listCachedAttachments(cacheDir: string, networkName: string): CachedAttachment[] {
  const fs = fsModule();
  let names: string[];
  try {
    names = fs.readdirSync(resultsDir(cacheDir)).sort();
  } catch {
    return [];
  }
  const found: CachedAttachment[] = [];
  const prefix = `${networkName}-`;
  for (const name of names) {
    if (!name.startsWith(prefix) || name.endsWith(".tmp")) continue;
    let text: string;
    try {
      text = fs.readFileSync(`${resultsDir(cacheDir)}/${name}`, "utf8");
    } catch {
      continue;
    }
    const entry = parseCache(text);
    if (entry !== undefined && entry.networkName === networkName) found.push(entry);
  }
  return found;
}
