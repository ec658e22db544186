// scripts/docker-run.sh against a real dockerd started here (off the machine's network: no bridge, no
// iptables), with a busybox image built from Debian's busybox-static. The script runs with its network side
// (where the plugins put the bridge) inside a throwaway namespace: `nsenter --net=<host> docker-run.sh ...`.
// Needs root, ./build.sh and docker.io (installed when missing).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  busyboxRootfs,
  createHostNetns,
  deleteHostNetns,
  hostIptablesRules,
  hostLinks,
  hostNftRules,
  leaseFiles,
  type HostNetns,
} from "./lib/runtimes/common";
import { Dockerd } from "./lib/runtimes/dockerd";
import { type BridgeNetwork, ensureRuntimePackages, writeBridgeConflist } from "./lib/runtimes/setup";
import { BIN_DIR, REPO_ROOT } from "./lib/plugin";

const DOCKER_RUN = resolve(REPO_ROOT, "scripts/docker-run.sh");
const SETUP_TIMEOUT_MS = 600_000; // includes apt-get on a fresh machine
const SCRIPT_TIMEOUT_MS = 60_000;

/** Files under the result cache dir (exec-plugins.sh keeps them in it or in its results/). */
function cachedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) for (const file of cachedFiles(join(dir, entry.name))) files.push(`${entry.name}/${file}`);
    else files.push(entry.name);
  }
  return files;
}

/** stderr without the docker client's warning about the daemon's own (untouched) forwarding sysctl. */
function ownStderr(stderr: string): string {
  return stderr.replace(/^WARNING: IPv4 forwarding is disabled\. Networking will not work\.\n/m, "");
}

interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(process.getuid?.() !== 0)("scripts/docker-run.sh with a real dockerd", () => {
  let work: string;
  let dockerd: Dockerd;
  let host: HostNetns;
  let net: BridgeNetwork;
  let netconf: string;
  let cache: string;

  beforeAll(() => {
    if (!existsSync(join(BIN_DIR, "cni-plugins"))) throw new Error("bin/cni-plugins missing: run ./build.sh first");
    ensureRuntimePackages(["docker.io", "runc", "busybox-static", "iptables", "nftables"]);
    work = mkdtempSync(join(tmpdir(), "cni-docker-run-"));
    const tag = randomBytes(3).toString("hex");
    net = { name: `dr-${tag}`, bridge: `drbr${tag}`, subnet: "10.93.0.0/24", gateway: "10.93.0.1", dataDir: join(work, "ipam") };
    netconf = join(work, "net.d");
    cache = join(work, "cache");
    mkdirSync(netconf);
    writeBridgeConflist(join(netconf, "10-bridge.conflist"), net);
    writeFileSync(join(netconf, "99-loopback.conf"), JSON.stringify({ cniVersion: "1.0.0", name: "lo", type: "loopback" }));
    host = createHostNetns(`dr-host-${tag}`);
    mkdirSync(join(work, "dockerd"));
    dockerd = new Dockerd({ dir: join(work, "dockerd"), cgroupParent: `cni-dr-${tag}` });
    dockerd.start();
    const image = busyboxRootfs(join(work, "image"));
    // the script's default pause image
    dockerd.docker(["import", image.tar, "busybox:latest"]);
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    dockerd?.destroy();
    if (host) deleteHostNetns(host);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    // whatever a failed test left running must not leak into the next one
    const ids = dockerd.docker(["ps", "-aq"], true).stdout.split("\n").filter((id: string) => id !== "");
    if (ids.length > 0) dockerd.docker(["rm", "-f", ...ids], true);
  });

  function scriptEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      DOCKER: `docker -H ${dockerd.host}`,
      NETCONFPATH: netconf,
      CNI_PATH: BIN_DIR,
      CNI_CACHE_DIR: cache,
    };
  }

  function dockerRun(args: readonly string[], input = ""): ScriptRun {
    const r = spawnSync("nsenter", [`--net=${host.path}`, DOCKER_RUN, ...args], {
      encoding: "utf8",
      input,
      env: scriptEnv(),
      timeout: SCRIPT_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  function containers(): string[] {
    return dockerd.docker(["ps", "-aq"]).stdout.split("\n").filter((id: string) => id !== "");
  }

  /** No container, lease, veth, masquerade rule or cached result left. */
  function expectNothingLeft(): void {
    expect(containers()).toEqual([]);
    expect(leaseFiles(net.dataDir)).toEqual([]);
    const links = hostLinks(host).filter((l) => l !== "lo:" && l !== `${net.bridge}:bridge`);
    expect(links).toEqual([]);
    const rules = [...hostNftRules(host), ...hostIptablesRules(host)];
    expect(rules.filter((r) => r.includes("10.93.0.") || /(^|\s)(masquerade|-j MASQUERADE)(\s|$)/.test(r))).toEqual([]);
    expect(cachedFiles(cache)).toEqual([]);
  }

  it("prints usage and exits 2 without arguments, starting nothing; --help: usage on stdout, exit 0", () => {
    const r = dockerRun([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^Usage: .*docker-run\.sh DOCKER-RUN-ARGS/);
    const help = dockerRun(["--help"]);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: .*docker-run\.sh DOCKER-RUN-ARGS/);
    expect(containers()).toEqual([]);
  });

  it("runs the container on the networks, reaching the bridge gateway; then detaches and removes the pause container", () => {
    const r = dockerRun(["--rm", "busybox:latest", "sh", "-c", `ip -4 -o addr show; ping -c 1 -W 3 ${net.gateway}`]);
    expect(ownStderr(r.stderr)).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\d+: lo\s+inet 127\.0\.0\.1\/8/);
    expect(r.stdout).toMatch(/\d+: eth0\s+inet 10\.93\.0\.\d+\/24/);
    expect(r.stdout).toContain("1 packets received");
    expectNothingLeft();
  });

  it("passes the container's exit status through, and its stdin to `docker run -i`; still cleans up", () => {
    const r = dockerRun(["-i", "--rm", "busybox:latest", "sh", "-c", "cat; exit 3"], "from stdin\n");
    expect(r.stdout).toBe("from stdin\n");
    expect(r.status).toBe(3);
    expectNothingLeft();
  });

  it("fails with the plugin's error when attaching fails, leaving nothing behind", () => {
    const broken = join(work, "net.d-broken");
    mkdirSync(broken, { recursive: true });
    writeFileSync(
      join(broken, "10-broken.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "broken", plugins: [{ type: "bridge", bridge: net.bridge, ipam: { type: "no-such-ipam" } }] }),
    );
    const saved = netconf;
    netconf = broken;
    try {
      const r = dockerRun(["--rm", "busybox:latest", "true"]);
      expect(r.status).not.toBe(0);
      expect(r.stderr + r.stdout).toContain("no-such-ipam");
    } finally {
      netconf = saved;
    }
    expectNothingLeft();
  });

  // Item 8 of issue 16: the pause container's pid, once reused by another process, must not lead DEL into
  // that process's namespace. The docker command given to the script reports, as the pause's pid, a
  // stand-in process that sits in the pause container's namespace and, once the containers run, execs
  // itself (same pid) into a victim namespace that has an eth0 of its own: what a reused pid looks like.
  it("the pause's pid reused by a process in another namespace: DEL still acts on the pause's namespace; the other eth0 stays", async () => {
    const victim = createHostNetns(`dr-victim-${randomBytes(3).toString("hex")}`);
    let standIn = 0;
    try {
      const victimEth0 = (): string => spawnSync("ip", ["-n", victim.name, "-o", "link", "show", "eth0"], { encoding: "utf8" }).stdout;
      const made = spawnSync("ip", ["-n", victim.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"], { encoding: "utf8" });
      expect(made.stderr).toBe("");
      expect(victimEth0()).toMatch(/^\d+: eth0@eth0-peer: /);
      const wrapper = join(work, "docker-reusing-pid");
      writeFileSync(
        wrapper,
        `#!/bin/bash
        set -eu
        real=(docker -H ${dockerd.host})
        if [ "$1" = inspect ] && [[ "$3" == *State.Pid* ]]; then
          if [ ! -s "${work}/stand-in.pid" ]; then
            pid=$("\${real[@]}" inspect -f '{{ .State.Pid }}' "$4")
            setsid nsenter --net=/proc/$pid/ns/net bash -c 'echo $$ >"${work}/stand-in.tmp"; mv "${work}/stand-in.tmp" "${work}/stand-in.pid"
              while [ ! -e "${work}/reuse" ]; do sleep 0.05; done; exec nsenter --net=${victim.path} sleep 600' </dev/null >/dev/null 2>&1 &
            while [ ! -s "${work}/stand-in.pid" ]; do sleep 0.05; done
          fi
          cat "${work}/stand-in.pid"
          exit 0
        fi
        exec "\${real[@]}" "$@"
`,
        { mode: 0o755 },
      );
      const child = spawn("nsenter", [`--net=${host.path}`, DOCKER_RUN, "--rm", "--label", "cni-test=user", "busybox:latest", "sleep", "300"], {
        env: { ...scriptEnv(), DOCKER: wrapper },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
      const waitFor = async (ready: () => boolean): Promise<void> => {
        const deadline = Date.now() + 30_000; // a hang guard, not a timing assertion
        while (!ready() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      };
      await waitFor(() => containers().length === 2);
      expect(containers()).toHaveLength(2);
      expect(leaseFiles(net.dataDir)).toHaveLength(1);
      standIn = Number(readFileSync(join(work, "stand-in.pid"), "utf8"));

      // the pid now names a process in the victim's namespace
      writeFileSync(join(work, "reuse"), "");
      const victimNs = statSync(victim.path).ino;
      const nsOf = (pid: number): number | undefined => (existsSync(`/proc/${pid}/ns/net`) ? statSync(`/proc/${pid}/ns/net`).ino : undefined);
      await waitFor(() => nsOf(standIn) === victimNs);
      expect(nsOf(standIn)).toBe(victimNs);
      expect(victimEth0()).toMatch(/^\d+: eth0@eth0-peer: /);

      const user = dockerd.docker(["ps", "-q", "--filter", "label=cni-test=user"]).stdout.trim();
      dockerd.docker(["kill", user]);
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000).unref());
      const outcome = await Promise.race([exited, timeout]);
      if (outcome === "timeout") child.kill("SIGKILL");
      expect(outcome).toBe(137); // docker run's status for a killed container
      expect(ownStderr(stderr)).toBe("");
      expect(victimEth0()).toMatch(/^\d+: eth0@eth0-peer: /);
      expectNothingLeft();
    } finally {
      if (standIn > 0) spawnSync("kill", ["-KILL", String(standIn)]);
      deleteHostNetns(victim);
      rmSync(join(work, "stand-in.pid"), { force: true });
      rmSync(join(work, "reuse"), { force: true });
    }
  });

  it("cleans up when interrupted while the container runs", async () => {
    const child = spawn("nsenter", [`--net=${host.path}`, DOCKER_RUN, "--rm", "busybox:latest", "sleep", "300"], {
      env: scriptEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((done) => child.on("exit", (code, signal) => done(code ?? (signal ? -1 : null))));
    // wait (bounded) until the user's container runs beside the pause container
    const deadline = Date.now() + 30_000;
    while (containers().length < 2) {
      if (Date.now() > deadline || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(containers()).toHaveLength(2);
    expect(leaseFiles(net.dataDir)).toHaveLength(1);
    child.kill("SIGTERM");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000).unref());
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === "timeout") child.kill("SIGKILL");
    expect(outcome).toBe(143);
    expectNothingLeft();
  });
});
