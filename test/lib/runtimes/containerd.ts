// containerd (Debian's 1.6) driven by `ctr run --cni` (go-cni inside). go-cni reads only /etc/cni/net.d and
// /opt/cni/bin (Debian adds /usr/lib/cni), so containerd runs in a private mount namespace where those, plus
// /var/lib/cni and /run/containerd, are bind mounts of temp dirs, and in a throwaway network namespace as its
// host. Every ctr runs inside both namespaces (`nsenter -t <containerd> -m -n`): go-cni runs in ctr itself.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type HostNetns,
  killPids,
  pidsInMountNamespaceOf,
  removeCgroups,
  run,
  type RunResult,
  waitGone,
} from "./common.js";

export interface ContainerdOptions {
  dir: string;
  hostNetns: HostNetns;
  /** becomes /etc/cni/net.d inside */
  netConfDir: string;
  /** becomes /opt/cni/bin inside */
  pluginDir: string;
  /** the containerd namespace, also the cgroup parent ctr uses (removed at the end) */
  namespace: string;
}

export class Containerd {
  private daemon: ChildProcess | undefined;
  private readonly socket: string;
  private readonly foreground = new Map<string, ChildProcess>();
  /** mount points this harness had to create on the machine (removed again when empty) */
  private readonly createdMountPoints: string[] = [];

  constructor(private readonly options: ContainerdOptions) {
    this.socket = join(options.dir, "containerd.sock");
  }

  get varLibCni(): string {
    return join(this.options.dir, "var-lib-cni");
  }

  /** Start containerd and wait (bounded) for its socket. */
  start(): void {
    const { dir } = this.options;
    const runContainerd = join(dir, "run-containerd");
    for (const sub of [this.varLibCni, runContainerd, join(dir, "root"), join(dir, "state")]) mkdirSync(sub, { recursive: true });
    const config = join(dir, "config.toml");
    writeFileSync(
      config,
      [
        "version = 2",
        `root = ${JSON.stringify(join(dir, "root"))}`,
        `state = ${JSON.stringify(join(dir, "state"))}`,
        // the CRI plugin would load CNI configs and start its own networking: not wanted here
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        `  address = ${JSON.stringify(this.socket)}`,
        "",
      ].join("\n"),
    );
    const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
    const script = [
      "set -e",
      `mount --bind ${q(this.options.netConfDir)} /etc/cni/net.d`,
      `mount --bind ${q(this.options.pluginDir)} /opt/cni/bin`,
      `mount --bind ${q(this.varLibCni)} /var/lib/cni`,
      `mount --bind ${q(runContainerd)} /run/containerd`,
      `exec nsenter --net=${q(this.options.hostNetns.path)} containerd --config ${q(config)}`,
    ].join("\n");
    for (const mountPoint of ["/etc/cni", "/etc/cni/net.d", "/opt/cni", "/opt/cni/bin", "/var/lib/cni", "/run/containerd"]) {
      if (existsSync(mountPoint)) continue;
      mkdirSync(mountPoint);
      this.createdMountPoints.unshift(mountPoint);
    }
    const log = openSync(join(dir, "containerd.log"), "a");
    // detached: its own session, so a signal to the test's process group does not reach it
    this.daemon = spawn("unshare", ["--mount", "--propagation", "private", "bash", "-c", script], {
      detached: true,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    const deadline = Date.now() + 15_000;
    while (!existsSync(this.socket)) {
      if (this.daemon.exitCode !== null || Date.now() > deadline) {
        throw new Error(`containerd did not start:\n${readFileSync(join(dir, "containerd.log"), "utf8")}`);
      }
      run("sleep", ["0.05"]);
    }
  }

  private get pid(): number {
    const pid = this.daemon?.pid;
    if (pid === undefined) throw new Error("containerd is not running");
    return pid;
  }

  private ctrArgs(args: readonly string[]): string[] {
    return ["-t", String(this.pid), "-m", "-n", "ctr", "--address", this.socket, "-n", this.options.namespace, ...args];
  }

  ctr(args: readonly string[], allowFailure = false): RunResult {
    return run("nsenter", this.ctrArgs(args), { timeoutMs: 60_000, allowFailure });
  }

  /**
   * `ctr run --rm --cni` in the foreground, as a person runs it: go-cni ADDs before the task starts and, when
   * the task exits, DELs (with an empty netns, the task being gone) and removes the container.
   */
  runForeground(id: string, rootfs: string, command: readonly string[]): void {
    const child = spawn("nsenter", this.ctrArgs(["run", "--rm", "--cni", "--rootfs", rootfs, id, ...command]), {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", () => {
      if (stderr !== "") process.stderr.write(`ctr run ${id}: ${stderr}`);
    });
    this.foreground.set(id, child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const tasks = this.ctr(["task", "ls"], true).stdout;
      if (new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, "m").test(tasks)) return;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`ctr run ${id} did not start: ${stderr}`);
      run("sleep", ["0.05"]);
    }
  }

  /** Kill the task and wait (bounded) until its foreground `ctr run --rm` has cleaned up and exited. */
  async stopForeground(id: string): Promise<number | null> {
    const child = this.foreground.get(id);
    if (!child) throw new Error(`no foreground ctr run ${id}`);
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.on("exit", (code) => resolve(code));
    });
    this.ctr(["task", "kill", "-s", "SIGKILL", id], true);
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000).unref());
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === "timeout") throw new Error(`ctr run ${id} did not exit after its task was killed`);
    this.foreground.delete(id);
    return outcome;
  }

  /** End every process of the private mount namespace (containerd, shims, tasks, ctr) and remove the state. */
  destroy(): void {
    const pid = this.daemon?.pid;
    if (pid !== undefined) {
      const pids = pidsInMountNamespaceOf(pid);
      killPids(pids);
      waitGone(pids);
    }
    for (const child of this.foreground.values()) child.kill("SIGKILL");
    removeCgroups(this.options.namespace);
    rmSync(this.options.dir, { recursive: true, force: true });
    // dockerd's containerd (the docker-run test, maybe running meanwhile) puts shim sockets in /run/containerd/s
    const mountPoints = [...this.createdMountPoints];
    if (mountPoints.includes("/run/containerd")) mountPoints.unshift("/run/containerd/s");
    for (const mountPoint of mountPoints) {
      try {
        rmdirSync(mountPoint);
      } catch {
        // something else was put there meanwhile: not ours to remove
      }
    }
  }
}
