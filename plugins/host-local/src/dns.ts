// The result's `dns` from a resolv.conf-style file (ipam.resolvConf), read like the Go plugin's dns.go:
// only nameserver, domain, search and options lines; `#` and `;` start comments.
import { readFileSync } from "node:fs";
import { CniError, ErrorCode, type DNS } from "@cni/skel";

export function parseResolvConfText(text: string): DNS {
  const dns: DNS = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const [keyword, ...values] = line.split(/\s+/);
    if (values.length === 0) continue;
    switch (keyword) {
      case "nameserver":
        (dns.nameservers ??= []).push(values[0]!);
        break;
      case "domain":
        dns.domain = values[0]!;
        break;
      case "search":
        (dns.search ??= []).push(...values);
        break;
      case "options":
        (dns.options ??= []).push(...values);
        break;
    }
  }
  return dns;
}

export function parseResolvConf(path: string): DNS {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CniError(ErrorCode.IOFailure, `cannot read resolvConf ${path}: ${reason}`);
  }
  return parseResolvConfText(text);
}
