// In-process IPAM delegation: when the plugin found on CNI_PATH is the very file this process runs
// from (same st_dev and st_ino as /proc/self/exe), spawning it would start this same code again under
// another name. Instead its handler runs here, with the child's stdin bytes and environment and an
// in-memory stdout/stderr, so the caller sees exactly what a child process would have given it.
import type { DelegateRequest, DelegateResponse, FileIdentity, InProcessDelegate, Plugin } from "@cni/skel";
import type { PluginRegistry } from "./registry";

/** True when `path` is provably the executable this process runs from. */
export type ExecutableCheck = (path: string) => boolean;

/** The runner for skel's setInProcessDelegate: undefined (spawn it) unless the found file is this executable. */
export function inProcessDelegate(registry: PluginRegistry, isThisExecutable: ExecutableCheck): InProcessDelegate {
  return async (request: DelegateRequest): Promise<DelegateResponse | undefined> => {
    // The child would pick its plugin by the name it was started as: the found file's name.
    const plugin = registry.get(baseName(request.pluginPath));
    if (plugin === undefined || !isThisExecutable(request.pluginPath)) return undefined;
    return runInProcess(plugin, request);
  };
}

/**
 * One invocation of `plugin` as a child would see it: env and stdin from the request, output collected
 * (never printed: the caller decides what to do with it), its exit code returned. process.exitCode is
 * put back afterwards, so nothing the handler sets there decides the caller's exit status.
 */
export async function runInProcess(plugin: Plugin, request: DelegateRequest): Promise<DelegateResponse> {
  let stdout = "";
  let stderr = "";
  const callerExitCode = process.exitCode;
  try {
    const exitCode = await plugin.run({
      env: request.env,
      readStdin: () => request.stdinData,
      writeStdout: (text: string) => {
        stdout += text;
      },
      writeStderr: (text: string) => {
        stderr += text;
      },
    });
    return { exitCode, stdout, stderr };
  } catch (thrown) {
    // run() promises not to throw; should it anyway, the caller sees a child that died without a result.
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    return { exitCode: 1, stdout, stderr: `${stderr}internal error: ${reason}\n` };
  } finally {
    // `?? 0`: Bun ignores setting undefined, and unset means 0 anyway
    process.exitCode = callerExitCode ?? 0;
  }
}

/** st_dev/st_ino of the file a path names (symlinks followed), undefined when it cannot be stat'ed. */
export type FileIdentityOf = (path: string) => FileIdentity | undefined;

/**
 * The check "is `path` the executable this process runs from": same device and inode as
 * /proc/self/exe, which names the file this process was started from even if it has since been
 * replaced or removed (a rebuild or an upgrade renames a new file into place: that is another build,
 * so it is spawned). /proc/self/exe is looked at once, on the first delegation.
 */
export function runningExecutableCheck(identityOf: FileIdentityOf): ExecutableCheck {
  let self: FileIdentity | null | undefined;
  return (path: string): boolean => {
    if (self === undefined) self = identityOf("/proc/self/exe") ?? null;
    if (self === null) return false;
    const found = identityOf(path);
    return found !== undefined && found.dev === self.dev && found.ino === self.ino;
  };
}

/** The last path component, without loading node:path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
