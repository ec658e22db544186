// definePlugin: one invocation from environment + stdin to stdout + exit code (protocol.md §1–§5).
// The order of checks: command, required env and its values, stdin, JSON, network name, versions,
// the rest of the config, the own-netns guard, then the handler. Every failure on the way is a CNI
// error on stdout and exit 1; a handler's untyped exception is code 999 with its message, never a trace.
import { readFileSync, writeSync } from "node:fs";
import { configVersion, parseNetConf, validateNetworkName } from "./config";
import { isCommand, requireEnv, validateContainerId, validateIfName } from "./env";
import { CniError, ErrorCode, formatError, toCniError } from "./errors";
import { goQuotedList, isJsonObject, type JsonObject } from "./json";
import { assertNotOwnNetns, netnsOverride } from "./netns";
import { formatResult } from "./result";
import type { CmdArgs, Command, Plugin, PluginIO, PluginSpec } from "./types";
import { ALL_VERSIONS, CURRENT_VERSION, MIN_VERSION_FOR_COMMAND, compareVersions } from "./versions";

export function definePlugin(spec: PluginSpec): Plugin {
  return {
    spec,
    run: (io?: PluginIO) => runPlugin(spec, io ?? processIO()),
    async main(): Promise<void> {
      guardProcess();
      process.exitCode = await runPlugin(spec, processIO());
    },
  };
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
  const known = supportedVersions(spec).filter((v) => compareVersions(v, v) !== undefined);
  if (known.length === 0) return CURRENT_VERSION;
  return known.reduce((a, b) => ((compareVersions(b, a) ?? 0) > 0 ? b : a));
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
    io.writeStdout(`${JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: supported })}\n`);
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
  if (supported.includes(version)) context.configVersion = version;
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
    path: (env.CNI_PATH ?? "").split(":").filter((p) => p !== ""),
    stdinData,
    config,
    env,
  };
  await callHandler(spec, args, io);
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
    value = JSON.parse(stdinData.toString("utf8"));
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
  if (!supported.includes(version)) {
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

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Write all of `text` to fd 1 or 2 synchronously (a non-blocking pipe may say EAGAIN: wait and retry). */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < buf.length) {
    try {
      offset += writeSync(fd, buf, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      sleepSync(1);
    }
  }
}

/** All of stdin; synchronous read is cheapest, a stream only when fd 0 is non-blocking. */
async function readProcessStdin(): Promise<Buffer> {
  try {
    return readFileSync(0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin
      .on("data", (chunk: Buffer) => chunks.push(chunk))
      .on("end", () => resolve(Buffer.concat(chunks)))
      .on("error", reject);
  });
}

function processIO(): PluginIO {
  return {
    env: withCommandFromArgs(process.env, process.argv.slice(2)),
    readStdin: readProcessStdin,
    writeStdout: (text) => writeAll(1, text),
    writeStderr: (text) => writeAll(2, text),
  };
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
      writeAll(2, `internal error: ${toCniError(err).message}\n`);
    } catch {
      // nothing left to report to
    }
    process.exitCode = 1;
  };
  process.on("uncaughtException", onStray);
  process.on("unhandledRejection", onStray);
}
