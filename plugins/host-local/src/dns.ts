// The result's `dns` from a resolv.conf-style file (ipam.resolvConf), read like the Go plugin's dns.go:
// only nameserver, domain, search and options lines; `#` and `;` start comments.
import { readTextFile } from "@cni/host-files";
import { CniError, ErrorCode, type DNS } from "@cni/skel";
import { errnoOf, ioError } from "./io-error";

export function parseResolvConfText(text: string): DNS {
  const dns: DNS = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fields = fieldsOf(line);
    if (fields.length < 2) continue;
    switch (fields[0]) {
      case "nameserver":
        (dns.nameservers ??= []).push(fields[1]!);
        break;
      case "domain":
        dns.domain = fields[1]!;
        break;
      case "search":
        dns.search = (dns.search ?? []).concat(fields.slice(1));
        break;
      case "options":
        dns.options = (dns.options ?? []).concat(fields.slice(1));
        break;
    }
  }
  return dns;
}

/**
 * Space, tab, and the other ASCII white space. Go's strings.Fields also splits on Unicode spaces
 * (U+00A0 and the like), which a resolv.conf does not hold; glibc itself splits on space and tab only.
 */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The runs of non-space characters (Go's strings.Fields). */
function fieldsOf(line: string): string[] {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const space = i === line.length || isSpace(line.charCodeAt(i));
    if (space && start >= 0) {
      fields.push(line.slice(start, i));
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
  return fields;
}

/** A resolv.conf is a few hundred bytes; anything past this is not one (`/dev/zero` would never end). */
export const MAX_RESOLV_CONF_BYTES = 64 * 1024;

/**
 * Read and parse `path` (ipam.resolvConf). At most MAX_RESOLV_CONF_BYTES are read, and the file is opened
 * non-blocking so a FIFO without a writer cannot hold the call either. Unreadable: code 5; too large: code 7.
 */
export function parseResolvConf(path: string): DNS {
  let text: string;
  try {
    // through the addon (loaded anyway for the lock), not node:fs, whose loading costs start-up time
    text = readTextFile(path, MAX_RESOLV_CONF_BYTES);
  } catch (err) {
    if (errnoOf(err) === "EFBIG") {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `"ipam.resolvConf" ${path} is larger than ${MAX_RESOLV_CONF_BYTES} bytes: not a resolv.conf`,
      );
    }
    throw ioError(`cannot read resolvConf ${path}`, err);
  }
  return parseResolvConfText(text);
}
