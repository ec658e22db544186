// Which file under /proc/sys a `sysctl` key of the config names. The rules (reference-chained-plugins.md
// §3.2, checklist T1/T2/T11), as Go's tuning at HEAD and stricter where Go would let a key leave
// /proc/sys/net:
// - `net.core.somaxconn` (dots) and `net/core/somaxconn` (slashes) name the same file; the first separator
//   in the key says which form it is, as for sysctl(8). In the slash form a dot is part of a name, and in the
//   dot form a slash stands for a dot, so `net/ipv4/conf/eth0.100/rp_filter` and
//   `net.ipv4.conf.eth0/100.rp_filter` both name eth0.100's (Go turns both into eth0/100).
// - The first `IFNAME` is replaced by CNI_IFNAME, after the key is split, so an ifname with a dot stays
//   one name (Go HEAD's order; 1.1.1 split it).
// - The key must stay under net/: no absolute path, no empty, `.` or `..` part (Go cleans `net/../kernel`
//   to kernel and refuses it; `net/ipv4/../ipv4/x` it would accept, we refuse it as well: a key has one
//   spelling).
import { CniError, ErrorCode } from "@cni/skel";

const IFNAME_TOKEN = "IFNAME";
const NET = "net";

/** The path of `key` below /proc/sys, with `/` separators and IFNAME replaced; code 7 if it leaves net/. */
export function sysctlPath(key: string, ifName: string): string {
  const parts = splitKey(key);
  const refuse = (why: string): CniError => new CniError(ErrorCode.InvalidNetworkConfig, `invalid net sysctl key: ${JSON.stringify(key)}`, why);
  if (key.includes("\0")) throw refuse("it holds a NUL byte");
  if (parts[0] === "") throw refuse("an absolute path; keys are relative to /proc/sys, such as net.core.somaxconn");
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") throw refuse("every part of the key must be a name (no empty part, no . or ..)");
  }
  if (parts[0] !== NET || parts.length < 2) throw refuse("only the network sysctls, under /proc/sys/net, can be set");
  return parts.join("/").replace(IFNAME_TOKEN, ifName);
}

/** The parts of a key in the form its first separator says (sysctl(8)'s rule). */
function splitKey(key: string): string[] {
  const slash = key.indexOf("/");
  const dot = key.indexOf(".");
  if (slash >= 0 && (dot < 0 || slash < dot)) return key.split("/");
  return key.split(".").map((part) => part.replaceAll("/", "."));
}
