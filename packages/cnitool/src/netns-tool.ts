// `cnitool netns add|del|list|exec`: named network namespaces for runtimes and scripts, through
// @cni/netlink (bind mounts as `ip netns add` makes them) and @cni/host-files (fork+setns+execve for exec).
import { execInNetns } from "@cni/host-files";
import { NETNS_RUN_DIR, NetlinkError, netns } from "@cni/netlink";

interface NetnsToolIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const NETNS_USAGE = "usage: cnitool netns add <name> | del <name> | list | exec <name> <command> [args...]\n";

/** `netns exec`'s status when the namespace cannot be entered (as `ip netns exec`): not 127, which says "no such command". */
export const EXIT_NO_NAMESPACE = 255;
/** `netns exec`'s status when the command cannot be run (as a shell's "command not found"). */
export const EXIT_CANNOT_EXEC = 127;

/** The addon's message without its "<request> <subject>: " prefix (internal names mean nothing to a user). */
function reasonOf(error: NetlinkError): string {
  const match = /^netns\w* [^:]*: (.*)$/s.exec(error.message);
  return match?.[1] ?? error.message;
}

/** What went wrong, in the user's words: the namespace or command it was about, never the addon's request name. */
function messageOf(thrown: unknown, what: string): string {
  if (!(thrown instanceof Error)) return `${what}: ${String(thrown)}`;
  const error = NetlinkError.from(thrown);
  switch (error.code) {
    case "EEXIST":
      return `${what} already exists`;
    case "ENOENT":
      return `${what} does not exist`;
    case "ENOTNS":
      return `${what} is not a network namespace`;
    default: {
      // "Invalid argument (invalid namespace name "a/b")": the part in parentheses is the one a user can act on
      const reason = reasonOf(error);
      return /\(([^()]*)\)$/.exec(reason)?.[1] ?? `${what}: ${reason}`;
    }
  }
}

function namespaceWords(name: string): string {
  const path = name.includes("/") ? name : `${NETNS_RUN_DIR}/${name}`;
  return path === name ? `network namespace ${path}` : `network namespace "${name}" (${path})`;
}

/** Returns the exit status (exec: the command's). */
export function netnsExecCommand(args: readonly string[], io: NetnsToolIO): number {
  const [action, name, ...command] = args;
  const fail = (thrown: unknown, what: string, status: number): number => {
    io.err(`cnitool netns ${action}: ${messageOf(thrown, what)}\n`);
    return status;
  };
  switch (action) {
    case "add":
      if (name === undefined || command.length > 0) break;
      try {
        io.out(`${netns.create(name)}\n`);
        return 0;
      } catch (thrown) {
        return fail(thrown, namespaceWords(name), 1);
      }
    case "del":
    case "delete":
      if (name === undefined || command.length > 0) break;
      try {
        netns.delete(name);
        return 0;
      } catch (thrown) {
        return fail(thrown, namespaceWords(name), 1);
      }
    case "list":
      if (name !== undefined) break;
      try {
        for (const n of netns.list()) io.out(`${n}\n`);
        return 0;
      } catch (thrown) {
        return fail(thrown, NETNS_RUN_DIR, 1);
      }
    case "exec":
      if (name === undefined || command.length === 0) break;
      const path = name.includes("/") ? name : netns.pathOf(name);
      try {
        netns.check(path);
      } catch (thrown) {
        return fail(thrown, namespaceWords(name), EXIT_NO_NAMESPACE);
      }
      try {
        return execInNetns(path, command, io.env);
      } catch (thrown) {
        // the command was not found or could not be executed
        const error = NetlinkError.from(thrown);
        const reason = error.message.includes("command not found") ? "command not found" : reasonOf(error);
        io.err(`cnitool netns exec: ${command[0]}: ${reason}\n`);
        return EXIT_CANNOT_EXEC;
      }
    default:
      break;
  }
  io.err(NETNS_USAGE);
  return 1;
}
