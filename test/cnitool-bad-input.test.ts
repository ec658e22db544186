// Bad input to bin/cnitool, as a person or a script gives it (issue #12's matrix for the runtime tool): wrong
// arguments, environment and configs. Each case: a non-zero exit, one readable line on stderr naming the
// problem (never a stack trace), no hang, and nothing created — no link, namespace, lease, rule or cache entry.
// Every case runs in its own "machine" (`unshare --mount --net`, tmpfs over /var/lib/cni and /var/run/netns).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN_DIR, REPO_ROOT } from "./lib/plugin";

interface Case {
  name: string;
  /** cnitool's arguments */
  argv: string[];
  env?: Record<string, string>;
  /** text stderr must contain */
  says: string;
}

/** Marks the end of cnitool's own output in the sandbox's stdout; what follows is the state left behind. */
const STATE = "--- state ---";

let work: string;
let netd: string;
let notNetns: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "cni-cnitool-bad-"));
  netd = join(work, "net.d");
  mkdirSync(netd);
  writeFileSync(join(netd, "10-good.conflist"), JSON.stringify({
    cniVersion: "1.1.0", name: "good",
    plugins: [{ type: "bridge", bridge: "cbad0", isGateway: true, ipMasq: true, ipam: { type: "host-local", subnet: "10.57.0.0/24" } }],
  }));
  mkdirSync(join(work, "broken.d"));
  writeFileSync(join(work, "broken.d", "10-broken.conflist"), '{"cniVersion":"1.1.0","name":"broken","plugins":[');
  mkdirSync(join(work, "empty.d"));
  writeFileSync(join(work, "noplugins.conflist"), "");
  mkdirSync(join(work, "noplugins.d"));
  writeFileSync(join(work, "noplugins.d", "10-none.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "none", plugins: [] }));
  notNetns = join(work, "plain-file");
  writeFileSync(notNetns, "not a namespace");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OWN = "/proc/self/ns/net"; // resolved inside the sandbox: its own fresh namespace, a valid target

const CASES: Case[] = [
  { name: "no arguments", argv: [], says: "usage: cnitool" },
  { name: "unknown command", argv: ["frob", "good", OWN], says: 'unknown command "frob"' },
  { name: "add without a netns path", argv: ["add", "good"], says: "add needs <network> <netns-path>" },
  { name: "check without arguments", argv: ["check"], says: "check needs <network> <netns-path>" },
  // (`del <network>` alone is allowed: a DEL without a netns, as containerd sends, for CNI_CONTAINERID)
  { name: "del with an extra argument", argv: ["del", "good", OWN, "extra"], says: "del needs <network> <netns-path>" },
  { name: "gc without a network", argv: ["gc"], says: "gc needs <network>" },
  { name: "status without a network", argv: ["status"], says: "status needs <network>" },
  { name: "a netns path that does not exist", argv: ["add", "good", "/var/run/netns/nope"], says: 'failed to open netns "/var/run/netns/nope"' },
  { name: "a netns path that is a plain file", argv: ["add", "good", "@NOTNETNS"], says: "not a network namespace" },
  { name: "a network that is not configured", argv: ["add", "nosuch", OWN], says: 'no net configuration with name "nosuch"' },
  { name: "NETCONFPATH missing", argv: ["add", "good", OWN], env: { NETCONFPATH: "/nonexistent/net.d" }, says: "/nonexistent/net.d: the config directory does not exist (set NETCONFPATH" },
  { name: "NETCONFPATH with no config", argv: ["add", "good", OWN], env: { NETCONFPATH: "@WORK/empty.d" }, says: 'no net configuration with name "good"' },
  { name: "a config file that is not JSON", argv: ["add", "broken", OWN], env: { NETCONFPATH: "@WORK/broken.d" }, says: "10-broken.conflist: invalid JSON" },
  { name: "a network list without plugins", argv: ["add", "none", OWN], env: { NETCONFPATH: "@WORK/noplugins.d" }, says: "10-none.conflist" },
  { name: "CAP_ARGS that is not JSON", argv: ["add", "good", OWN], env: { CAP_ARGS: "not json" }, says: "CAP_ARGS is not valid JSON" },
  { name: "CAP_ARGS that is not an object", argv: ["add", "good", OWN], env: { CAP_ARGS: "[1]" }, says: "CAP_ARGS must be a JSON object" },
  { name: "CNI_ARGS without '='", argv: ["add", "good", OWN], env: { CNI_ARGS: "foo" }, says: 'invalid CNI_ARGS pair "foo"' },
  { name: "CNI_IFNAME too long", argv: ["add", "good", OWN], env: { CNI_IFNAME: "waytoolonginterfacename" }, says: 'invalid interface name "waytoolonginterfacename"' },
  { name: "CNI_PATH without the plugin", argv: ["add", "good", OWN], env: { CNI_PATH: "/nonexistent" }, says: 'failed to find plugin "bridge"' },
  { name: "CNI_PATH not set", argv: ["add", "good", OWN], env: { CNI_PATH: "" }, says: 'network "good": plugin bridge not found: CNI_PATH is not set' },
  { name: "gc with an extra argument", argv: ["gc", "good", "extra"], says: "gc needs <network> [--all]" },
  { name: "netns exec in a namespace that does not exist", argv: ["netns", "exec", "nope", "true"], says: 'network namespace "nope" (/var/run/netns/nope) does not exist' },
  { name: "a namespace name with a slash", argv: ["netns", "add", "a/b"], says: 'invalid namespace name "a/b"' },
  { name: "netns exec without a command", argv: ["netns", "exec"], says: "usage: cnitool netns" },
  { name: "netns del of a name that does not exist", argv: ["netns", "del", "nope"], says: 'network namespace "nope" (/var/run/netns/nope) does not exist' },
  { name: "netns with an unknown subcommand", argv: ["netns", "frob"], says: "usage: cnitool netns" },
];

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

function expand(text: string): string {
  return text.replace("@WORK", work).replace("@NOTNETNS", notNetns);
}

/** cnitool's output, then a listing of everything a failed call could have left in the sandbox. */
function runCase(c: Case): { status: number | null; stdout: string; stderr: string; state: string } {
  const argv = c.argv.map((a) => shellQuote(expand(a))).join(" ");
  const script = [
    "for d in /var/lib/cni /var/run/netns; do mkdir -p $d; mount -t tmpfs tmpfs $d; done; ip link set lo up",
    `cnitool ${argv}; status=$?`,
    `echo ${shellQuote(STATE)}`,
    "ip -o link show | grep -v ': lo:' || true",
    "ls -A /var/run/netns",
    // host-local's own bookkeeping may stay, as the Go plugin's lock does: only a lease would be a leak
    "find /var/lib/cni -type f ! -name lock ! -name 'last_reserved_ip.*' ! -path '*/.host-local-index/*'",
    "nft list ruleset",
    "exit $status",
  ].join("\n");
  const env: Record<string, string> = { PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NETCONFPATH: netd, CNI_PATH: BIN_DIR };
  for (const [k, v] of Object.entries(c.env ?? {})) env[k] = expand(v);
  const r = spawnSync("unshare", ["--mount", "--net", "--propagation", "private", "bash", "--norc", "--noprofile", "-c", script], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    env,
    timeout: 30_000, // the bound for "no hang"
  });
  const [out = "", state = ""] = r.stdout.split(`${STATE}\n`);
  return { status: r.status, stdout: out, stderr: r.stderr, state };
}

describe("bin/cnitool with bad input", () => {
  afterAll(() => console.log(`cnitool bad-input matrix: ${CASES.length} cases`));

  for (const c of CASES) {
    it(c.name, () => {
      const r = runCase(c);
      expect({ status: r.status === 0 ? 0 : "non-zero", timedOut: r.status === null }).toEqual({ status: "non-zero", timedOut: false });
      expect(r.stderr).toContain(expand(c.says));
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(/netns(Create|Delete|Exec|Check)|scandir/); // no internal names or raw syscalls
      expect(r.state).toBe("");
    });
  }
});
