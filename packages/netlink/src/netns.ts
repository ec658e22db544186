// Named network namespaces (as `ip netns` keeps them under /var/run/netns), file locks, and the file
// primitives a plugin's per-call path needs without loading node:fs (reading stdin, a file's identity).
import { native } from "./addon";
import { call } from "./errors";
import { closeFile, OpenFlag, openFile } from "./files";
import type { FileIdentity } from "./types";

export const NETNS_RUN_DIR = "/var/run/netns";

export const netns = {
  /** `ip netns add <name>`: a new namespace bind-mounted on /var/run/netns/<name>; returns that path (EEXIST if taken). */
  create(name: string): string {
    return call(() => native().netnsCreate(name));
  },
  /** `ip netns del <name>` (ENOENT if there is no such name). */
  delete(name: string): void {
    call(() => native().netnsDelete(name));
  },
  /** Path of a named namespace. */
  pathOf(name: string): string {
    return `${NETNS_RUN_DIR}/${name}`;
  },
  /** Whether `path` is a network namespace (a missing file is not). */
  isNetns(path: string): boolean {
    return call(() => native().netnsIsNetns(path));
  },
  /** Throw code 'ENOENT' (missing) or 'ENOTNS' (not a network namespace) unless `path` is one. */
  check(path: string): void {
    call(() => native().netnsCheck(path));
  },
  /** Whether two paths name the same namespace. */
  same(a: string, b: string): boolean {
    return call(() => native().netnsSame(a, b));
  },
  /** Path of the calling thread's own network namespace. */
  currentPath(): string {
    return "/proc/thread-self/ns/net";
  },
  /** `ip netns list`: the names under /var/run/netns that are network namespaces, sorted (none if no directory). */
  list(): string[] {
    // node:fs on use: this is for runtimes and tools, never on a plugin's per-call path
    const fs = process.getBuiltinModule("node:fs");
    let entries: string[];
    try {
      entries = fs.readdirSync(NETNS_RUN_DIR);
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw thrown;
    }
    const names: string[] = [];
    for (const name of entries.sort()) if (netns.isNetns(`${NETNS_RUN_DIR}/${name}`)) names.push(name);
    return names;
  },
  /**
   * `ip netns exec`: run `argv` inside the network namespace at `nsPath` (a path, or a name under
   * /var/run/netns) and wait for it; returns its exit status (128 + signal number when killed). stdio are
   * inherited. argv[0] without a slash is looked up in env.PATH. Throws ENOENT (no such command or
   * namespace), EACCES, ENOTNS. Only the network namespace changes (/sys is not remounted).
   */
  exec(nsPath: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): number {
    const path = nsPath.includes("/") ? nsPath : `${NETNS_RUN_DIR}/${nsPath}`;
    if (argv.length === 0) throw Object.assign(new Error("netns.exec: no command given"), { code: "EINVAL" });
    const executable = resolveExecutable(argv[0]!, env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    const environment: string[] = [];
    for (const key of Object.keys(env)) {
      const value = env[key];
      if (value !== undefined) environment.push(`${key}=${value}\0`);
    }
    return call(() =>
      native().netnsExec(path, executable, Buffer.from(argv.join("\0") + "\0"), Buffer.from(environment.join(""))),
    );
  },
};

/** A command name as execvp(3) finds it: a path as is, else the first executable file of that name on PATH. */
function resolveExecutable(command: string, searchPath: string): string {
  if (command.includes("/")) return command;
  const fs = process.getBuiltinModule("node:fs");
  for (const dir of searchPath.split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${command}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: next directory
    }
  }
  throw Object.assign(new Error(`${command}: command not found in PATH ${searchPath}`), { code: "ENOENT" });
}

/** flock(2) on an open file descriptor; blocks until granted. */
export function flock(fd: number, mode: "exclusive" | "shared" | "unlock"): void {
  call(() => native().flock(fd, mode, false));
}

/** Non-blocking flock(2): false when another holder has a conflicting lock. */
export function tryFlock(fd: number, mode: "exclusive" | "shared"): boolean {
  return call(() => native().flock(fd, mode, true));
}

/**
 * Open (creating if needed with `fileMode`, default 0600) and flock the file at `path`; returns the fd —
 * closing it releases the lock. Host-local's `<dataDir>/<network>/lock` is taken this way (mode 0750, as
 * the Go plugin's go-filemutex creates it), so the two implementations exclude each other.
 */
export function lockFile(path: string, mode: "exclusive" | "shared" = "exclusive", fileMode = 0o600): number {
  // opened through the addon, not node:fs: loading node:fs costs a compiled executable start-up time
  // noFollow: a planted link must not make root create or lock a file elsewhere
  const fd = openFile(path, OpenFlag.readOnly | OpenFlag.create | OpenFlag.noFollow, fileMode);
  try {
    flock(fd, mode);
    return fd;
  } catch (thrown) {
    closeFile(fd);
    throw thrown;
  }
}

/**
 * The whole content of file descriptor `fd` (0 = stdin), read until end of file. A non-blocking fd (stdin
 * handed over by a runtime as O_NONBLOCK) is waited on with poll(2) rather than failing with EAGAIN. More
 * than `maxBytes` throws code 'EFBIG'; a closed fd 'EBADF'.
 */
export function readFd(fd: number, maxBytes: number): Buffer {
  return call(() => native().readFd(fd, maxBytes));
}

/**
 * Write all of `data` (a string as UTF-8) to file descriptor `fd` (1 = stdout), synchronously. A
 * non-blocking fd that is full (a pipe whose reader is slow) is waited on with poll(2) rather than failing
 * with EAGAIN. A closed pipe throws code 'EPIPE', a closed fd 'EBADF'.
 */
export function writeFd(fd: number, data: string | Uint8Array): void {
  call(() => native().writeFd(fd, data));
}

/**
 * The identity (st_dev, st_ino as decimal strings) of the file `path` names, following symlinks: two paths
 * are the same file when both fields are equal, e.g. `fileIdentity("/proc/self/exe")` against a candidate
 * executable. A missing path throws code 'ENOENT'.
 */
export function fileIdentity(path: string): FileIdentity {
  return call(() => native().fileIdentity(path));
}
