import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CniError } from "@cni/skel";
import { parseResolvConf, parseResolvConfText } from "../src/dns";

describe("resolv.conf", () => {
  it("reads nameserver, domain, search and options; skips comments and other lines", () => {
    const dns = parseResolvConfText(
      [
        "# a comment",
        "; another comment",
        "nameserver 10.0.0.53",
        "  nameserver   fd00::53  ",
        "domain example.test",
        "search a.test b.test",
        "search c.test",
        "options ndots:2 edns0",
        "sortlist 10.0.0.0",
        "nameserver",
        "",
      ].join("\n"),
    );
    expect(dns).toEqual({
      nameservers: ["10.0.0.53", "fd00::53"],
      domain: "example.test",
      search: ["a.test", "b.test", "c.test"],
      options: ["ndots:2", "edns0"],
    });
  });

  it("an empty file gives empty dns; a missing file is an error naming it", () => {
    expect(parseResolvConfText("")).toEqual({});
    const dir = mkdtempSync(join(tmpdir(), "hli-dns-"));
    try {
      const path = join(dir, "resolv.conf");
      writeFileSync(path, "nameserver 1.1.1.1\r\n");
      expect(parseResolvConf(path)).toEqual({ nameservers: ["1.1.1.1"] });
      expect(() => parseResolvConf(join(dir, "missing"))).toThrow(CniError);
      expect(() => parseResolvConf(join(dir, "missing"))).toThrow(/missing: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
