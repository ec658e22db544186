// Issue 16's runtime side, as a careless user and a hostile neighbour would try it: bin/cnitool (libcni) must
// never take down a live attachment, never write through a link another user planted, never let a planted
// cache entry drive a DEL into another namespace, never recurse without end, run the plugin it found, and
// say what is wrong in words a user can act on. Every run is inside its own "machine" (`unshare --mount
// --net`, tmpfs over /var/lib/cni and /var/run/netns); the neighbour's steps run as `nobody` (setpriv).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runIsolated, type IsolatedRun } from "./lib/isolated";
import { BIN_DIR } from "./lib/plugin";

let work: string;
let netd: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-cnitool-safety-"));
  netd = join(work, "net.d");
  mkdirSync(netd);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Run a bash script on a throwaway machine, bin/ first on PATH and CNI_PATH, NETCONFPATH the test's net.d. */
function isolated(script: string, env: Record<string, string> = {}): IsolatedRun {
  return runIsolated(script, ["/var/lib/cni", "/var/run/netns"], { PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NETCONFPATH: netd, CNI_PATH: BIN_DIR, WORK: work, ...env });
}

/** A command prefix running the rest as the unprivileged neighbour. */
const AS_NOBODY = "setpriv --reuid=nobody --regid=nogroup --clear-groups";

function network(file: string, list: object): void {
  writeFileSync(join(netd, file), JSON.stringify(list));
}

function bridgeNetwork(name: string, bridge: string, subnet: string, file = `10-${name}.conflist`): void {
  network(file, { cniVersion: "1.1.0", name, plugins: [{ type: "bridge", bridge, isGateway: true, ipam: { type: "host-local", subnet } }] });
}

/** The lines of `stdout` that start with `key: `, as key -> rest. */
function facts(stdout: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([\w-]+): ?(.*)$/.exec(line);
    if (m) found[m[1]!] = m[2]!.trim();
  }
  return found;
}

/** Prints the state of container namespace c1 on network NET: eth0, leases (with their owners), cache entries. */
const C1_STATE = (net: string, prefix: string): string => `
  echo "${prefix}-eth0: $(cnitool netns exec c1 ip -o -4 addr show dev eth0 2>/dev/null | awk '{print $4}')"
  echo "${prefix}-leases: $(cd /var/lib/cni/networks/${net} && for f in 10.*; do [ -e "$f" ] && printf '%s=%s ' "$f" "$(head -1 $f | tr -d '\\r')"; done)"
  echo "${prefix}-cache: $(ls /var/lib/cni/results | tr '\\n' ' ')"
  cnitool netns exec c1 ping -c1 -W5 10.40.0.1 >/dev/null 2>&1 && echo "${prefix}-reaches-gateway: yes"`;

describe("item 1: a second ADD never deletes the working attachment", () => {
  it("the same attachment again is refused before any plugin runs; eth0, lease and cache entry stay", () => {
    bridgeNetwork("net1", "br-safe1", "10.40.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      CNI_CONTAINERID=ctr1 cnitool add net1 /var/run/netns/c1 >/dev/null; echo "add1: $?"
      ${C1_STATE("net1", "before")}
      CNI_CONTAINERID=ctr1 cnitool add net1 /var/run/netns/c1 >/dev/null; echo "add2: $?"
      ${C1_STATE("net1", "after")}
      CNI_CONTAINERID=ctr1 cnitool del net1 /var/run/netns/c1; echo "del: $?"
      echo "final-leases: $(ls /var/lib/cni/networks/net1 | grep -c '^10')"`);
    const f = facts(r.stdout);
    expect(f.add1).toBe("0");
    expect(f.add2).toBe("1");
    expect(r.stderr).toBe(
      "cnitool add: network \"net1\": container ctr1 already has interface eth0 attached (cached in /var/lib/cni/results/net1-ctr1-eth0); DEL it first\n",
    );
    expect(f["before-eth0"]).toMatch(/^10\.40\.0\.\d+\/24$/);
    for (const what of ["eth0", "leases", "cache"]) expect(f[`after-${what}`], what).toBe(f[`before-${what}`]);
    expect(f["after-leases"]).toMatch(/^10\.40\.0\.\d+=ctr1$/);
    expect(f["after-reaches-gateway"]).toBe("yes");
    expect(f.del).toBe("0");
    expect(f["final-leases"]).toBe("0");
  });

  it("another container ID on the same netns and ifname fails, and the first container keeps eth0 and its lease", () => {
    bridgeNetwork("net1", "br-safe2", "10.40.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      CNI_CONTAINERID=first cnitool add net1 /var/run/netns/c1 >/dev/null; echo "add1: $?"
      ${C1_STATE("net1", "before")}
      CNI_CONTAINERID=second cnitool add net1 /var/run/netns/c1 >/dev/null; echo "add2: $?"
      ${C1_STATE("net1", "after")}
      echo "host-veths: $(ip -o link show type veth | wc -l)"`);
    const f = facts(r.stdout);
    expect(f.add1).toBe("0");
    expect(f.add2).toBe("1");
    expect(r.stderr).toMatch(/^cnitool add: plugin type="bridge" failed \(add\) for network "net1": /);
    expect(f["before-eth0"]).toMatch(/^10\.40\.0\.\d+\/24$/);
    for (const what of ["eth0", "leases", "cache"]) expect(f[`after-${what}`], what).toBe(f[`before-${what}`]);
    expect(f["after-leases"]).toMatch(/^10\.40\.0\.\d+=first$/); // no lease of "second" left either
    expect(f["after-cache"]).toBe("net1-first-eth0");
    expect(f["after-reaches-gateway"]).toBe("yes");
    expect(f["host-veths"]).toBe("1");
  });
});

describe("item 1 through the scripts: exec-plugins.sh add twice", () => {
  it("the second add fails and the first attachment keeps eth0, its lease and its cache entry", () => {
    network("05-lo.conf", { cniVersion: "1.1.0", name: "lo", type: "loopback" });
    bridgeNetwork("net1", "br-twice", "10.40.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      scripts/exec-plugins.sh add ctr1 /var/run/netns/c1; echo "add1: $?"
      ${C1_STATE("net1", "before")}
      scripts/exec-plugins.sh add ctr1 /var/run/netns/c1; echo "add2: $?"
      ${C1_STATE("net1", "after")}
      echo "lo: $(cnitool netns exec c1 ip -o link show lo | grep -o 'state [A-Z]*')"`);
    const f = facts(r.stdout);
    expect(f.add1).toBe("0");
    expect(f.add2).not.toBe("0");
    expect(r.stderr).toContain('network "net1": container ctr1 already has interface eth0 attached');
    expect(f["before-eth0"]).toMatch(/^10\.40\.0\.\d+\/24$/);
    for (const what of ["eth0", "leases", "cache"]) expect(f[`after-${what}`], what).toBe(f[`before-${what}`]);
    expect(f["after-reaches-gateway"]).toBe("yes");
    expect(f.lo).toBe("state UNKNOWN");
  });
});

describe("item 3: colliding cache names (network a + container b-c, network a-b + container c)", () => {
  it("the second ADD is refused before any plugin runs; its DEL neither uses nor removes the first's entry", () => {
    bridgeNetwork("a", "br-coll-a", "10.40.0.0/24");
    bridgeNetwork("a-b", "br-coll-ab", "10.41.0.0/24");
    const r = isolated(`
      cnitool netns add c1 >/dev/null; cnitool netns add c2 >/dev/null
      CNI_CONTAINERID=b-c cnitool add a /var/run/netns/c1 >/dev/null; echo "add-a: $?"
      sum=$(sha256sum < /var/lib/cni/results/a-b-c-eth0)
      CNI_CONTAINERID=c cnitool add a-b /var/run/netns/c2 >/dev/null; echo "add-ab: $?"
      echo "ab-leases: $(ls /var/lib/cni/networks/a-b 2>/dev/null | grep -c '^10')"
      echo "c2-links: $(cnitool netns exec c2 ip -o link show | wc -l)"
      CNI_CONTAINERID=c cnitool del a-b /var/run/netns/c2; echo "del-ab: $?"
      [ "$(sha256sum < /var/lib/cni/results/a-b-c-eth0)" = "$sum" ] && echo "entry-a: intact"
      ${C1_STATE("a", "a")}
      CNI_CONTAINERID=b-c cnitool del a /var/run/netns/c1; echo "del-a: $?"
      echo "a-leases-after: $(ls /var/lib/cni/networks/a | grep -c '^10')"
      echo "cache-after: $(ls /var/lib/cni/results | tr '\\n' ' ')"`);
    const f = facts(r.stdout);
    expect(f["add-a"]).toBe("0");
    expect(f["add-ab"]).toBe("1");
    expect(r.stderr).toContain(
      'cnitool add: network "a-b": the cache file /var/lib/cni/results/a-b-c-eth0 holds another attachment (network "a", container b-c, interface eth0)',
    );
    expect(f["ab-leases"]).toBe("0");
    expect(f["c2-links"]).toBe("1");
    expect(f["del-ab"]).toBe("0");
    expect(f["entry-a"]).toBe("intact");
    expect(f["a-eth0"]).toMatch(/^10\.40\.0\.\d+\/24$/);
    expect(f["a-reaches-gateway"]).toBe("yes");
    expect(f["del-a"]).toBe("0");
    expect(f["a-leases-after"]).toBe("0");
    expect(f["cache-after"]).toBe("");
  });
});

describe("item 7: libcni does not trust a cache directory another user can write", () => {
  it("a results directory made by nobody, with links to a root-only file at the entry's names: refused, nothing written, nothing run", () => {
    bridgeNetwork("net1", "br-trust", "10.40.0.0/24");
    const entry = "net1-ctr1-eth0";
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      printf 'root only\\n' > /var/lib/cni/secret; chmod 600 /var/lib/cni/secret
      ${AS_NOBODY} sh -c 'mkdir /var/lib/cni/results && ln -s /var/lib/cni/secret /var/lib/cni/results/${entry} &&
        for pid in $(seq 1 400); do ln -s /var/lib/cni/secret /var/lib/cni/results/${entry}.$pid.tmp; done'
      CNI_CONTAINERID=ctr1 cnitool add net1 /var/run/netns/c1; echo "add: $?"
      echo "secret: $(cat /var/lib/cni/secret) $(stat -c %a /var/lib/cni/secret)"
      echo "c1-links: $(cnitool netns exec c1 ip -o link show | wc -l)"
      echo "leases: $(ls /var/lib/cni/networks/net1 2>/dev/null | grep -c '^10')"
      CNI_CONTAINERID=ctr1 cnitool del net1 /var/run/netns/c1; echo "del: $?"
      echo "secret-after-del: $(cat /var/lib/cni/secret)"
      echo "planted-links: $(find /var/lib/cni/results -type l | wc -l)"`);
    const f = facts(r.stdout);
    expect(f.add).toBe("1");
    expect(r.stderr).toContain("cnitool add: refusing the result cache directory /var/lib/cni/results: it is owned by uid 65534, not root\n");
    expect(f.secret).toBe("root only 600");
    expect(f["c1-links"]).toBe("1");
    expect(f.leases).toBe("0");
    expect(f.del).toBe("1");
    expect(f["secret-after-del"]).toBe("root only");
    expect(f["planted-links"]).toBe("401");
  });

  it("an entry planted in a cache directory others may write, naming another namespace: gc refuses and that namespace's lo stays up", () => {
    network("10-lnet.conflist", { cniVersion: "1.1.0", name: "lnet", plugins: [{ type: "loopback" }] });
    const planted = JSON.stringify({ kind: "cniCacheV1", containerId: "evil", config: "", ifName: "eth0", networkName: "lnet", netns: "/var/run/netns/victim" });
    const r = isolated(`
      cnitool netns add victim >/dev/null; cnitool netns exec victim ip link set lo up
      ${AS_NOBODY} sh -c 'mkdir -p /var/lib/cni/shared/results && cat > /var/lib/cni/shared/results/lnet-evil-eth0' <<'EOF'
${planted}
EOF
      CNI_CACHE_DIR=/var/lib/cni/shared cnitool gc lnet --all; echo "gc: $?"
      echo "victim-lo: $(cnitool netns exec victim ip -o link show lo | grep -o 'state [A-Z]*')"
      chown -R root:root /var/lib/cni/shared; chmod 0777 /var/lib/cni/shared/results
      CNI_CACHE_DIR=/var/lib/cni/shared cnitool gc lnet --all; echo "gc-writable: $?"
      echo "victim-lo-writable: $(cnitool netns exec victim ip -o link show lo | grep -o 'state [A-Z]*')"`);
    const f = facts(r.stdout);
    expect(f.gc).toBe("1");
    expect(r.stderr).toContain("cnitool gc: refusing the result cache directory /var/lib/cni/shared: it is owned by uid 65534, not root\n");
    expect(f["victim-lo"]).toBe("state UNKNOWN");
    expect(f["gc-writable"]).toBe("1");
    expect(r.stderr).toContain("refusing the result cache directory /var/lib/cni/shared/results: it is writable by group or others (mode 0777)");
    expect(f["victim-lo-writable"]).toBe("state UNKNOWN");
  });
});

describe("item 9: a delegating plugin as its own IPAM type", () => {
  it.each([
    ["bridge", { type: "bridge", bridge: "br-loop", ipam: { type: "bridge" } }],
    ["veth", { type: "veth", ipam: { type: "veth" } }],
    ["veth", { type: "bridge", bridge: "br-loop", ipam: { type: "veth" } }],
  ])("ADD, STATUS and DEL fail with code 7 naming %s; nothing is left", (named, plugin) => {
    network("10-loop.conflist", { cniVersion: "1.1.0", name: "loop", plugins: [plugin] });
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      for verb in add status del; do
        case $verb in status) cnitool status loop ;; *) cnitool $verb loop /var/run/netns/c1 >/dev/null ;; esac
        echo "$verb: $?"
      done
      echo "links: $(ip -o link show | grep -vc ': lo:')"
      echo "c1-links: $(cnitool netns exec c1 ip -o link show | wc -l)"
      echo "cache: $(ls /var/lib/cni/results | tr '\\n' ' ')"`);
    const f = facts(r.stdout);
    expect(r.status).toBe(0); // not killed by the hang guard
    for (const verb of ["add", "status", "del"]) expect(f[verb], verb).toBe("1");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toContain(`invalid IPAM type "${named}": it is a plugin that delegates to an IPAM plugin itself`);
    expect(f.links).toBe("0");
    expect(f["c1-links"]).toBe("1");
    expect(f.cache).toBe("");
  });
});

describe("item 10: the plugin found is the plugin run", () => {
  it('CNI_PATH "." runs the plugins of the current directory, not same-named files on PATH', () => {
    bridgeNetwork("net1", "br-dot", "10.40.0.0/24");
    const decoy = join(work, "decoy");
    mkdirSync(decoy);
    for (const name of ["bridge", "host-local"]) writeFileSync(join(decoy, name), `#!/bin/sh\necho ${name} >> ${work}/decoy-ran\nexit 1\n`, { mode: 0o755 });
    const r = isolated(
      `cnitool netns add c1 >/dev/null
      cd "${BIN_DIR}"
      CNI_CONTAINERID=dot cnitool add net1 /var/run/netns/c1 >/dev/null; echo "add: $?"
      echo "eth0: $(cnitool netns exec c1 ip -o -4 addr show dev eth0 | awk '{print $4}')"
      CNI_CONTAINERID=dot cnitool del net1 /var/run/netns/c1; echo "del: $?"
      echo "decoy: $(cat $WORK/decoy-ran 2>/dev/null)"`,
      { CNI_PATH: ".", PATH: `${decoy}:${BIN_DIR}:${process.env.PATH ?? ""}` },
    );
    const f = facts(r.stdout);
    expect(r.stderr).toBe("");
    expect(f.add).toBe("0");
    expect(f.eth0).toMatch(/^10\.40\.0\.\d+\/24$/);
    expect(f.del).toBe("0");
    expect(f.decoy).toBe("");
  });

  it('netns exec keeps an empty argument: cmd a "" c', () => {
    const r = isolated(`cnitool netns add c1 >/dev/null; cnitool netns exec c1 sh -c 'echo "argc=$# [$1] [$2] [$3]"' sh a "" c`);
    expect(r.stdout).toBe("argc=3 [a] [] [c]\n");
  });
});

describe("item 14: messages that name the real problem", () => {
  it("no CNI_PATH: the plugin is not found, it did not fail", () => {
    network("10-lo.conf", { cniVersion: "1.1.0", name: "lo", type: "loopback" });
    const r = isolated("cnitool netns add c1 >/dev/null; cnitool add lo /var/run/netns/c1; echo \"add: $?\"", { CNI_PATH: "" });
    expect(facts(r.stdout).add).toBe("1");
    expect(r.stderr).toBe('cnitool add: network "lo": plugin loopback not found: CNI_PATH is not set\n');
  });

  it("an error of the in-process IPAM plugin names host-local, not only veth", () => {
    network("10-vnet.conflist", { cniVersion: "1.1.0", name: "vnet", plugins: [{ type: "veth", ipam: { type: "host-local", subnet: "10.40.0.0/24" } }] });
    const r = isolated(
      "cnitool netns add c1 >/dev/null; cnitool add vnet /var/run/netns/c1; echo \"add: $?\"; echo \"links: $(ip -o link show | grep -vc ': lo:')\"",
      { CNI_ARGS: "MAC=0a:58:0a:28:00:09" }, // veth takes MAC; host-local knows no such key
    );
    expect(facts(r.stdout)).toMatchObject({ add: "1", links: "0" });
    expect(r.stderr).toBe(
      'cnitool add: plugin type="veth" failed (add) for network "vnet": IPAM plugin "host-local": ARGS: unknown args ["MAC=0a:58:0a:28:00:09"]; known keys: IgnoreUnknown, IP\n',
    );
  });

  it("two configs with one network name: only the first in load order is attached, with a warning", () => {
    bridgeNetwork("dup", "br-dup1", "10.40.0.0/24", "10-dup.conflist");
    bridgeNetwork("dup", "br-dup2", "10.41.0.0/24", "20-dup.conflist");
    const r = isolated(`
      echo "networks: $(cnitool networks 2>/dev/null | tr '\\n' ' ')"
      cnitool netns add c1 >/dev/null
      cnitool add dup /var/run/netns/c1 >/dev/null; echo "add: $?"
      echo "bridges: $(ip -o link show type bridge | awk -F': ' '{print $2}' | tr '\\n' ' ')"
      echo "c1-links: $(cnitool netns exec c1 ip -o link show | wc -l)"`);
    const f = facts(r.stdout);
    expect(f.networks).toBe("dup");
    expect(f.add).toBe("0");
    expect(f.bridges).toBe("br-dup1");
    expect(f["c1-links"]).toBe("2");
    const warning = `cnitool: warning: ${netd}/20-dup.conflist: network "dup" is also defined in ${netd}/10-dup.conflist; only that one (first in load order) is used\n`;
    expect(r.stderr).toBe(warning);
  });

  it("exec-plugins.sh with two configs of one name attaches one interface", () => {
    bridgeNetwork("dup", "br-dup1", "10.40.0.0/24", "10-dup.conflist");
    bridgeNetwork("dup", "br-dup2", "10.41.0.0/24", "20-dup.conflist");
    const r = isolated(`
      cnitool netns add c1 >/dev/null
      scripts/exec-plugins.sh add ctr1 /var/run/netns/c1; echo "add: $?"
      echo "c1-links: $(cnitool netns exec c1 ip -o link show | awk -F'[:@]' '{print $2}' | tr -d ' ' | tr '\\n' ' ')"
      scripts/exec-plugins.sh del ctr1 /var/run/netns/c1; echo "del: $?"
      echo "cache: $(ls /var/lib/cni/results | tr '\\n' ' ')"`);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ add: "0", "c1-links": "lo eth0", del: "0", cache: "" });
    expect(r.stderr).toContain('network "dup" is also defined in');
  });
});
