import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CniError } from "@cni/skel";
import { MAX_RESOLV_CONF_BYTES, parseResolvConf, parseResolvConfText } from "../src/dns";

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
        "search\tc.test",
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

  it("reads a bounded amount: an endless file is an error naming it, not a hang", () => {
    expect(() => parseResolvConf("/dev/zero")).toThrow(
      expect.objectContaining({ code: 7, message: `"ipam.resolvConf" /dev/zero is larger than ${MAX_RESOLV_CONF_BYTES} bytes: not a resolv.conf` }),
    );
    const dir = mkdtempSync(join(tmpdir(), "hli-dns-"));
    try {
      const atLimit = join(dir, "at-limit");
      writeFileSync(atLimit, `nameserver 10.0.0.53\n${"#".repeat(MAX_RESOLV_CONF_BYTES - 21)}`);
      expect(parseResolvConf(atLimit)).toEqual({ nameservers: ["10.0.0.53"] });
      const overLimit = join(dir, "over-limit");
      writeFileSync(overLimit, `nameserver 10.0.0.53\n${"#".repeat(MAX_RESOLV_CONF_BYTES - 20)}`);
      expect(() => parseResolvConf(overLimit)).toThrow(expect.objectContaining({ code: 7 }));
      // a FIFO nobody writes to: opened without blocking, read as empty
      const fifo = join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      expect(parseResolvConf(fifo)).toEqual({});
      expect(() => parseResolvConf(dir)).toThrow(expect.objectContaining({ code: 5, message: `cannot read resolvConf ${dir}: EISDIR` }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
