// Running network lists (Go libcni's api.go): ADD in order with prevResult chaining and runtimeConfig for
// the capabilities each plugin declares, cached; DEL in reverse with the cached result; CHECK; STATUS;
// GC. Unlike Go's libcni, a failed ADD is rolled back here (DEL of the whole list, cache removed).
import { compareVersions, isJsonObject, isValidName, validateIfName, type JsonObject } from "@cni/skel";
import { deleteCache, DEFAULT_CACHE_DIR, listCachedAttachments, readCache, writeCache } from "./cache";
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

const ERROR_CODE_INTERNAL = 999;

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

  /** ADD every plugin in order; the last result is cached and returned. On failure the list is deleted again. */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<JsonObject | undefined> {
    validateRuntime(list, rt);
    let result: JsonObject | undefined;
    try {
      for (const plugin of list.plugins) {
        result = await this.run("ADD", list, plugin, rt, pluginConfig(list, plugin, result, rt.capabilityArgs));
      }
    } catch (thrown) {
      // roll back: plugins that ran (and the one that failed) release what they took
      try {
        await this.delNetworkList(list, rt, result);
      } catch {
        // the ADD error is the one to report; DEL errors were passed through the plugins' stderr
      }
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
    return result;
  }

  /**
   * DEL every plugin in reverse with the cached result as prevResult (or `prevResult` when given); goes on
   * past errors and throws them all at the end; the cache entry is removed.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, prevResult?: JsonObject): Promise<void> {
    validateRuntime(list, rt);
    const cached = prevResult ?? readCache(this.cacheDir, list.name, rt.containerId, rt.ifName)?.result;
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
    const cached = readCache(this.cacheDir, list.name, rt.containerId, rt.ifName)?.result;
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
   * GC: DEL every cached attachment of this network that is not in `valid`, then (1.1.0, unless disableGC)
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
    let output;
    try {
      const executable = findInPath(plugin.type, this.options.path);
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
      if (thrown instanceof PluginExecError) throw fail(ERROR_CODE_INTERNAL, thrown.message);
      throw thrown;
    }
    const text = output.stdout.trim();
    let parsed: unknown;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (output.exitCode !== 0) {
      if (isJsonObject(parsed) && typeof parsed.msg === "string") {
        const error: JsonObject = parsed;
        throw fail(typeof error.code === "number" ? error.code : ERROR_CODE_INTERNAL, parsed.msg, typeof error.details === "string" ? error.details : "");
      }
      throw fail(ERROR_CODE_INTERNAL, `exited with status ${output.exitCode}`, text === "" ? "" : `output: ${text.slice(0, 200)}`);
    }
    if (command !== "ADD") return undefined;
    if (!isJsonObject(parsed)) throw fail(ERROR_CODE_INTERNAL, "ADD succeeded but its output is not a JSON result", text.slice(0, 200));
    return parsed;
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
