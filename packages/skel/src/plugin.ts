// definePlugin: one invocation from environment + stdin to stdout + exit code (docs/protocol.md §1–§5).
// The order of checks: command, required env and its values, stdin, JSON, network name, versions,
// the rest of the config, the own-netns guard, then the handler. Every failure on the way is a CNI
// error on stdout and exit 1; a handler's untyped exception is code 999 with its message, never a trace.
//
// Every call is a fresh process, so this path avoids what costs start-up time: no node:* module (the
// process host reads stdin, Bun.write prints), VERSION answered before anything else is built, and
// loops rather than the first use of array methods, spread and regexes.
import { configVersion, parseNetConf, validateNetworkName } from "./config";
import { isCommand, requireEnv, validateContainerId, validateIfName } from "./env";
import { CniError, ErrorCode, formatError, toCniError } from "./errors";
import { processHost, processOutputDone, writeProcessOutput } from "./host";
import { goQuotedList, isJsonObject, parseJson, type JsonObject } from "./json";
import { assertNotOwnNetns, netnsOverride } from "./netns";
import { formatResult } from "./result";
import type { CmdArgs, Command, Plugin, PluginIO, PluginSpec } from "./types";
import { ALL_VERSIONS, CURRENT_VERSION, MIN_VERSION_FOR_COMMAND, compareVersions } from "./versions";

export function definePlugin(spec: PluginSpec): Plugin {
  return {
    spec,
    run: (io?: PluginIO) => runPlugin(spec, io ?? processIO()),
    async main(): Promise<void> {
      if (answerVersionFirst(spec)) return;
      guardProcess();
      const code = await runPlugin(spec, processIO());
      // The answer must be out before the exit status is final: a lost answer is a failed call.
      if (await processOutputDone()) process.exitCode = code;
    },
  };
}

/**
 * VERSION (CNI_COMMAND, or `plugin VERSION` typed with CNI_COMMAND unset) straight from the process:
 * runtimes probe every plugin with it, and it needs nothing but the spec.
 */
function answerVersionFirst(spec: PluginSpec): boolean {
  const command = process.env.CNI_COMMAND;
  if (command !== "VERSION" && ((command !== undefined && command !== "") || process.argv[2] !== "VERSION")) return false;
  // not through the host: its writer would load the addon, which VERSION never needs
  writeProcessOutput(1, versionText(supportedVersions(spec)), false);
  return true;
}

/** `{"cniVersion":…,"supportedVersions":[…]}` and a newline, as Go's skel prints it. */
function versionText(supported: readonly string[]): string {
  let list = "";
  for (const version of supported) {
    if (!isPlainJsonText(version)) return `${JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: supported })}\n`;
    list = list === "" ? `"${version}"` : `${list},"${version}"`;
  }
  return `{"cniVersion":"${CURRENT_VERSION}","supportedVersions":[${list}]}\n`;
}

/** Printable ASCII other than quote and backslash: its JSON string is the text in quotes. */
function isPlainJsonText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** What the error printer needs to know about the invocation so far. */
interface ErrorContext {
  /** the config's version once it is known to be one the plugin supports */
  configVersion?: string;
}

async function runPlugin(spec: PluginSpec, io: PluginIO): Promise<number> {
  const context: ErrorContext = {};
  try {
    await dispatch(spec, io, context);
    return 0;
  } catch (thrown) {
    const error = toCniError(thrown);
    try {
      io.writeStdout(formatError(error, context.configVersion ?? latestVersion(spec)));
    } catch {
      // stdout is gone; the exit status still says it failed
    }
    return 1;
  }
}

function supportedVersions(spec: PluginSpec): readonly string[] {
  return spec.supportedVersions ?? ALL_VERSIONS;
}

/** The newest version the plugin supports: the error object's version when the config's is unknown. */
function latestVersion(spec: PluginSpec): string {
  let latest: string | undefined;
  for (const version of supportedVersions(spec)) {
    const cmp = compareVersions(version, latest ?? version);
    if (cmp !== undefined && (latest === undefined || cmp > 0)) latest = version;
  }
  return latest ?? CURRENT_VERSION;
}

function includes(list: readonly string[], item: string): boolean {
  for (const entry of list) if (entry === item) return true;
  return false;
}

async function dispatch(spec: PluginSpec, io: PluginIO, context: ErrorContext): Promise<void> {
  const env = io.env;
  const command = env.CNI_COMMAND ?? "";
  const supported = supportedVersions(spec);

  if (command === "") {
    io.writeStderr(`${spec.about ? `${spec.about}\n` : ""}CNI protocol versions supported: ${supported.join(", ")}\n`);
    return;
  }
  if (!isCommand(command)) throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${command}`);
  if (command === "VERSION") {
    // No stdin read: a runtime may leave it open, and VERSION needs nothing from it.
    io.writeStdout(versionText(supported));
    return;
  }

  requireEnv(command, env);
  const perContainer = command === "ADD" || command === "DEL" || command === "CHECK";
  if (perContainer) {
    validateContainerId(env.CNI_CONTAINERID ?? "");
    validateIfName(env.CNI_IFNAME ?? "");
  }

  const stdinData = await readStdin(io);
  const raw = decodeConfigJson(stdinData);
  const version = configVersion(raw);
  if (includes(supported, version)) context.configVersion = version;
  validateNetworkName(raw);
  checkVersion(command, version, supported);
  const config = parseNetConf(raw, {
    badPrevResult: command === "DEL" ? "drop" : "error",
    warn: (message) => io.writeStderr(`${message}\n`),
  });

  const netns = perContainer ? (env.CNI_NETNS ?? "") : "";
  if (perContainer && !netnsOverride(env)) assertNotOwnNetns(netns);

  const args: CmdArgs = {
    command,
    containerId: perContainer ? (env.CNI_CONTAINERID ?? "") : "",
    netns,
    ifName: perContainer ? (env.CNI_IFNAME ?? "") : "",
    args: perContainer ? (env.CNI_ARGS ?? "") : "",
    path: splitPath(env.CNI_PATH ?? ""),
    stdinData,
    config,
    env,
  };
  await callHandler(spec, args, io);
}

/** CNI_PATH's directories, empty entries dropped. */
function splitPath(value: string): string[] {
  const dirs: string[] = [];
  for (let start = 0; start < value.length; ) {
    let end = value.indexOf(":", start);
    if (end < 0) end = value.length;
    if (end > start) dirs.push(value.slice(start, end));
    start = end + 1;
  }
  return dirs;
}

async function readStdin(io: PluginIO): Promise<Buffer> {
  try {
    return await io.readStdin();
  } catch (err) {
    throw new CniError(ErrorCode.IOFailure, `error reading from stdin: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeConfigJson(stdinData: Buffer): JsonObject {
  let value: unknown;
  try {
    value = parseJson(stdinData.toString("utf8"));
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: expected a JSON object, got ${got}`);
  }
  return value;
}

/** The verb's minimum version first (CHECK 0.4.0, GC/STATUS 1.1.0), then the plugin's list. Code 1. */
function checkVersion(command: Command, version: string, supported: readonly string[]): void {
  const min = MIN_VERSION_FOR_COMMAND[command];
  const cmp = min === undefined ? undefined : compareVersions(version, min);
  if (cmp !== undefined && cmp < 0) {
    throw new CniError(ErrorCode.IncompatibleVersion, `config version does not allow ${command}`, `config is "${version}", ${command} needs "${min}" or later`);
  }
  if (!includes(supported, version)) {
    throw new CniError(ErrorCode.IncompatibleVersion, "incompatible CNI versions", `config is "${version}", plugin supports ${goQuotedList(supported)}`);
  }
}

async function callHandler(spec: PluginSpec, args: CmdArgs, io: PluginIO): Promise<void> {
  switch (args.command) {
    case "ADD": {
      const result = await spec.add(args);
      if (!isJsonObject(result)) throw new CniError(ErrorCode.Internal, "plugin ADD returned no result");
      let text: string;
      try {
        text = formatResult(result, args.config.cniVersion);
      } catch (err) {
        // The config's version cannot express the result (e.g. no IP for 0.1/0.2): undo the ADD, then fail.
        await rollbackAdd(spec, args, io);
        throw err;
      }
      io.writeStdout(text);
      return;
    }
    case "DEL":
      return spec.del(args);
    case "CHECK":
      return spec.check(args);
    case "STATUS":
      return spec.status?.(args);
    case "GC":
      return spec.gc?.(args);
  }
}

async function rollbackAdd(spec: PluginSpec, args: CmdArgs, io: PluginIO): Promise<void> {
  try {
    await spec.del({ ...args, command: "DEL" });
  } catch (err) {
    io.writeStderr(`undoing ADD failed: ${toCniError(err).message}\n`);
  }
}

// ---------------------------------------------------------------- the real process

/** The process's own I/O: stdin through the process host, output through its writer. */
function processIO(): PluginIO {
  return {
    env: commandFromArgs(process.env),
    readStdin: readProcessStdin,
    writeStdout: (text) => writeProcessOutput(1, text),
    writeStderr: (text) => writeProcessOutput(2, text),
  };
}

async function readProcessStdin(): Promise<Buffer> {
  const bytes = await processHost().readStdin();
  // A view, not a copy, when the host's bytes are not already a Buffer.
  return bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The process environment, with `plugin VERSION` from a shell read as CNI_COMMAND=VERSION. */
function commandFromArgs(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const command = env.CNI_COMMAND;
  if ((command !== undefined && command !== "") || process.argv[2] !== "VERSION") return env;
  return withCommandFromArgs(env, ["VERSION"]);
}

/**
 * `plugin VERSION` typed by a person works like CNI_COMMAND=VERSION. Only VERSION, and only when
 * CNI_COMMAND is unset: a runtime always sets it, so what a runtime sees never changes.
 */
export function withCommandFromArgs(
  env: Record<string, string | undefined>,
  args: readonly string[],
): Record<string, string | undefined> {
  if ((env.CNI_COMMAND ?? "") !== "" || args[0] !== "VERSION") return env;
  return { ...env, CNI_COMMAND: "VERSION" };
}

/** A stray exception outside the dispatch (a forgotten promise) logs one line, not a trace, and fails the call. */
function guardProcess(): void {
  const onStray = (err: unknown): void => {
    try {
      writeProcessOutput(2, `internal error: ${toCniError(err).message}\n`);
    } catch {
      // nothing left to report to
    }
    process.exitCode = 1;
  };
  process.on("uncaughtException", onStray);
  process.on("unhandledRejection", onStray);
}
