// Running a plugin executable once, as Go's pkg/invoke does, for both callers of plugins: a plugin
// delegating to its IPAM plugin (delegate.ts) and a runtime running a network list (@cni/libcni).
// The config goes to stdin, the environment is the caller's, stdout is collected; a busy executable
// (ETXTBSY: still being written, as during an upgrade) is retried after the given waits; an optional
// timeout kills the child. What the output means (result or CNI error) is for the caller: parsePluginError.
//
// node:child_process is required on use, not imported: a plugin that never spawns must not pay for it.

/** How one plugin process is run. */
export interface PluginProcessOptions {
  /** the child's whole environment */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: Buffer | string;
  /** kill the child (SIGKILL) after this many milliseconds; 0 or absent: no limit */
  readonly timeoutMs?: number;
  /** the child's stderr: collected into the output (default), passed to ours, or handed to a sink as it comes */
  readonly stderr?: "capture" | "inherit" | ((text: string) => void);
  /** waits before each retry when exec fails with ETXTBSY; their number is the number of retries */
  readonly busyRetryDelaysMs?: readonly number[];
}

/** What a plugin process gave back. */
export interface PluginProcessOutput {
  /** the exit status; -1 when killed by a signal */
  readonly exitCode: number;
  readonly stdout: string;
  /** the collected stderr ("" unless stderr was "capture") */
  readonly stderr: string;
  /** the signal that ended it, if one did */
  readonly signal: string | null;
}

/** The child could not be run at all, or ran too long: `code` is the errno name, or ETIMEDOUT / EFBIG. */
export class PluginSpawnError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "PluginSpawnError";
  }
}

/** Waits before each ETXTBSY retry for a plugin delegating to another (short: the caller is itself a plugin call). */
export const DELEGATE_BUSY_RETRY_MS: readonly number[] = [50, 100, 150, 200, 200];
/** Plenty for any result or error a plugin prints; more is a broken plugin. */
export const MAX_PLUGIN_OUTPUT_BYTES = 16 * 1024 * 1024;

function nodeChildProcess(): typeof import("node:child_process") {
  try {
    return require("node:child_process") as typeof import("node:child_process");
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return process.getBuiltinModule("node:child_process");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run `executable` (an absolute path: no PATH search) once to completion, retrying while it is busy. */
export async function runPluginProcess(executable: string, options: PluginProcessOptions): Promise<PluginProcessOutput> {
  const delays = options.busyRetryDelaysMs ?? [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnOnce(executable, options);
    } catch (thrown) {
      if (thrown instanceof PluginSpawnError && thrown.code === "ETXTBSY" && attempt < delays.length) {
        await sleep(delays[attempt]!);
        continue;
      }
      throw thrown;
    }
  }
}

function spawnOnce(executable: string, options: PluginProcessOptions): Promise<PluginProcessOutput> {
  const sink = options.stderr ?? "capture";
  const timeoutMs = options.timeoutMs ?? 0;
  return new Promise<PluginProcessOutput>((resolve, reject) => {
    let child: import("node:child_process").ChildProcess;
    try {
      child = nodeChildProcess().spawn(executable, [], {
        env: options.env,
        stdio: ["pipe", "pipe", sink === "inherit" ? "inherit" : "pipe"],
      });
    } catch (thrown) {
      // some failures of execve (ETXTBSY, EACCES) are thrown here rather than emitted
      const error = thrown as NodeJS.ErrnoException;
      reject(new PluginSpawnError(`cannot run ${executable}: ${error.message}`, error.code ?? "EIO"));
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let failure: PluginSpawnError | undefined;
    const kill = (error: PluginSpawnError): void => {
      failure ??= error;
      child.kill("SIGKILL");
    };
    const timer = timeoutMs > 0
      ? setTimeout(() => kill(new PluginSpawnError(`${executable} did not finish within ${timeoutMs} ms and was killed`, "ETIMEDOUT")), timeoutMs)
      : undefined;
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      outputBytes += chunk.length;
      if (outputBytes > MAX_PLUGIN_OUTPUT_BYTES) kill(new PluginSpawnError(`${executable} wrote more than ${MAX_PLUGIN_OUTPUT_BYTES} bytes and was killed`, "EFBIG"));
      else into.push(chunk);
    };
    child.stdout?.on("data", collect(stdout));
    if (typeof sink === "function") child.stderr?.on("data", (chunk: Buffer) => sink(chunk.toString("utf8")));
    else if (sink === "capture") child.stderr?.on("data", collect(stderr));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(new PluginSpawnError(`cannot run ${executable}: ${error.message}`, error.code ?? "EIO"));
    });
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      if (timer !== undefined) clearTimeout(timer);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      resolve({
        exitCode: code ?? -1,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        signal,
      });
    });
    // a plugin that exits without reading stdin closes the pipe: that is not our error
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.stdin);
  });
}
