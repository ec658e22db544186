// Running a command inside a network namespace (`ip netns exec`): fork + setns + execve in the addon, so
// a tool needs no helper process and no node:child_process.
import { call } from "@cni/netlink/addon";
import { checkAccess, fileStatus } from "./files";
import { native } from "./native";

/**
 * Run `argv` inside the network namespace at `nsPath` (a path: /var/run/netns/<name>, /proc/<pid>/ns/net)
 * and wait for it; returns its exit status (128 + signal number when killed). stdio are inherited.
 * argv[0] without a slash is looked up in env.PATH. Throws ENOENT (no such command or namespace), EACCES,
 * ENOTNS. Only the network namespace changes (/sys is not remounted).
 */
export function execInNetns(
  nsPath: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  if (argv.length === 0) throw Object.assign(new Error("execInNetns: no command given"), { code: "EINVAL" });
  const executable = resolveExecutable(argv[0]!, env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  const environment: string[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value !== undefined) environment.push(`${key}=${value}\0`);
  }
  return call(() =>
    native().netnsExec(nsPath, executable, Buffer.from(argv.join("\0") + "\0"), Buffer.from(environment.join(""))),
  );
}

/** A command name as execvp(3) finds it: a path as is, else the first executable file of that name on PATH. */
function resolveExecutable(command: string, searchPath: string): string {
  const found = findExecutable(command, searchPath);
  if (found === undefined) throw Object.assign(new Error(`${command}: command not found in PATH ${searchPath}`), { code: "ENOENT" });
  return found;
}

/**
 * Where execvp(3) would find `command` on `searchPath` (a path is taken as is; an empty entry is "."):
 * the first executable regular file of that name, or undefined. A stat per directory, no process.
 */
export function findExecutable(command: string, searchPath: string): string | undefined {
  if (command.includes("/")) return command;
  for (const dir of searchPath.split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${command}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** True when `path` (symlinks followed) is a regular file this process may execute: stat(2) and access(2), no node:fs. */
export function isExecutableFile(path: string): boolean {
  try {
    if (fileStatus(path).kind !== "file") return false;
    checkAccess(path, "execute");
    return true;
  } catch {
    return false;
  }
}
