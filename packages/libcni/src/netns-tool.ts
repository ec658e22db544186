// `cnitool netns add|del|list|exec`: named network namespaces for runtimes and scripts, through
// @cni/netlink (bind mounts as `ip netns add` makes them; fork+setns+execve for exec).
import { netns } from "@cni/netlink";

interface NetnsToolIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const NETNS_USAGE = "usage: cnitool netns add <name> | del <name> | list | exec <name> <command> [args...]\n";

function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** Returns the exit status (exec: the command's). */
export function netnsExecCommand(args: readonly string[], io: NetnsToolIO): number {
  const [action, name, ...command] = args;
  try {
    switch (action) {
      case "add":
        if (name === undefined || command.length > 0) break;
        io.out(`${netns.create(name)}\n`);
        return 0;
      case "del":
      case "delete":
        if (name === undefined || command.length > 0) break;
        netns.delete(name);
        return 0;
      case "list":
        if (name !== undefined) break;
        for (const n of netns.list()) io.out(`${n}\n`);
        return 0;
      case "exec":
        if (name === undefined || command.length === 0) break;
        return netns.exec(name, command, io.env);
      default:
        break;
    }
  } catch (thrown) {
    io.err(`cnitool netns ${action}: ${messageOf(thrown)}\n`);
    return action === "exec" ? 127 : 1;
  }
  io.err(NETNS_USAGE);
  return 1;
}
