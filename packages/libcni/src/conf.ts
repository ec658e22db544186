// Network configuration loading, as Go's libcni (conf.go) does it: a directory of `*.conflist` files
// (sorted) and `*.conf`/`*.json` single-plugin files wrapped into lists of one; `cniVersions`
// negotiation; plugins also from `<dir>/<network>/*.conf` unless `loadOnlyInlinedPlugins`.
// node:fs is fetched on use: this module is bundled into the multi-call executable beside the plugins.
import { ALL_VERSIONS, compareVersions, isJsonObject, type JsonObject } from "@cni/skel";

/** One plugin's config as found in the list (without name/cniVersion injected). */
export interface PluginConf {
  /** the plugin's `type` */
  readonly type: string;
  /** the plugin's JSON object as written */
  readonly raw: JsonObject;
}

/** A network configuration list, as libcni's NetworkConfigList. */
export interface NetworkConfigList {
  readonly name: string;
  readonly cniVersion: string;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly loadOnlyInlinedPlugins: boolean;
  readonly plugins: readonly PluginConf[];
  /** the list as JSON (what the cache stores as `config`) */
  readonly bytes: Buffer;
  /** the file it came from, if any */
  readonly source?: string;
}

/** A config that cannot be used: names the file (when there is one) and what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly file: string | undefined,
    detail: string,
  ) {
    super(file === undefined ? detail : `${file}: ${detail}`);
    this.name = "ConfigError";
  }
}

/** The highest spec version this library speaks. */
export const LIBRARY_VERSION = ALL_VERSIONS[ALL_VERSIONS.length - 1]!;

export const CONFLIST_EXTENSIONS: readonly string[] = [".conflist"];
export const CONF_EXTENSIONS: readonly string[] = [".conf", ".json"];

function fsModule(): typeof import("node:fs") {
  return process.getBuiltinModule("node:fs");
}

/** Files of `dir` with one of `extensions`, sorted by name (regular files and symlinks to them). */
export function confFiles(dir: string, extensions: readonly string[]): string[] {
  const fs = fsModule();
  const entries = fs.readdirSync(dir).sort();
  const files: string[] = [];
  for (const name of entries) {
    const dot = name.lastIndexOf(".");
    if (dot < 0 || !extensions.includes(name.slice(dot))) continue;
    const path = `${dir}/${name}`;
    try {
      if (fs.statSync(path).isFile()) files.push(path);
    } catch {
      // a dangling symlink is no config
    }
  }
  return files;
}

function readJson(file: string | undefined, bytes: Buffer | string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch (thrown) {
    throw new ConfigError(file, `invalid JSON: ${(thrown as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new ConfigError(file, "not a JSON object");
  return parsed;
}

function optionalBool(file: string | undefined, obj: JsonObject, key: string): boolean {
  const value = obj[key];
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ConfigError(file, `"${key}" must be a boolean`);
  return value;
}

function pluginOf(file: string | undefined, raw: unknown, where: string): PluginConf {
  if (!isJsonObject(raw)) throw new ConfigError(file, `${where} is not a JSON object`);
  const type = raw.type;
  if (typeof type !== "string" || type === "") throw new ConfigError(file, `${where} has no "type"`);
  return { type, raw };
}

/** The version a list uses: the highest of `cniVersions` this library speaks, else `cniVersion`. */
function negotiateVersion(file: string | undefined, obj: JsonObject): string {
  const versions = obj.cniVersions;
  if (versions !== undefined) {
    if (!Array.isArray(versions)) throw new ConfigError(file, '"cniVersions" must be an array of strings');
    let best: string | undefined;
    for (const v of versions) {
      if (typeof v !== "string") throw new ConfigError(file, '"cniVersions" must be an array of strings');
      const cmp = compareVersions(v, LIBRARY_VERSION);
      if (cmp === undefined || cmp > 0) continue;
      if (best === undefined || (compareVersions(v, best) ?? 0) > 0) best = v;
    }
    if (best !== undefined) return best;
    if (obj.cniVersion === undefined) {
      throw new ConfigError(file, `none of "cniVersions" ${JSON.stringify(versions)} is supported (up to ${LIBRARY_VERSION})`);
    }
  }
  const version = obj.cniVersion;
  if (version === undefined) return "";
  if (typeof version !== "string") throw new ConfigError(file, '"cniVersion" must be a string');
  return version;
}

/** A list from the bytes of a `.conflist` (file names it in errors; dir enables `<dir>/<name>/*.conf`). */
export function confListFromBytes(bytes: Buffer | string, file?: string, dir?: string): NetworkConfigList {
  const buffer = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  const obj = readJson(file, buffer);
  const name = obj.name;
  if (typeof name !== "string" || name === "") throw new ConfigError(file, 'no "name" (a network list needs one)');
  const cniVersion = negotiateVersion(file, obj);
  const loadOnlyInlinedPlugins = optionalBool(file, obj, "loadOnlyInlinedPlugins");
  const plugins: PluginConf[] = [];
  const inline = obj.plugins;
  if (inline !== undefined) {
    if (!Array.isArray(inline)) throw new ConfigError(file, '"plugins" must be an array');
    inline.forEach((raw: unknown, i: number) => plugins.push(pluginOf(file, raw, `plugin ${i}`)));
  }
  if (dir !== undefined && !loadOnlyInlinedPlugins) {
    const pluginDir = `${dir}/${name}`;
    let files: string[] = [];
    try {
      files = confFiles(pluginDir, [".conf"]);
    } catch {
      // no plugin directory for this network
    }
    for (const pluginFile of files) {
      plugins.push(pluginOf(pluginFile, readJson(pluginFile, fsModule().readFileSync(pluginFile)), "the file"));
    }
  }
  if (plugins.length === 0) throw new ConfigError(file, `network "${name}" has no plugins`);
  return {
    name,
    cniVersion,
    disableCheck: optionalBool(file, obj, "disableCheck"),
    disableGC: optionalBool(file, obj, "disableGC"),
    loadOnlyInlinedPlugins,
    plugins,
    bytes: buffer,
    ...(file === undefined ? {} : { source: file }),
  };
}

/** A list of one from a single-plugin `.conf` (libcni's ConfListFromConf). */
export function confListFromConf(bytes: Buffer | string, file?: string): NetworkConfigList {
  const obj = readJson(file, bytes);
  const name = obj.name;
  if (typeof name !== "string" || name === "") throw new ConfigError(file, 'no "name"');
  const plugin = pluginOf(file, obj, "the config");
  const list = { cniVersion: obj.cniVersion, name, plugins: [obj] };
  const listBytes = Buffer.from(JSON.stringify(list));
  return {
    name,
    cniVersion: negotiateVersion(file, obj),
    disableCheck: false,
    disableGC: false,
    loadOnlyInlinedPlugins: true,
    plugins: [plugin],
    bytes: listBytes,
    ...(file === undefined ? {} : { source: file }),
  };
}

/** Read one config file: a `.conflist` as a list, anything else as a single-plugin config. */
export function loadConfFile(file: string): NetworkConfigList {
  const fs = fsModule();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (thrown) {
    throw new ConfigError(file, `cannot read: ${(thrown as Error).message}`);
  }
  const slash = file.lastIndexOf("/");
  const dir = slash < 0 ? "." : file.slice(0, slash);
  return file.endsWith(".conflist") ? confListFromBytes(bytes, file, dir) : confListFromConf(bytes, file);
}

/** Receives a warning that does not stop loading (a network defined twice). */
export type ConfigWarning = (message: string) => void;

/** The config files of `dir` in load order: `*.conflist` sorted, then `*.conf`/`*.json` sorted. */
function configFilesInLoadOrder(dir: string): string[] {
  try {
    return [...confFiles(dir, CONFLIST_EXTENSIONS), ...confFiles(dir, CONF_EXTENSIONS)];
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "the config directory does not exist" :
      code === "ENOTDIR" ? "not a directory" :
      code === "EACCES" ? "the config directory cannot be read (permission denied)" :
      `cannot read the config directory: ${(thrown as Error).message}`;
    throw new ConfigError(dir, `${why} (set NETCONFPATH to the directory of your network configs)`);
  }
}

function duplicateWarning(list: NetworkConfigList, first: NetworkConfigList): string {
  return `${list.source ?? "a config"}: network "${list.name}" is also defined in ${first.source ?? "an earlier config"}; only that one (first in load order) is used`;
}

/**
 * Every network of `dir` in load order, each name once: a later config with the name of an earlier one is
 * left out (Go's libcni finds the first) and reported to `warn`. Throws ConfigError on a bad file.
 */
export function loadAllConfLists(dir: string, warn?: ConfigWarning): NetworkConfigList[] {
  const files = configFilesInLoadOrder(dir);
  if (files.length === 0) throw new ConfigError(dir, "no network configs (*.conflist, *.conf, *.json)");
  const byName = new Map<string, NetworkConfigList>();
  for (const file of files) {
    const list = loadConfFile(file);
    const first = byName.get(list.name);
    if (first === undefined) byName.set(list.name, list);
    else warn?.(duplicateWarning(list, first));
  }
  return [...byName.values()];
}

/**
 * The network called `name` in `dir` (libcni's LoadNetworkConf): conflists first, then single configs; the
 * first in load order. Later configs of the same name are reported to `warn` (those that can be read).
 */
export function loadConfList(dir: string, name: string, warn?: ConfigWarning): NetworkConfigList {
  let found: NetworkConfigList | undefined;
  for (const file of configFilesInLoadOrder(dir)) {
    if (found !== undefined) {
      if (warn === undefined) break;
      let later: NetworkConfigList;
      try {
        later = loadConfFile(file);
      } catch {
        continue; // a broken config after the one used is not this call's problem
      }
      if (later.name === name) warn(duplicateWarning(later, found));
      continue;
    }
    const list = loadConfFile(file);
    if (list.name === name) found = list;
  }
  if (found === undefined) throw new ConfigError(undefined, `no net configuration with name "${name}" in ${dir}`);
  return found;
}
