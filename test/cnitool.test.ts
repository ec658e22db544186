// bin/cnitool (a link to the multi-call executable) as a person or a script runs it: named namespaces
// (`cnitool netns`), and networks attached with our plugins and with Go's. Every run is inside its own
// "machine" (`unshare --mount --net`, tmpfs over /var/lib/cni and /var/run/netns), so bridges, leases,
// rules and namespaces never reach this machine's own.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runIsolated, type IsolatedRun } from "./lib/isolated";
import { BIN_DIR, GO_BIN_DIR } from "./lib/plugin";

let work: string;
let netd: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-cnitool-"));
  netd = join(work, "net.d");
  mkdirSync(netd);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Run a bash script on a throwaway machine, bin/ first on PATH and CNI_PATH, NETCONFPATH the test's net.d. */
function isolated(script: string, env: Record<string, string> = {}): IsolatedRun {
  return runIsolated(script, ["/var/lib/cni", "/var/run/netns"], { PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NETCONFPATH: netd, CNI_PATH: BIN_DIR, WORK: work, ...env });
}

function bridgeNetwork(name: string, bridge: string, subnet: string, version = "1.1.0"): void {
  writeFileSync(join(netd, `10-${name}.conflist`), JSON.stringify({
    cniVersion: version, name,
    plugins: [{ type: "bridge", bridge, isGateway: true, ipMasq: true, ipam: { type: "host-local", subnet } }],
  }));
}

describe("cnitool netns", () => {
  it("add, list, exec (exit status passed through), del; errors readable", () => {
    const r = isolated(`
      cnitool netns add ns-a; echo "add=$?"
      cnitool netns add ns-b >/dev/null
      cnitool netns add ns-a; echo "again=$?"
      echo "list: $(cnitool netns list | tr '\\n' ' ')"
      cnitool netns exec ns-a ip link set lo up
      cnitool netns exec ns-a ip -br link show lo
      cnitool netns exec ns-b sh -c 'exit 5'; echo "exec=$?"
      cnitool netns exec ns-a no-such-command; echo "missing=$?"
      cnitool netns exec ns-zz true; echo "nons=$?"
      cnitool netns del ns-a; cnitool netns del ns-b
      cnitool netns del ns-a; echo "delagain=$?"
      echo "after: $(cnitool netns list | tr '\\n' ' ')"
      cnitool netns frob; echo "usage=$?"`);
    expect(r.stdout).toContain("/var/run/netns/ns-a\nadd=0\n");
    expect(r.stdout).toContain("again=1");
    expect(r.stdout).toContain("list: ns-a ns-b \n");
    expect(r.stdout).toMatch(/^lo\s+UNKNOWN/m);
    expect(r.stdout).toContain("exec=5");
    expect(r.stdout).toContain("missing=127");
    expect(r.stdout).toContain("nons=255"); // as `ip netns exec`: 127 means "no such command"
    expect(r.stdout).toContain("delagain=1");
    expect(r.stdout).toContain("after: \n");
    expect(r.stdout).toContain("usage=1");
    expect(r.stderr).toContain("cnitool netns add: ");
    expect(r.stderr).toContain("cnitool netns exec: no-such-command: command not found");
    expect(r.stderr).toContain('cnitool netns exec: network namespace "ns-zz" (/var/run/netns/ns-zz) does not exist\n');
    expect(r.stderr).not.toMatch(/netns(Create|Delete|Exec)/);
    expect(r.stderr).toContain("usage: cnitool netns add <name>");
  });
});

describe("cnitool with our plugins", () => {
  it("add prints the result and caches it under Go cnitool's container ID; check; del leaves nothing", () => {
    bridgeNetwork("tnet", "br-tool", "10.30.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      cnitool add tnet /var/run/netns/c1 > $WORK/result.json; echo "add=$?"
      echo "cache: $(ls /var/lib/cni/results)"
      cnitool netns exec c1 ping -c1 -W5 10.30.0.1 >/dev/null && echo reached-gateway
      cnitool check tnet /var/run/netns/c1; echo "check=$?"
      cnitool status tnet; echo "status=$?"
      cnitool del tnet /var/run/netns/c1; echo "del=$?"
      echo "cache-after: $(ls /var/lib/cni/results)"
      echo "leases-after: $(ls /var/lib/cni/networks/tnet | grep -c '^10')"
      echo "host-links: $(ip -o link show | grep -c veth)"
      cnitool netns del c1`);
    expect(r.stderr).toBe("");
    const containerId = `cnitool-${spawnSync("sh", ["-c", "printf %s /var/run/netns/c1 | sha512sum | cut -c1-20"], { encoding: "utf8" }).stdout.trim()}`;
    expect(r.stdout).toContain("add=0");
    expect(r.stdout).toContain(`cache: tnet-${containerId}-eth0`);
    expect(r.stdout).toContain("reached-gateway");
    for (const line of ["check=0", "status=0", "del=0", "cache-after: \n", "leases-after: 0", "host-links: 0"]) expect(r.stdout).toContain(line);
  });

  it("gc deletes the attachments whose namespace is gone and keeps the live ones; gc --all deletes them all", () => {
    bridgeNetwork("gnet", "br-gc", "10.31.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null; cnitool netns add c2 >/dev/null
      cnitool add gnet /var/run/netns/c1 >/dev/null; cnitool add gnet /var/run/netns/c2 >/dev/null
      echo "leases: $(ls /var/lib/cni/networks/gnet | grep -c '^10')"
      cnitool netns del c2
      cnitool gc gnet; echo "gc=$?"
      echo "leases-after: $(ls /var/lib/cni/networks/gnet | grep -c '^10')"
      echo "cache-after: $(ls /var/lib/cni/results | wc -l)"
      echo "c1-links: $(cnitool netns exec c1 ip -o link show | wc -l)"
      cnitool netns exec c1 ping -c1 -W5 10.31.0.1 >/dev/null && echo c1-still-reaches-gateway
      cnitool gc gnet --all; echo "gc-all=$?"
      echo "leases-all: $(ls /var/lib/cni/networks/gnet | grep -c '^10')"
      echo "cache-all: $(ls /var/lib/cni/results)"
      echo "c1-links-all: $(cnitool netns exec c1 ip -o link show | wc -l)"
      cnitool --help | grep -c -- '--all'
      cnitool netns del c1`);
    expect(r.stderr).toBe("");
    for (const line of ["leases: 2", "gc=0", "leases-after: 1", "cache-after: 1", "c1-links: 2", "c1-still-reaches-gateway"]) expect(r.stdout).toContain(line);
    for (const line of ["gc-all=0", "leases-all: 0", "cache-all: \n", "c1-links-all: 1"]) expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/^[1-9]\d*$/m); // --help tells about --all
  });

  it("a plugin error reaches the user naming plugin and network; exit 1; nothing left", () => {
    writeFileSync(join(netd, "10-bad.conflist"), JSON.stringify({
      cniVersion: "1.1.0", name: "bad", plugins: [{ type: "bridge", bridge: "br-bad", ipam: { type: "host-local", subnet: "10.32.0.0/33" } }],
    }));
    const r = isolated(`cnitool netns add c1 >/dev/null; cnitool add bad /var/run/netns/c1; echo "add=$?"; echo "cache: $(ls /var/lib/cni/results 2>/dev/null)"`);
    expect(r.stdout).toContain("add=1");
    expect(r.stderr).toMatch(/^cnitool add: plugin type="bridge" failed \(add\) for network "bad": .*10\.32\.0\.0\/33/);
    expect(r.stdout).toContain("cache: \n");
  });
});

describe.skipIf(!existsSync(join(GO_BIN_DIR, "bridge")))("cnitool drives Go's plugins", () => {
  it("add/check/del with the Go bridge and host-local: their result cached, DEL gets it, nothing left", () => {
    bridgeNetwork("gonet", "br-go", "10.33.0.0/24", "1.0.0");
    const r = isolated(
      `cnitool netns add c1 >/dev/null
      cnitool add gonet /var/run/netns/c1 > $WORK/result.json; echo "add=$?"
      cnitool netns exec c1 ping -c1 -W5 10.33.0.1 >/dev/null && echo reached-gateway
      cnitool check gonet /var/run/netns/c1; echo "check=$?"
      cnitool del gonet /var/run/netns/c1; echo "del=$?"
      echo "leases-after: $(ls /var/lib/cni/networks/gonet | grep -c '^10')"
      echo "host-veths: $(ip -o link show | grep -c veth)"
      cnitool netns del c1`,
      { CNI_PATH: GO_BIN_DIR },
    );
    expect(r.stdout).toContain("add=0");
    expect(r.stdout).toContain("reached-gateway");
    for (const line of ["check=0", "del=0", "leases-after: 0", "host-veths: 0"]) expect(r.stdout).toContain(line);
  });
});
