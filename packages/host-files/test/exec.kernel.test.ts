// execInNetns (fork + setns + execve in the addon) against real named namespaces this test creates; what
// `ip netns exec` sees is the reference.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Netlink, netns } from "@cni/netlink";
import { TestNamespaces } from "../../netlink/test/kernel-namespaces";
import { execInNetns } from "../src/index";

const namespaces = new TestNamespaces("hfx", (path) => Netlink.at(path));
const work = mkdtempSync(join(tmpdir(), "netns-exec-"));
/** A new named namespace, deleted after the tests. */
function fresh(): string {
  return namespaces.create().name;
}
afterAll(() => {
  namespaces.removeAllAndCheckNoneLeft();
  rmSync(work, { recursive: true, force: true });
});

describe("execInNetns", () => {
  it("runs the command inside the namespace: it sees that namespace's links and inode, not ours", () => {
    const name = fresh();
    spawnSync("ip", ["-n", name, "link", "add", "veth-x", "type", "veth", "peer", "name", "veth-y"]);
    const out = join(work, "out");
    const status = execInNetns(netns.pathOf(name), ["sh", "-c", `ip -o link show > ${out}; readlink /proc/self/ns/net >> ${out}`], { PATH: process.env.PATH });
    expect(status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("veth-x");
    const inode = spawnSync("ip", ["netns", "exec", name, "readlink", "/proc/self/ns/net"], { encoding: "utf8" }).stdout.trim();
    expect(text.trim().split("\n").at(-1)).toBe(inode);
    expect(inode).not.toBe(spawnSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).stdout.trim());
  });

  it("passes argv and the environment exactly, and returns the exit status (128+n when signalled)", () => {
    const name = fresh();
    const out = join(work, "args");
    expect(execInNetns(`/var/run/netns/${name}`, ["/bin/sh", "-c", 'printf "%s|%s|%s" "$1" "$2" "$GREETING" > "$0"', out, "a b", ""], { GREETING: "hé llo" })).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("a b||hé llo");
    expect(execInNetns(netns.pathOf(name), ["sh", "-c", "exit 42"], { PATH: "/usr/bin:/bin" })).toBe(42);
    expect(execInNetns(netns.pathOf(name), ["sh", "-c", "kill -TERM $$"], { PATH: "/usr/bin:/bin" })).toBe(128 + 15);
  });

  it("a missing command, a missing namespace, a file that is no namespace: errors with codes", () => {
    const name = fresh();
    expect(() => execInNetns(netns.pathOf(name), ["no-such-command-x"], { PATH: "/usr/bin:/bin" })).toThrow(/no-such-command-x: command not found/);
    expect(() => execInNetns(netns.pathOf(name), ["/nonexistent/cmd"])).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => execInNetns(netns.pathOf("no-such-ns-x"), ["true"])).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => execInNetns("/etc/hostname", ["true"])).toThrow(expect.objectContaining({ code: "ENOTNS" }));
    expect(() => execInNetns(netns.pathOf(name), [])).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});
