// Delegation to another plugin (IPAM) through CNI_PATH (docs/protocol.md §6, Go's pkg/invoke):
// find the executable (as an absolute path, so the file found is the file run), run it with the same stdin
// bytes and environment but CNI_COMMAND set to the verb, and turn its stdout into a result or rethrow its
// CNI error with its code, the message naming the plugin that gave it.
// Delegation is bounded: each level adds one to DELEGATION_DEPTH_ENV in the child's environment (a spawned
// child and an in-process one alike), so a config whose IPAM type is a delegating plugin (bridge as its
// own IPAM) fails with code 7 instead of recursing until memory runs out.
//
// The plugin is found through the process host (the addon in an executable), and node:child_process is
// required only when a child is really spawned (invoke.ts): a delegation that runs in-process, and a
// call that never delegates, load no node:* module.
import { CniError, ErrorCode } from "./errors";
import { processHost, writeProcessOutput } from "./host";
import { DELEGATE_BUSY_RETRY_MS, PluginSpawnError, runPluginProcess } from "./invoke";
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

/** Counts delegation levels in the environment; absent means this plugin was started by a runtime. */
export const DELEGATION_DEPTH_ENV = "CNI_TS_DELEGATION_DEPTH";
/** Deepest delegation allowed: a runtime calls a plugin (0), which calls its IPAM plugin (1), and no more is needed. */
export const MAX_DELEGATION_DEPTH = 4;

/**
 * The first `<dir>/<type>` on CNI_PATH that is a regular executable file, as an absolute path (a relative
 * CNI_PATH entry such as "." is resolved once, here: the path returned is the one to execute).
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
  const host = processHost();
  for (const dir of paths) {
    const candidate = absolutePath(dir, type);
    if (host.isExecutableFile(candidate)) return candidate;
  }
  throw new CniError(
    ErrorCode.InvalidEnvironment,
    `failed to find plugin "${type}" in path [${paths.join(" ")}]`,
    "no regular executable file by that name in any CNI_PATH directory",
  );
}

/**
 * `<dir>/<name>` as an absolute, normalised path (what node:path's resolve gives, without loading it): a
 * relative CNI_PATH entry is taken from the working directory; ".", ".." and repeated slashes are resolved.
 */
export function absolutePath(dir: string, name: string): string {
  const joined = dir.startsWith("/") ? `${dir}/${name}` : `${process.cwd()}/${dir}/${name}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

function childEnv(env: Record<string, string | undefined>, command: Command, depth: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.CNI_COMMAND = command;
  out[DELEGATION_DEPTH_ENV] = String(depth);
  return out;
}

/** This call's delegation level: 0 when a runtime started it, N when N plugins delegated down to it. */
export function delegationDepth(env: Record<string, string | undefined>): number {
  const text = env[DELEGATION_DEPTH_ENV];
  if (text === undefined || !/^\d{1,3}$/.test(text)) return 0;
  return Number(text);
}

/**
 * Refuse a delegation that would loop: to the plugin the config names as this plugin's own type (bridge
 * with ipam.type "bridge"); or, from a plugin that was itself delegated to, to ipam.type again — it got its
 * caller's stdin, so it runs as that IPAM type and would call itself (bridge with ipam.type "veth"). Any
 * chain longer than MAX_DELEGATION_DEPTH (plugins that call each other by other means) is refused too.
 * Returns the child's depth.
 */
function refuseLoop(type: string, args: CmdArgs): number {
  const depth = delegationDepth(args.env);
  if (type === args.config.type || (depth > 0 && type === args.config.ipam?.type)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid IPAM type "${type}": it is a plugin that delegates to an IPAM plugin itself, so it would call itself without end`,
      'ipam.type must name an IPAM plugin, such as "host-local"',
    );
  }
  if (depth >= MAX_DELEGATION_DEPTH) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `delegation to plugin "${type}" refused: ${depth} plugins already delegate to one another (at most ${MAX_DELEGATION_DEPTH})`,
      "a plugin configured as another's IPAM plugin delegates back; check the ipam.type of each config",
    );
  }
  return depth + 1;
}

/** Spawn the plugin (retried a few times on ETXTBSY). Failing to start it at all is code 5. */
async function spawnPlugin(request: DelegateRequest): Promise<DelegateResponse> {
  try {
    const r = await runPluginProcess(request.pluginPath, { env: request.env, stdin: request.stdinData, busyRetryDelaysMs: DELEGATE_BUSY_RETRY_MS });
    return { exitCode: r.signal === null ? r.exitCode : 1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
  } catch (thrown) {
    if (!(thrown instanceof PluginSpawnError)) throw thrown;
    throw new CniError(ErrorCode.IOFailure, `failed to execute plugin "${request.type}": ${thrown.message} (${thrown.code})`, request.pluginPath);
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

/** A CNI error object as a plugin prints it on stdout (a msg, an integer code > 0, optional details). */
export interface PluginErrorOutput {
  code: number;
  msg: string;
  details: string;
}

/**
 * The CNI error a failed plugin printed, or undefined when its stdout is no error object. A code that is
 * not an integer above 0 becomes 999 (internal). libcni reads plugins' errors with this too.
 */
export function parsePluginError(stdout: string): PluginErrorOutput | undefined {
  let parsed: unknown;
  try {
    parsed = parseJson(stdout);
  } catch {
    return undefined;
  }
  if (!isJsonObject(parsed) || typeof parsed.msg !== "string") return undefined;
  const code = typeof parsed.code === "number" && Number.isInteger(parsed.code) && parsed.code > 0 ? parsed.code : ErrorCode.Internal;
  return { code, msg: parsed.msg, details: typeof parsed.details === "string" ? parsed.details : "" };
}

/**
 * A failed child's CNI error, rethrown with the same code and details, its message naming the child (the
 * caller's runtime would otherwise blame the caller); anything else is code 999.
 */
function childError(type: string, response: DelegateResponse): CniError {
  const stdout = response.stdout.toString().trim();
  const status = response.signal ? `killed by signal ${response.signal}` : `exit status ${response.exitCode}`;
  if (stdout === "") {
    const stderr = (response.stderr ?? "").toString().trim();
    if (stderr === "") return new CniError(ErrorCode.Internal, `plugin "${type}" failed with no error message`, status);
    return new CniError(ErrorCode.Internal, `plugin "${type}" failed`, `${clip(stderr)}; ${status}`);
  }
  const error = parsePluginError(stdout);
  if (error !== undefined) return new CniError(error.code, namingPlugin(type, error.msg), error.details);
  return new CniError(ErrorCode.Internal, `plugin "${type}" failed and its error output could not be parsed`, `${clip(stdout)}; ${status}`);
}

/** `msg` as the delegating plugin reports it: prefixed with the delegated plugin's name, once. */
function namingPlugin(type: string, msg: string): string {
  const prefix = `IPAM plugin "${type}": `;
  return msg.startsWith("IPAM plugin ") ? msg : `${prefix}${msg}`;
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
  const depth = refuseLoop(type, args);
  const pluginPath = findPlugin(type, args.path);
  const request: DelegateRequest = { type, pluginPath, command, stdinData: args.stdinData, env: childEnv(args.env, command, depth) };
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
