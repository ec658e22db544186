// Running network lists (Go libcni's api.go): ADD in order with prevResult chaining and runtimeConfig for
// the capabilities each plugin declares, cached; DEL in reverse with the cached result; CHECK; STATUS;
// GC. Unlike Go's libcni, an ADD for an attachment that is already cached is refused before any plugin
// runs, and a failed ADD is rolled back: the plugins that succeeded in this ADD are deleted again, in
// reverse, with this ADD's result (never the cache of an earlier ADD, whose attachment stays intact).
import { CniError, compareVersions, ErrorCode, isJsonObject, isValidName, parsePluginError, parseResult, resultToVersion, validateIfName, type JsonObject, type Result } from "@cni/skel";
import { cacheFile, deleteCache, DEFAULT_CACHE_DIR, isEntryFor, listCachedAttachments, readCache, readCacheSlot, trustedResultsDir, writeCache } from "./cache";
import type { NetworkConfigList, PluginConf } from "./conf";
import { execPlugin, findInPath, PluginExecError, type ExecOptions, type PluginInvocation } from "./exec";

/** What the runtime says about one attachment (libcni's RuntimeConf). */
export interface RuntimeConf {
  readonly containerId: string;
  /** the netns path; "" when there is none (a DEL after the sandbox is gone) */
  readonly netns: string;
  readonly ifName: string;
  /** CNI_ARGS pairs */
  readonly args?: ReadonlyArray<readonly [string, string]>;
  /** capability name -> value, given to plugins that declare the capability, as runtimeConfig */
  readonly capabilityArgs?: JsonObject;
}

/** An attachment GC keeps. */
export interface GcAttachment {
  readonly containerId: string;
  readonly ifName: string;
}

/** A plugin of a network failed: says which, with the CNI error code and message when it gave one. */
export class NetworkPluginError extends Error {
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly command: string,
    readonly code: number,
    readonly msg: string,
    readonly details: string,
  ) {
    super(`plugin type="${plugin}" failed (${command.toLowerCase()}) for network "${network}": ${msg}${details === "" ? "" : `; ${details}`}`);
    this.name = "NetworkPluginError";
  }
}

/** A plugin of a network is not on CNI_PATH (or CNI_PATH is not set): the plugin never ran. */
export class PluginNotFoundError extends Error {
  constructor(
    readonly network: string,
    readonly plugin: string,
    reason: string,
  ) {
    super(`network "${network}": ${reason}`);
    this.name = "PluginNotFoundError";
  }
}

/** ADD refused before any plugin ran: the attachment is cached already, or its cache file holds another attachment. */
export class AttachmentExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AttachmentExistsError";
  }
}

/** Several errors at once (DEL and GC go on past errors). */
export class MultiError extends Error {
  constructor(readonly errors: readonly Error[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "MultiError";
  }
}

export interface CniConfigOptions extends ExecOptions {
  /** directories searched for plugins */
  readonly path: readonly string[];
  /** where results are cached (results/ below it); default /var/lib/cni */
  readonly cacheDir?: string;
}

function atLeast(version: string, minimum: string): boolean {
  return (compareVersions(version === "" ? "0.1.0" : version, minimum) ?? -1) >= 0;
}

/** A plugin's stdin for one call (libcni's buildOneConfig + injectRuntimeConfig). */
export function pluginConfig(
  list: NetworkConfigList,
  plugin: PluginConf,
  prevResult: JsonObject | undefined,
  capabilityArgs: JsonObject | undefined,
): JsonObject {
  const conf: JsonObject = { ...plugin.raw, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  else delete conf.prevResult;
  const declared = plugin.raw.capabilities;
  if (isJsonObject(declared) && capabilityArgs !== undefined) {
    const runtimeConfig: JsonObject = isJsonObject(conf.runtimeConfig) ? { ...conf.runtimeConfig } : {};
    let any = false;
    for (const capability of Object.keys(declared)) {
      if (declared[capability] === true && capabilityArgs[capability] !== undefined) {
        runtimeConfig[capability] = capabilityArgs[capability];
        any = true;
      }
    }
    if (any) conf.runtimeConfig = runtimeConfig;
  }
  return conf;
}

export class CniConfig {
  readonly cacheDir: string;
  constructor(readonly options: CniConfigOptions) {
    this.cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  }

  /**
   * ADD every plugin in order; the last result is cached and returned, decoded (Go's AddNetworkList returns
   * a types.Result). Refused before any plugin runs when the attachment is cached already (DEL it first).
   * On failure the plugins that succeeded are deleted.
   */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
    validateRuntime(list, rt);
    this.refuseCachedAttachment(list, rt);
    let result: JsonObject | undefined;
    let decoded: Result | undefined;
    const succeeded: PluginConf[] = [];
    try {
      for (const plugin of list.plugins) {
        const output = await this.run("ADD", list, plugin, rt, pluginConfig(list, plugin, result, rt.capabilityArgs));
        succeeded.push(plugin);
        decoded = requireResult(list, plugin, output);
        result = output;
      }
    } catch (thrown) {
      await this.rollBack(list, rt, succeeded, result);
      throw thrown;
    }
    writeCache(this.cacheDir, {
      containerId: rt.containerId,
      ifName: rt.ifName,
      networkName: list.name,
      netns: rt.netns,
      cniArgs: rt.args ?? [],
      capabilityArgs: rt.capabilityArgs ?? {},
      config: list.bytes,
      result,
    });
    return decoded;
  }

  /**
   * Before an ADD: the attachment must not be cached (a second ADD would otherwise fail half-way and its
   * clean-up could take the working attachment down), and its file name must not hold another attachment
   * (Go's names collide: network "a" + container "b-c" and network "a-b" + container "c").
   */
  private refuseCachedAttachment(list: NetworkConfigList, rt: RuntimeConf): void {
    trustedResultsDir(this.cacheDir, true);
    const key = { networkName: list.name, containerId: rt.containerId, ifName: rt.ifName };
    const occupant = readCacheSlot(this.cacheDir, key);
    if (occupant === undefined) return;
    const file = cacheFile(this.cacheDir, list.name, rt.containerId, rt.ifName);
    if (isEntryFor(occupant, key)) {
      throw new AttachmentExistsError(
        `network "${list.name}": container ${rt.containerId} already has interface ${rt.ifName} attached (cached in ${file}); DEL it first`,
      );
    }
    throw new AttachmentExistsError(
      `network "${list.name}": the cache file ${file} holds another attachment (network "${occupant.networkName}", container ${occupant.containerId}, interface ${occupant.ifName}): Go-compatible cache names collide; use another container ID or interface name`,
    );
  }

  /** Undo a failed ADD: DEL the plugins that succeeded in it, in reverse, with its own latest result. */
  private async rollBack(list: NetworkConfigList, rt: RuntimeConf, succeeded: readonly PluginConf[], result: JsonObject | undefined): Promise<void> {
    // the plugin that failed undid its own work; DELing it could remove what an earlier ADD made
    const prev = atLeast(list.cniVersion, "0.4.0") ? result : undefined;
    for (const plugin of [...succeeded].reverse()) {
      try {
        await this.run("DEL", list, plugin, rt, pluginConfig(list, plugin, prev, rt.capabilityArgs));
      } catch {
        // the ADD error is the one to report; a DEL error was passed through the plugin's stderr
      }
    }
  }

  /** The cached result as the list's cniVersion (Go's getCachedResult: GetAsVersion); as stored if it cannot be converted. */
  private cachedResult(list: NetworkConfigList, rt: RuntimeConf): JsonObject | undefined {
    const cached = readCache(this.cacheDir, list.name, rt.containerId, rt.ifName)?.result;
    return cached === undefined ? undefined : asListVersion(list, cached);
  }

  /**
   * DEL every plugin in reverse with the cached result as prevResult (or `prevResult` when given); goes on
   * past errors and throws them all at the end; the cache entry is removed.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, prevResult?: JsonObject): Promise<void> {
    validateRuntime(list, rt);
    const cached = prevResult === undefined ? this.cachedResult(list, rt) : asListVersion(list, prevResult);
    // prevResult on DEL exists from 0.4.0 on
    const prev = atLeast(list.cniVersion, "0.4.0") ? cached : undefined;
    const errors: Error[] = [];
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const plugin = list.plugins[i]!;
      try {
        await this.run("DEL", list, plugin, rt, pluginConfig(list, plugin, prev, rt.capabilityArgs));
      } catch (thrown) {
        errors.push(thrown as Error);
      }
    }
    if (errors.length === 0) deleteCache(this.cacheDir, list.name, rt.containerId, rt.ifName);
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new MultiError(errors);
  }

  /** CHECK every plugin in order with the cached result (needs 0.4.0; nothing when disableCheck). */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    validateRuntime(list, rt);
    if (!atLeast(list.cniVersion, "0.4.0")) {
      throw new Error(`network "${list.name}": configuration version "${list.cniVersion}" does not support the CHECK command`);
    }
    if (list.disableCheck) return;
    const cached = this.cachedResult(list, rt);
    if (cached === undefined) {
      throw new Error(`network "${list.name}": no cached result for container ${rt.containerId} interface ${rt.ifName} to check against`);
    }
    for (const plugin of list.plugins) {
      await this.run("CHECK", list, plugin, rt, pluginConfig(list, plugin, cached, rt.capabilityArgs));
    }
  }

  /** STATUS of every plugin (1.1.0; older lists have no STATUS and are reported ready). */
  async getStatusNetworkList(list: NetworkConfigList): Promise<void> {
    if (!atLeast(list.cniVersion, "1.1.0")) return;
    const rt: RuntimeConf = { containerId: "", netns: "", ifName: "" };
    for (const plugin of list.plugins) {
      await this.run("STATUS", list, plugin, rt, pluginConfig(list, plugin, undefined, undefined));
    }
  }

  /**
   * GC: DEL every cached attachment of this network that is not in `valid` (entries that are plain root-written
   * files recording this network under their own name: a stray or planted file never drives a DEL), then (1.1.0, unless disableGC)
   * GC to every plugin with the valid set. Goes on past errors; throws them all at the end.
   */
  async gcNetworkList(list: NetworkConfigList, valid: readonly GcAttachment[]): Promise<void> {
    const errors: Error[] = [];
    const keep = new Set(valid.map((a) => `${a.containerId}\u0000${a.ifName}`));
    for (const cached of listCachedAttachments(this.cacheDir, list.name)) {
      if (keep.has(`${cached.containerId}\u0000${cached.ifName}`)) continue;
      const rt: RuntimeConf = {
        containerId: cached.containerId,
        netns: cached.netns,
        ifName: cached.ifName,
        args: cached.cniArgs,
        capabilityArgs: cached.capabilityArgs,
      };
      try {
        await this.delNetworkList(list, rt, cached.result);
      } catch (thrown) {
        errors.push(thrown as Error);
      }
    }
    if (atLeast(list.cniVersion, "1.1.0") && !list.disableGC) {
      const rt: RuntimeConf = { containerId: "", netns: "", ifName: "" };
      const attachments = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
      for (const plugin of list.plugins) {
        const conf = pluginConfig(list, plugin, undefined, undefined);
        conf["cni.dev/valid-attachments"] = attachments;
        try {
          await this.run("GC", list, plugin, rt, conf);
        } catch (thrown) {
          errors.push(thrown as Error);
        }
      }
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new MultiError(errors);
  }

  /** Run one plugin; its parsed stdout (ADD: the result), or a NetworkPluginError naming plugin and network. */
  private async run(
    command: PluginInvocation["command"],
    list: NetworkConfigList,
    plugin: PluginConf,
    rt: RuntimeConf,
    conf: JsonObject,
  ): Promise<JsonObject | undefined> {
    const fail = (code: number, msg: string, details = ""): NetworkPluginError =>
      new NetworkPluginError(list.name, plugin.type, command, code, msg, details);
    if (this.options.path.length === 0) {
      throw new PluginNotFoundError(list.name, plugin.type, `plugin ${plugin.type} not found: CNI_PATH is not set`);
    }
    let executable: string;
    try {
      executable = findInPath(plugin.type, this.options.path);
    } catch (thrown) {
      if (thrown instanceof PluginExecError) throw new PluginNotFoundError(list.name, plugin.type, thrown.message);
      throw thrown;
    }
    let output;
    try {
      const invocation: PluginInvocation = {
        command,
        containerId: rt.containerId,
        netns: rt.netns,
        ifName: rt.ifName,
        args: rt.args ?? [],
        path: this.options.path,
      };
      output = await execPlugin(executable, invocation, JSON.stringify(conf), this.options);
    } catch (thrown) {
      if (thrown instanceof PluginExecError) throw fail(ErrorCode.Internal, thrown.message);
      throw thrown;
    }
    const text = output.stdout.trim();
    if (output.exitCode !== 0) {
      // the same reading of a plugin's error as skel's delegation (a code is an integer above 0, else 999)
      const error = text === "" ? undefined : parsePluginError(text);
      if (error !== undefined) throw fail(error.code, error.msg, error.details);
      throw fail(ErrorCode.Internal, `exited with status ${output.exitCode}`, text === "" ? "" : `output: ${text.slice(0, 200)}`);
    }
    if (command !== "ADD") return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isJsonObject(parsed)) throw fail(ErrorCode.Internal, "ADD succeeded but its output is not a JSON result", text.slice(0, 200));
    return parsed;
  }
}

/**
 * An ADD's output must decode as a CNI result: a list whose plugin printed something else stops there, and
 * is rolled back with that plugin (it exited 0: its work is in place). The JSON itself is what the next
 * plugin gets as prevResult, unknown keys kept.
 */
function requireResult(list: NetworkConfigList, plugin: PluginConf, output: JsonObject | undefined): Result {
  try {
    return parseResult(output, list.cniVersion);
  } catch (thrown) {
    const reason = thrown instanceof CniError ? `${thrown.message}${thrown.details ? `: ${thrown.details}` : ""}` : String(thrown);
    throw new NetworkPluginError(list.name, plugin.type, "ADD", ErrorCode.Internal, `its output is not a valid CNI result: ${reason}`, JSON.stringify(output ?? null).slice(0, 200));
  }
}

/** `result` converted to the list's cniVersion; unchanged when it cannot be (an unknown or unconvertible version). */
function asListVersion(list: NetworkConfigList, result: JsonObject): JsonObject {
  if (list.cniVersion === "" || result.cniVersion === list.cniVersion) return result;
  try {
    return resultToVersion(parseResult(result, list.cniVersion), list.cniVersion);
  } catch {
    return result;
  }
}

function validateRuntime(list: NetworkConfigList, rt: RuntimeConf): void {
  if (!isValidName(rt.containerId)) throw new Error(`invalid container ID "${rt.containerId}" (letters, digits, "_", ".", "-"; starting with a letter or digit)`);
  if (!isValidName(list.name)) throw new Error(`invalid network name "${list.name}"`);
  try {
    validateIfName(rt.ifName); // the rule every plugin applies to CNI_IFNAME
  } catch (thrown) {
    throw new Error(`invalid interface name "${rt.ifName}": ${(thrown as Error).message}`);
  }
}
