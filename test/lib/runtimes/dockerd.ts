// A private dockerd (Debian's 20.10) kept off the machine's network: no bridge, no iptables, no forwarding,
// its data, exec root, socket and cgroup parent of its own. It cannot run under `ip netns exec` (that remounts
// /sys), so it runs in the machine's network namespace but never touches the network; containers use
// --net=none or --net=container:<id>. It runs in a private mount namespace with a tmpfs on /run and a temp
// dir on /etc/docker, so what it leaves there (/run/docker/plugins, its containerd's /run/containerd/s shim
// sockets, /etc/docker/key.json) goes away with it. Stopped by pid, then every process of that namespace.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killPids, pidsInMountNamespaceOf, pidsWithCommandLine, removeCgroups, run, type RunResult, waitGone } from "./common.js";

export interface DockerdOptions {
  dir: string;
  /** cgroup parent of the containers, removed at the end */
  cgroupParent: string;
}

/** The cgroup dockerd makes for itself. */
const DOCKER_CGROUP = "/sys/fs/cgroup/memory/docker";

export class Dockerd {
  private daemon: ChildProcess | undefined;
  private readonly preexisting = new Set<string>();
  private createdEtcDocker = false;
  readonly socket: string;

  constructor(private readonly options: DockerdOptions) {
    this.socket = join(options.dir, "docker.sock");
  }

  /** DOCKER_HOST for clients of this daemon. */
  get host(): string {
    return `unix://${this.socket}`;
  }

  start(): void {
    const { dir } = this.options;
    if (existsSync(DOCKER_CGROUP)) this.preexisting.add(DOCKER_CGROUP);
    writeFileSync(join(dir, "daemon.json"), "{}\n");
    const etcDocker = join(dir, "etc-docker");
    mkdirSync(etcDocker);
    if (!existsSync("/etc/docker")) {
      mkdirSync("/etc/docker");
      this.createdEtcDocker = true;
    }
    const log = openSync(join(dir, "dockerd.log"), "a");
    const q = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;
    const args = [
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--ip-masq=false",
        "--exec-opt",
        "native.cgroupdriver=cgroupfs",
        `--cgroup-parent=/${this.options.cgroupParent}`,
        `--data-root=${join(dir, "root")}`,
        `--exec-root=${join(dir, "exec")}`,
        `--pidfile=${join(dir, "dockerd.pid")}`,
        `--config-file=${join(dir, "daemon.json")}`,
        "-H",
      this.host,
    ];
    // /run a tmpfs: also keeps dockerd from using a machine-wide /run/containerd/containerd.sock
    const script = ["set -e", "mount -t tmpfs -o mode=755 tmpfs /run", `mount --bind ${q(etcDocker)} /etc/docker`, `exec dockerd ${args.map(q).join(" ")}`];
    // detached: its own session, so a signal to the test's process group does not reach it
    this.daemon = spawn("unshare", ["--mount", "--propagation", "private", "bash", "-c", script.join("\n")], {
      detached: true,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (existsSync(this.socket) && this.docker(["version"], true).status === 0) return;
      if (this.daemon.exitCode !== null || Date.now() > deadline) {
        throw new Error(`dockerd did not start:\n${readFileSync(join(dir, "dockerd.log"), "utf8")}`);
      }
      run("sleep", ["0.1"]);
    }
  }

  docker(args: readonly string[], allowFailure = false): RunResult {
    return run("docker", ["-H", this.host, ...args], { timeoutMs: 60_000, allowFailure });
  }

  /** Remove every container, stop dockerd by pid, end its containerd and shims, remove what it left. */
  destroy(): void {
    const namespacePids = this.daemon?.pid === undefined ? [] : pidsInMountNamespaceOf(this.daemon.pid);
    if (this.daemon?.pid !== undefined && this.daemon.exitCode === null) {
      const ids = this.docker(["ps", "-aq"], true).stdout.split("\n").filter((id) => id !== "");
      if (ids.length > 0) this.docker(["rm", "-f", ...ids], true);
      killPids([this.daemon.pid], "SIGTERM");
      if (!waitGone([this.daemon.pid], 15_000)) killPids([this.daemon.pid]);
    }
    // its containerd and the shims (re-parented to init) name our dir in their command lines
    const leftovers = [...namespacePids, ...pidsWithCommandLine(this.options.dir)];
    killPids(leftovers);
    waitGone(leftovers);
    removeCgroups(this.options.cgroupParent);
    if (!this.preexisting.has(DOCKER_CGROUP)) removeCgroups("docker");
    if (this.createdEtcDocker) rmdirSync("/etc/docker");
    rmSync(this.options.dir, { recursive: true, force: true });
  }
}
