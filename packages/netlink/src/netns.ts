// Named network namespaces, as `ip netns` keeps them under /var/run/netns. (Running a command inside one
// is @cni/host-files' execInNetns.)
import { call } from "./errors";
import { native } from "./native";

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
};
