// The process host: what skel asks the operating system for on a call (stdin, a file's identity), either
// the node:fs default or one a plugin installs (the addon-backed one in @cni/plugin-kit).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { processHost, setProcessHost, type FileIdentity, type ProcessHost } from "../src/host";
import { assertNotOwnNetns } from "../src/netns";
import { CONF, envFor, invoke, recordingPlugin } from "./helpers";

afterEach(() => setProcessHost(undefined));

/** A host whose file identities come from a table: paths not in it cannot be stat'ed. */
function tableHost(identities: Record<string, FileIdentity>): ProcessHost & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    readStdin: () => new Uint8Array(0),
    fileIdentity(path: string): FileIdentity | undefined {
      asked.push(path);
      return identities[path];
    },
    isExecutableFile: () => false,
  };
}

describe("the default host (node:fs on first use)", () => {
  it("isExecutableFile: a regular executable file only, symlinks followed", () => {
    expect(processHost().isExecutableFile("/bin/sh")).toBe(true);
    const notExecutable = join(mkdtempSync(join(tmpdir(), "host-test-")), "plain");
    writeFileSync(notExecutable, "#!/bin/sh\n", { mode: 0o644 });
    expect(processHost().isExecutableFile(notExecutable)).toBe(false);
    expect(processHost().isExecutableFile("/usr/bin")).toBe(false);
    expect(processHost().isExecutableFile("/no/such/file")).toBe(false);
  });
  it("gives two paths of the same file the same identity, as decimal strings", () => {
    const a = processHost().fileIdentity("/proc/self/ns/net");
    const b = processHost().fileIdentity("/proc/thread-self/ns/net");
    expect(a).toEqual(b);
    expect(a?.dev).toMatch(/^\d+$/);
    expect(a?.ino).toMatch(/^\d+$/);
    expect(processHost().fileIdentity("/")).not.toEqual(a);
  });
  it("a path that cannot be stat'ed has no identity", () => {
    expect(processHost().fileIdentity("/nonexistent/skel-host-test")).toBeUndefined();
  });
});

describe("the own-netns guard asks the installed host", () => {
  const own = { dev: "4", ino: "4026531840" };

  it("the same identity as the thread's own netns is code 8", () => {
    const host = tableHost({ "/proc/thread-self/ns/net": own, "/run/netns/x": { ...own } });
    setProcessHost(host);
    expect(() => assertNotOwnNetns("/run/netns/x")).toThrow("plugin's netns and netns from CNI_NETNS should not be the same");
    expect(host.asked).toEqual(["/run/netns/x", "/proc/thread-self/ns/net"]);
  });

  it("another inode, or a target that cannot be stat'ed, passes", () => {
    setProcessHost(tableHost({ "/proc/thread-self/ns/net": own, "/run/netns/x": { dev: "4", ino: "4026532000" } }));
    expect(() => assertNotOwnNetns("/run/netns/x")).not.toThrow();
    expect(() => assertNotOwnNetns("/run/netns/gone")).not.toThrow();
  });

  it("falls back to /proc/self without thread-self; neither readable is code 8 'get plugin's netns failed'", () => {
    setProcessHost(tableHost({ "/proc/self/ns/net": own, "/run/netns/x": own }));
    expect(() => assertNotOwnNetns("/run/netns/x")).toThrow("plugin's netns and netns from CNI_NETNS should not be the same");
    setProcessHost(tableHost({ "/run/netns/x": own }));
    expect(() => assertNotOwnNetns("/run/netns/x")).toThrow(expect.objectContaining({ code: 8, message: "get plugin's netns failed" }));
  });

  it("a plugin run sees the host's answer (code 8 before the handler)", async () => {
    setProcessHost(tableHost({ "/proc/thread-self/ns/net": own, "/var/run/netns/ctr": own }));
    const { plugin, calls } = recordingPlugin();
    const r = await invoke(plugin, { env: envFor("ADD", { CNI_NETNS: "/var/run/netns/ctr" }), stdin: CONF });
    expect(r.json).toMatchObject({ code: 8 });
    expect(calls).toEqual([]);
  });
});
