// Running one plugin as the spec says: found on CNI_PATH, config on stdin, CNI_* in the environment,
// result or error JSON on stdout. The process is run by skel's runPluginProcess, the path plugins use to
// delegate: with a timeout (the process is killed), a retry when the executable is being written
// (ETXTBSY, as Go's invoke package does), and the plugin's stderr passed through.
import { ErrorCode, findPlugin, isCniError, PluginSpawnError, runPluginProcess } from "@cni/skel";

/** How one plugin is invoked. */
export interface PluginInvocation {
  readonly command: "ADD" | "DEL" | "CHECK" | "STATUS" | "GC" | "VERSION";
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  /** CNI_ARGS as key/value pairs, joined "K=V;K=V" */
  readonly args: ReadonlyArray<readonly [string, string]>;
  readonly path: readonly string[];
}

/** What a plugin process gave back. */
export interface PluginOutput {
  readonly exitCode: number;
  readonly stdout: string;
}

/** Options of plugin execution. */
export interface ExecOptions {
  /** kill the plugin after this many milliseconds (default 60 s; 0 = none) */
  readonly timeoutMs?: number;
  /** where the plugin's stderr goes: the caller's stderr (default) or a sink */
  readonly stderr?: "inherit" | ((text: string) => void);
  /** attempts when the executable is busy being written (ETXTBSY); default 5 */
  readonly busyRetries?: number;
  /** wait between those attempts; default 1000 ms (as Go's libcni) */
  readonly busyRetryDelayMs?: number;
  /** the environment the CNI_* variables are added to; default process.env */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** Why running a plugin failed before it could answer (not found, timed out, killed, could not exec). */
export class PluginExecError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "PluginExecError";
  }
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The executable for `type` on `path` (libcni's FindInPath): the first regular executable file of that name,
 * found as a plugin finds its IPAM plugin (skel's findPlugin), its refusal as a PluginExecError.
 */
export function findInPath(type: string, path: readonly string[]): string {
  try {
    return findPlugin(type, path);
  } catch (thrown) {
    if (!isCniError(thrown)) throw thrown;
    const code = thrown.code === ErrorCode.InvalidNetworkConfig ? "EINVAL" : "ENOENT";
    throw new PluginExecError(thrown.message, code);
  }
}

/** CNI_ARGS text from pairs. */
export function cniArgsText(args: ReadonlyArray<readonly [string, string]>): string {
  return args.map(([k, v]) => `${k}=${v}`).join(";");
}

/** Run the plugin `executable` once with `stdin`; resolves with its exit code and stdout. */
export async function execPlugin(
  executable: string,
  invocation: PluginInvocation,
  stdin: string,
  options: ExecOptions = {},
): Promise<PluginOutput> {
  const env: Record<string, string> = {};
  const base = options.baseEnv ?? process.env;
  for (const key of Object.keys(base)) {
    const value = base[key];
    if (value !== undefined) env[key] = value;
  }
  env.CNI_COMMAND = invocation.command;
  env.CNI_CONTAINERID = invocation.containerId;
  env.CNI_NETNS = invocation.netns;
  env.CNI_IFNAME = invocation.ifName;
  env.CNI_ARGS = cniArgsText(invocation.args);
  env.CNI_PATH = invocation.path.join(":");
  const retries = Math.max(0, (options.busyRetries ?? 5) - 1);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let output;
  try {
    // the same spawn as skel's delegation: retried while busy, killed after the timeout
    output = await runPluginProcess(executable, {
      env,
      stdin,
      timeoutMs,
      stderr: options.stderr ?? "inherit",
      busyRetryDelaysMs: new Array<number>(retries).fill(options.busyRetryDelayMs ?? 1000),
    });
  } catch (thrown) {
    if (thrown instanceof PluginSpawnError) throw new PluginExecError(thrown.message, thrown.code);
    throw thrown;
  }
  if (output.signal !== null) throw new PluginExecError(`${executable} was killed by ${output.signal}`, "EINTR");
  return { exitCode: output.exitCode, stdout: output.stdout };
}
