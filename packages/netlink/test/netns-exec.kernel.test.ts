// netns.list and netns.exec (fork + setns + execve in the addon) against real named namespaces this test
// creates; what `ip netns` sees is the reference.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { netns } from "../src/index";

const names: string[] = [];
const work = mkdtempSync(join(tmpdir(), "netns-exec-"));
function fresh(prefix: string): string {
  const name = `${prefix}-${process.pid}-${names.length}`;
  netns.create(name);
  names.push(name);
  return name;
}
afterAll(() => {
  for (const name of names) {
    try {
      netns.delete(name);
    } catch {
      // already deleted by the test
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe("netns.list", () => {
  it("names what `ip netns list` names, sorted", () => {
    const a = fresh("nsl-b");
    const b = fresh("nsl-a");
    const listed = netns.list();
    expect(listed).toEqual(expect.arrayContaining([a, b]));
    expect(listed.indexOf(b)).toBeLessThan(listed.indexOf(a));
    const ip = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0]!).filter((n) => n !== "");
    expect([...listed].sort()).toEqual([...ip].sort());
    netns.delete(a);
    expect(netns.list()).not.toContain(a);
  });
});

describe("netns.exec", () => {
  it("runs the command inside the namespace: it sees that namespace's links and inode, not ours", () => {
    const name = fresh("nsx");
    spawnSync("ip", ["-n", name, "link", "add", "veth-x", "type", "veth", "peer", "name", "veth-y"]);
    const out = join(work, "out");
    const status = netns.exec(name, ["sh", "-c", `ip -o link show > ${out}; readlink /proc/self/ns/net >> ${out}`], { PATH: process.env.PATH });
    expect(status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("veth-x");
    const inode = spawnSync("ip", ["netns", "exec", name, "readlink", "/proc/self/ns/net"], { encoding: "utf8" }).stdout.trim();
    expect(text.trim().split("\n").at(-1)).toBe(inode);
    expect(inode).not.toBe(spawnSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).stdout.trim());
  });

  it("passes argv and the environment exactly, and returns the exit status (128+n when signalled)", () => {
    const name = fresh("nsx");
    const out = join(work, "args");
    expect(netns.exec(`/var/run/netns/${name}`, ["/bin/sh", "-c", 'printf "%s|%s|%s" "$1" "$2" "$GREETING" > "$0"', out, "a b", ""], { GREETING: "hé llo" })).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("a b||hé llo");
    expect(netns.exec(name, ["sh", "-c", "exit 42"], { PATH: "/usr/bin:/bin" })).toBe(42);
    expect(netns.exec(name, ["sh", "-c", "kill -TERM $$"], { PATH: "/usr/bin:/bin" })).toBe(128 + 15);
  });

  it("a missing command, a missing namespace, a file that is no namespace: errors with codes", () => {
    const name = fresh("nsx");
    expect(() => netns.exec(name, ["no-such-command-x"], { PATH: "/usr/bin:/bin" })).toThrow(/no-such-command-x: command not found/);
    expect(() => netns.exec(name, ["/nonexistent/cmd"])).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => netns.exec("no-such-ns-x", ["true"])).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => netns.exec("/etc/hostname", ["true"])).toThrow(expect.objectContaining({ code: "ENOTNS" }));
    expect(() => netns.exec(name, [])).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});
