// The own-netns guard (docs/protocol.md §2): a CNI_NETNS that is the plugin's own network namespace would
// make the plugin rewire the host, so it is refused (code 8) before any work is done.
import { CniError, ErrorCode } from "./errors";
import { processHost, type FileIdentity } from "./host";

/** The calling thread's netns; /proc/self as a fallback for kernels without thread-self (< 3.17). */
const OWN_NETNS_PATHS = ["/proc/thread-self/ns/net", "/proc/self/ns/net"] as const;

/** CNI_NETNS_OVERRIDE=1|true (any case) turns the guard off, as in Go's skel. */
export function netnsOverride(env: Record<string, string | undefined>): boolean {
  const v = env.CNI_NETNS_OVERRIDE;
  if (v === undefined || v === "") return false;
  return v === "1" || v.toUpperCase() === "TRUE";
}

/**
 * Throw CniError code 8 when `netnsPath` is the namespace this process runs in.
 * A path that cannot be stat'ed is not ours: the plugin reports it (or, on DEL, treats it as gone).
 */
export function assertNotOwnNetns(netnsPath: string): void {
  if (netnsPath === "") return;
  const host = processHost();
  const target = host.fileIdentity(netnsPath);
  if (target === undefined) return;
  let own: FileIdentity | undefined = host.fileIdentity(OWN_NETNS_PATHS[0]);
  if (own === undefined) own = host.fileIdentity(OWN_NETNS_PATHS[1]);
  if (own === undefined) throw new CniError(ErrorCode.InvalidNetNS, "get plugin's netns failed", `${OWN_NETNS_PATHS[0]}, ${OWN_NETNS_PATHS[1]}`);
  if (own.dev === target.dev && own.ino === target.ino) {
    throw new CniError(ErrorCode.InvalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same", netnsPath);
  }
}
