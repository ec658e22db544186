// Delegation to another plugin (IPAM) through CNI_PATH (docs/protocol.md §6, Go's pkg/invoke):
// find the executable, run it with the same stdin bytes and environment but CNI_COMMAND set to the
// verb, and turn its stdout into a result or rethrow its CNI error unchanged.
//
// node:child_process, node:fs and node:path are required when a delegation happens, not imported: a
// plugin that never delegates on a call must not pay their start-up cost.
import { CniError, ErrorCode } from "./errors";
import { nodeFs, writeProcessOutput } from "./host";
import { isJsonObject, parseJson } from "./json";
import { decodeResultAt } from "./result";
import type { CmdArgs, Command, Result } from "./types";

/** One delegated call, as handed to an in-process runner. */
export interface DelegateRequest {
  /** the plugin name, e.g. "host-local" */
  type: string;
  /** the executable found on CNI_PATH */
  pluginPath: string;
  command: Command;
  stdinData: Buffer;
  /** the child's full environment (CNI_COMMAND already set) */
  env: Record<string, string>;
}

/** What a delegated plugin produced: its exit status and output. */
export interface DelegateResponse {
  exitCode: number;
  stdout: Buffer | string;
  stderr?: Buffer | string;
  /** the signal that killed the child, if any */
  signal?: string | null;
}

/**
 * Runs a delegated call without a new process, or returns undefined to have it spawned.
 * The multi-call entry point may install one: when `pluginPath` is the executable already running
 * (same st_dev/st_ino as process.execPath) it can call the registered plugin's `run()` with an
 * in-memory PluginIO. Plugins themselves never install it.
 */
export type InProcessDelegate = (request: DelegateRequest) => DelegateResponse | undefined | Promise<DelegateResponse | undefined>;

let inProcessDelegate: InProcessDelegate | undefined;

/** Install (or, with undefined, remove) the in-process runner consulted before spawning. */
export function setInProcessDelegate(runner: InProcessDelegate | undefined): void {
  inProcessDelegate = runner;
}

/** Waits before each retry when exec fails with ETXTBSY (the binary is still being written). */
const TEXT_BUSY_RETRY_MS = [50, 100, 150, 200, 200];
/** Plenty for any result or error a plugin prints. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * The first `<dir>/<type>` on CNI_PATH that is a regular executable file.
 * Code 7 for a bad name (it comes from the config), code 4 when CNI_PATH is missing or lacks it.
 */
export function findPlugin(type: string, paths: readonly string[]): string {
  if (type === "") throw new CniError(ErrorCode.InvalidNetworkConfig, "no plugin name provided", "the plugin type is empty");
  if (type.includes("/") || type === "." || type === "..") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid plugin name: ${type}`, "a plugin type is a file name on CNI_PATH, not a path");
  }
  if (paths.length === 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, "required env variables [CNI_PATH] missing", `needed to find plugin "${type}"`);
  }
  const fs = nodeFs();
  const { join } = nodePath();
  for (const dir of paths) {
    const candidate = join(dir, type);
    try {
      if (!fs.statSync(candidate).isFile()) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // absent or not executable here: keep looking
    }
  }
  throw new CniError(
    ErrorCode.InvalidEnvironment,
    `failed to find plugin "${type}" in path [${paths.join(" ")}]`,
    "no regular executable file by that name in any CNI_PATH directory",
  );
}

function nodeChildProcess(): typeof import("node:child_process") {
  try {
    return require("node:child_process") as typeof import("node:child_process");
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return process.getBuiltinModule("node:child_process");
  }
}

function nodePath(): typeof import("node:path") {
  try {
    return require("node:path") as typeof import("node:path");
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return process.getBuiltinModule("node:path");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function childEnv(env: Record<string, string | undefined>, command: Command): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.CNI_COMMAND = command;
  return out;
}

/** Spawn the plugin, retrying a few times on ETXTBSY. Failing to start it at all is code 5. */
async function spawnPlugin(request: DelegateRequest): Promise<DelegateResponse> {
  const { spawnSync } = nodeChildProcess();
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync(request.pluginPath, [], {
      input: request.stdinData,
      env: request.env,
      maxBuffer: MAX_OUTPUT_BYTES,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const errno = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (errno === "ETXTBSY" && attempt < TEXT_BUSY_RETRY_MS.length) {
      await sleep(TEXT_BUSY_RETRY_MS[attempt] as number);
      continue;
    }
    if (r.error !== undefined) {
      throw new CniError(ErrorCode.IOFailure, `failed to execute plugin "${request.type}": ${r.error.message}`, request.pluginPath);
    }
    return { exitCode: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
  }
}

/** The child's stderr is its log: pass it on to ours (best effort). */
function forwardStderr(stderr: Buffer | string | undefined): void {
  if (stderr === undefined || stderr.length === 0) return;
  try {
    writeProcessOutput(2, typeof stderr === "string" ? stderr : stderr.toString("utf8"));
  } catch {
    // logging only
  }
}

function clip(text: string, max = 512): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A failed child's CNI error, rethrown with the same code/msg/details; anything else is code 999. */
function childError(type: string, response: DelegateResponse): CniError {
  const stdout = response.stdout.toString().trim();
  const status = response.signal ? `killed by signal ${response.signal}` : `exit status ${response.exitCode}`;
  if (stdout === "") {
    const stderr = (response.stderr ?? "").toString().trim();
    if (stderr === "") return new CniError(ErrorCode.Internal, `plugin "${type}" failed with no error message`, status);
    return new CniError(ErrorCode.Internal, `plugin "${type}" failed`, `${clip(stderr)}; ${status}`);
  }
  let parsed: unknown;
  try {
    parsed = parseJson(stdout);
  } catch {
    parsed = undefined;
  }
  if (isJsonObject(parsed) && typeof parsed.msg === "string") {
    const code = typeof parsed.code === "number" && Number.isInteger(parsed.code) && parsed.code > 0 ? parsed.code : ErrorCode.Internal;
    return new CniError(code, parsed.msg, typeof parsed.details === "string" ? parsed.details : "");
  }
  return new CniError(ErrorCode.Internal, `plugin "${type}" failed and its error output could not be parsed`, `${clip(stdout)}; ${status}`);
}

/** The child's result in the current shape; an empty cniVersion means the config's (cni#895). */
function childResult(type: string, stdout: string, configVersion: string): Result {
  let parsed: unknown;
  try {
    parsed = parseJson(stdout);
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, `failed to parse the result of plugin "${type}"`, `${(err as Error).message}: ${clip(stdout)}`);
  }
  try {
    return decodeResultAt(parsed ?? {}, configVersion, "");
  } catch (err) {
    if (err instanceof CniError && err.code === ErrorCode.InvalidNetworkConfig) {
      throw new CniError(ErrorCode.DecodingFailure, `invalid result from plugin "${type}": ${err.message}`, err.details);
    }
    throw err;
  }
}

/** Run plugin `type` for `command` with the caller's stdin bytes and environment; its stdout on success. */
export async function delegate(type: string, command: Command, args: CmdArgs): Promise<string> {
  const pluginPath = findPlugin(type, args.path);
  const request: DelegateRequest = { type, pluginPath, command, stdinData: args.stdinData, env: childEnv(args.env, command) };
  const response = (await inProcessDelegate?.(request)) ?? (await spawnPlugin(request));
  forwardStderr(response.stderr);
  if (response.exitCode !== 0 || response.signal) throw childError(type, response);
  return response.stdout.toString();
}

/** Run plugin `type` from CNI_PATH with the same stdin and env, CNI_COMMAND=ADD; parse its result. */
export async function delegateAdd(type: string, args: CmdArgs): Promise<Result> {
  return childResult(type, await delegate(type, "ADD", args), args.config.cniVersion);
}
export async function delegateDel(type: string, args: CmdArgs): Promise<void> {
  await delegate(type, "DEL", args);
}
export async function delegateCheck(type: string, args: CmdArgs): Promise<void> {
  await delegate(type, "CHECK", args);
}
export async function delegateStatus(type: string, args: CmdArgs): Promise<void> {
  await delegate(type, "STATUS", args);
}
export async function delegateGC(type: string, args: CmdArgs): Promise<void> {
  await delegate(type, "GC", args);
}
