// The README's Kubernetes node recipe, run as written: every ```sh block between its markers, in order, in
// one shell with `set -e`, on a throwaway machine (its own network and mount namespaces, empty tmpfs over
// the CNI directories) with a node NIC the test adds first (192.168.77.11/24, so the recipe's route has a
// next hop). Then what the recipe says it does is checked: the pod got its address from the node's pod
// CIDR, STATUS said ready, DEL and GC left no lease, the node's masquerade rule is there, and
// --uninstall left the plugin directory empty.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runIsolated } from "./lib/isolated";
import { REPO_ROOT } from "./lib/plugin";

const BEGIN = "<!-- k8s-node-recipe -->";
const END = "<!-- /k8s-node-recipe -->";
const STATE_DIRS = ["/opt/cni/bin", "/etc/cni/net.d", "/var/lib/cni", "/var/run/netns"];

/** The recipe's shell blocks, in order. */
function recipeCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  return [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe("README: the Kubernetes node recipe", () => {
  it("runs as written and does what it says", () => {
    const blocks = recipeCommands();
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const recipe = blocks.join("\n");
    const r = runIsolated(
      `set -e
      # a machine's directories are root's alone (a tmpfs starts world-writable, which install.sh refuses)
      chmod 0755 ${STATE_DIRS.join(" ")}
      # the node's NIC (not part of the recipe): the recipe's route needs a next hop on it
      ip link add eth0 type veth peer name eth0-peer
      ip addr add 192.168.77.11/24 dev eth0
      ip link set eth0 up && ip link set eth0-peer up
      # the recipe
      ${recipe}
      # what it did
      echo "leases: $(find /var/lib/cni/networks/k8s-pod-network -name '10.*' | tr '\\n' ' ')"
      echo "cache: $(ls -A /var/lib/cni/results | tr '\\n' ' ')"
      echo "plugin dir: $(ls -A /opt/cni/bin | tr '\\n' ' ')"
      echo "routes: $(ip -4 route show 10.244.2.0/24)"
      nft list table ip node-masq | grep masquerade`,
      STATE_DIRS,
      { PATH: process.env.PATH },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^eth0@\S+\s+UP\s+10\.244\.1\.2\/24\s*$/m);
    expect(r.stdout).toMatch(/^ready$/m);
    expect(r.stdout).toMatch(/^leases: $/m);
    expect(r.stdout).toMatch(/^cache: $/m);
    expect(r.stdout).toMatch(/^plugin dir: $/m);
    expect(r.stdout).toContain("routes: 10.244.2.0/24 via 192.168.77.12 dev eth0");
    expect(r.stdout).toMatch(/ip saddr 10\.244\.1\.0\/24 ip daddr != 10\.244\.0\.0\/16 masquerade/);
  });
});
