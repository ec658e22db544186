// scripts/priv-net-run.sh and scripts/exec-plugins.sh, run as a user runs them. Each run is inside its own
// "machine": `unshare --mount --net` with tmpfs over /var/lib/cni, /etc/cni/net.d and /var/run/netns, so
// the default configs (the mynet bridge with masquerade) build their bridge, lease and rules in a
// throwaway namespace and nothing reaches this machine's own network or files. What is left afterwards
// is inspected inside that same isolated run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runIsolated, type IsolatedRun } from "./lib/isolated";
import { REPO_ROOT } from "./lib/plugin";

const PRIV_NET_RUN = resolve(REPO_ROOT, "scripts/priv-net-run.sh");
const EXEC_PLUGINS = resolve(REPO_ROOT, "scripts/exec-plugins.sh");

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-scripts-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Run a bash script on a throwaway machine (empty CNI state dirs, the default net.d included). */
function isolated(script: string, env: Record<string, string> = {}): IsolatedRun {
  return runIsolated(script, ["/var/lib/cni", "/etc/cni/net.d", "/var/run/netns"], { PATH: process.env.PATH, WORK: work, PRIV: PRIV_NET_RUN, EXEC: EXEC_PLUGINS, ...env });
}

/** Prints what is left on the isolated machine after the scripts ran, one "key: value" a line. */
const LEFTOVERS = `
echo "netns: $(ls /var/run/netns | tr '\\n' ' ')"
echo "cache: $(ls -A /var/lib/cni/results 2>/dev/null | tr '\\n' ' ')"
echo "leases: $(ls /var/lib/cni/networks/mynet 2>/dev/null | grep -v -e lock -e last_reserved | tr '\\n' ' ')"
echo "links: $(ip -o link show | awk -F': ' '{print $2}' | tr '\\n' ' ')"
echo "masq-rules: $(nft list chain inet cni_plugins_masquerade masq_checks 2>/dev/null | grep -c 'ip saddr')"
`;

function leftovers(stdout: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(netns|cache|leases|links|masq-rules): ?(.*)$/.exec(line);
    if (m) found[m[1]!] = m[2]!.trim();
  }
  return found;
}

const CLEAN = { netns: "", cache: "", leases: "", links: "lo cni0", "masq-rules": "0" };

describe("priv-net-run.sh with the default configs (mynet bridge 10.22.0.0/16 + masquerade, loopback)", () => {
  it("runs the command in a new namespace that reaches the bridge gateway; afterwards nothing is left", () => {
    // the command holds the container up until the "host" has looked at its masquerade rule
    const r = isolated(
      `"$PRIV" sh -c 'ip -br addr; ip route; ping -c1 -W5 10.22.0.1 >/dev/null && echo gateway-reached; touch $WORK/up; ` +
        `i=0; while [ ! -e $WORK/go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done' & pid=$!
      i=0; while [ ! -e $WORK/up ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
      echo "masq-while-running: $(nft list chain inet cni_plugins_masquerade masq_checks | grep -c 'ip saddr 10.22.')"
      touch $WORK/go; wait $pid; echo "status=$?"\n${LEFTOVERS}`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^lo\s+UNKNOWN\s+127\.0\.0\.1\/8/m);
    expect(r.stdout).toMatch(/^eth0@\S+\s+UP\s+10\.22\.\d+\.\d+\/16/m);
    expect(r.stdout).toContain("default via 10.22.0.1 dev eth0");
    expect(r.stdout).toContain("gateway-reached");
    expect(r.stdout).toContain("masq-while-running: 1");
    expect(r.stdout).toContain("status=0");
    expect(leftovers(r.stdout)).toEqual(CLEAN);
  });

  it("two concurrent containers ping each other", () => {
    const container = (me: string, peer: string): string =>
      `"$PRIV" sh -c 'ip -4 -o addr show eth0 | awk "{print \\$4}" | cut -d/ -f1 > $WORK/${me}.tmp && mv $WORK/${me}.tmp $WORK/${me}; ` +
      `i=0; while [ ! -s $WORK/${peer} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; ` +
      `ping -c1 -W5 $(cat $WORK/${peer}) >/dev/null && echo ${me}-reached-${peer}; touch $WORK/${me}.done; ` +
      `i=0; while [ ! -e $WORK/${peer}.done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done'`;
    const r = isolated(`${container("a", "b")} & ${container("b", "a")} & wait\n${LEFTOVERS}`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("a-reached-b");
    expect(r.stdout).toContain("b-reached-a");
    expect(leftovers(r.stdout)).toEqual(CLEAN);
  });

  it("passes the command's exit status through and cleans up when it fails", () => {
    const r = isolated(`"$PRIV" sh -c 'exit 7'; echo "status=$?"\n${LEFTOVERS}`);
    expect(r.stdout).toContain("status=7");
    expect(leftovers(r.stdout)).toEqual(CLEAN);
  });

  it("cleans up when interrupted (SIGINT to its process group, as Ctrl-C sends)", () => {
    const r = isolated(
      // job control: the script gets its own process group with SIGINT not ignored, as in a terminal
      `set -m; "$PRIV" sh -c 'touch $WORK/started; sleep 30' & pid=$!
      i=0; while [ ! -e $WORK/started ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
      kill -INT -- -$pid; wait $pid; echo "status=$?"\n${LEFTOVERS}`,
    );
    expect(r.stdout).toContain("status=130");
    expect(leftovers(r.stdout)).toEqual(CLEAN);
  });

  it("a network that cannot be attached: the command does not run, exit 1, nothing left (lease rolled back)", () => {
    const netd = join(work, "net.d");
    spawnSync("mkdir", [netd]);
    writeFileSync(join(netd, "10-mynet.conflist"), JSON.stringify({
      cniVersion: "1.1.0", name: "mynet",
      plugins: [
        { type: "bridge", bridge: "cni0", isGateway: true, ipMasq: true, ipam: { type: "host-local", subnet: "10.22.0.0/16" } },
        { type: "no-such-plugin" },
      ],
    }));
    const r = isolated(`"$PRIV" touch $WORK/ran; echo "status=$?"; ls $WORK\n${LEFTOVERS}`, { NETCONFPATH: netd });
    expect(r.stdout).toContain("status=1");
    expect(r.stdout).not.toContain("ran");
    expect(r.stderr).toContain('network "mynet": failed to find plugin "no-such-plugin"');
    expect(leftovers(r.stdout)).toEqual(CLEAN);
  });

  it("what the README says command 1 leaves on the host is there, and its command list removes it", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### What command 1 leaves on the host"));
    const removal = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(removal).toContain("ip link del cni0");
    const r = isolated(
      `sysctl -qw net.ipv4.ip_forward=0
      "$PRIV" true; echo "status=$?"
      echo "forwarding: $(cat /proc/sys/net/ipv4/ip_forward)"
      echo "tables: $(nft list tables | tr '\\n' ' ')"
      echo "store: $(cd /var/lib/cni/networks && find . -mindepth 1 | sort | tr '\\n' ' ')"
      ${LEFTOVERS}
      ${removal}
      echo "after-forwarding: $(cat /proc/sys/net/ipv4/ip_forward)"
      echo "after-tables: $(nft list tables | tr '\\n' ' ')"
      echo "after-store: $(ls -A /var/lib/cni/networks | tr '\\n' ' ')"
      echo "after-links: $(ip -o link show | awk -F': ' '{print $2}' | tr '\\n' ' ')"`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("status=0");
    expect(leftovers(r.stdout)).toEqual(CLEAN);
    expect(r.stdout).toContain("forwarding: 1");
    expect(r.stdout).toMatch(/^tables: table inet cni_plugins_masquerade $/m);
    expect(r.stdout).toMatch(/^store: \.\/\.host-local-index \.\/\.host-local-index\/mynet .*\.\/mynet \.\/mynet\/last_reserved_ip\.0 \.\/mynet\/lock $/m);
    expect(r.stdout).toMatch(/^after-forwarding: 0$/m);
    expect(r.stdout).toMatch(/^after-tables: $/m);
    expect(r.stdout).toMatch(/^after-store: \.host-local-index $/m);
    expect(r.stdout).toMatch(/^after-links: lo $/m);
  });

  it("usage on wrong arguments (exit 2); --help: usage on stdout, exit 0, naming what stays on the host", () => {
    const r = spawnSync(PRIV_NET_RUN, [], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^Usage: .*priv-net-run\.sh COMMAND \[ARGS\.\.\.\]/);
    for (const option of ["--help", "-h"]) {
      const help = spawnSync(PRIV_NET_RUN, [option], { encoding: "utf8" });
      expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: "" });
      expect(help.stdout).toMatch(/^Usage: .*priv-net-run\.sh COMMAND \[ARGS\.\.\.\]/);
      expect(help.stdout).toContain("the cni0 bridge");
    }
  });
});

describe("exec-plugins.sh", () => {
  function netconf(files: Record<string, object>): string {
    const dir = join(work, "net.d");
    spawnSync("mkdir", ["-p", dir]);
    for (const [name, conf] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(conf));
    return dir;
  }

  it("ADD attaches every network (ethN in load order) and caches in libcni's format; CHECK; DEL in reverse removes all", () => {
    const dir = netconf({
      "10-lonet.conflist": { cniVersion: "1.0.0", name: "lonet", plugins: [{ type: "loopback" }] },
      "20-br.conf": { cniVersion: "1.0.0", name: "br", type: "bridge", bridge: "br-t", ipam: { type: "host-local", subnet: "10.23.0.0/24" } },
    });
    const r = isolated(
      `ip netns add c1
      "$EXEC" add c1 /var/run/netns/c1; echo "add=$?"
      ip netns exec c1 ip -br addr
      cat /var/lib/cni/results/lonet-c1-eth0; echo
      ls /var/lib/cni/results
      "$EXEC" check c1 /var/run/netns/c1; echo "check=$?"
      "$EXEC" del c1 /var/run/netns/c1; echo "del=$?"
      echo "after-del: $(ip netns exec c1 ip -br link | awk '{print $1 "-" $2}' | tr '\\n' ' ')"
      ip netns del c1\n${LEFTOVERS}`,
      { NETCONFPATH: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("add=0");
    expect(r.stdout).toMatch(/^eth1@\S+\s+UP\s+10\.23\.0\.\d+\/24/m);
    expect(r.stdout).toMatch(/^lo\s+UNKNOWN\s+127\.0\.0\.1\/8/m);
    const cached = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith('{"kind"'))!) as Record<string, unknown>;
    expect(cached).toMatchObject({
      kind: "cniCacheV1", containerId: "c1", ifName: "eth0", networkName: "lonet", netns: "/var/run/netns/c1",
      result: { cniVersion: "1.0.0", interfaces: [{ name: "lo" }] },
    });
    expect(JSON.parse(Buffer.from(cached.config as string, "base64").toString())).toMatchObject({ name: "lonet" });
    expect(r.stdout).toContain("br-c1-eth1\nlonet-c1-eth0\n");
    expect(r.stdout).toContain("check=0");
    expect(r.stdout).toContain("del=0");
    expect(r.stdout).toMatch(/^after-del: lo-DOWN $/m);
    expect(leftovers(r.stdout)).toMatchObject({ netns: "", cache: "", links: "lo br-t" });
  });

  it("a failed ADD of the second network deletes the first again: no lease, no cache, no veth", () => {
    const dir = netconf({
      "10-a.conflist": { cniVersion: "1.0.0", name: "a", plugins: [{ type: "bridge", bridge: "br-a", ipam: { type: "host-local", subnet: "10.24.0.0/24", dataDir: "/var/lib/cni/networks" } }] },
      "20-b.conflist": { cniVersion: "1.0.0", name: "b", plugins: [{ type: "loopback" }, { type: "no-such-plugin" }] },
    });
    const r = isolated(
      `ip netns add c2
      "$EXEC" add c2 /var/run/netns/c2; echo "add=$?"
      echo "a-leases: $(ls /var/lib/cni/networks/a | grep -c '^10')"
      echo "ns-links: $(ip netns exec c2 ip -o link show | wc -l)"
      ip netns del c2\n${LEFTOVERS}`,
      { NETCONFPATH: dir },
    );
    expect(r.stdout).toContain("add=1");
    expect(r.stderr).toContain('network "b": failed to find plugin "no-such-plugin"');
    expect(r.stdout).toContain("a-leases: 0");
    expect(r.stdout).toContain("ns-links: 1");
    expect(leftovers(r.stdout)).toMatchObject({ cache: "", links: "lo br-a" });
  });

  it("usage on wrong arguments (exit 2); --help: usage on stdout, exit 0", () => {
    for (const args of [[], ["add", "x"], ["frob", "x", "/y"], ["--help", "x"]]) {
      const r = spawnSync(EXEC_PLUGINS, args, { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^Usage: .*exec-plugins\.sh add\|check\|del CONTAINER-ID NETNS-PATH/);
    }
    for (const option of ["--help", "-h"]) {
      const help = spawnSync(EXEC_PLUGINS, [option], { encoding: "utf8" });
      expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: "" });
      expect(help.stdout).toMatch(/^Usage: .*exec-plugins\.sh add\|check\|del CONTAINER-ID NETNS-PATH/);
    }
  });
});
