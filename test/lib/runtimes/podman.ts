// podman (Debian's 4.3, CNI network backend: libcni inside) with everything of its own under one temp dir
// (configs, storage, state, cgroup parent) and its "host" network inside a throwaway namespace: each command
// runs as `nsenter --net=<host netns> podman ...`. Containers get their namespaces from podman itself.
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type HostNetns, pidsWithCommandLine, killPids, removeCgroups, run, type RunResult, waitGone } from "./common.js";

export interface PodmanOptions {
  /** temp dir owning everything podman writes */
  dir: string;
  hostNetns: HostNetns;
  /** CNI_PATH podman gives libcni */
  pluginDirs: readonly string[];
  /** the directory of network configs */
  networkConfigDir: string;
  /** cgroup parent name, removed at the end */
  cgroupParent: string;
}

/**
 * What podman writes outside its configured dirs, innermost first: its blob-info cache and libcni's result
 * cache dir (the files in it are removed by DEL). Removed at the end when they were not there before.
 */
const MACHINE_PATHS: readonly string[] = [
  "/var/lib/containers/cache/blob-info-cache-v1.boltdb",
  "/var/lib/containers/cache",
  "/var/lib/containers",
  "/var/lib/cni/results",
  "/var/lib/cni",
];

export class Podman {
  private readonly env: NodeJS.ProcessEnv;
  private readonly preexisting = new Set<string>();

  constructor(private readonly options: PodmanOptions) {
    const { dir } = options;
    for (const path of MACHINE_PATHS) if (existsSync(path)) this.preexisting.add(path);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "containers.conf");
    const storage = join(dir, "storage.conf");
    const quote = (s: string): string => JSON.stringify(s);
    writeFileSync(
      conf,
      [
        "[containers]",
        'log_driver = "k8s-file"',
        // runc refuses podman's rootful defaults (nofile 1048576, nproc 4194304) above the hard limits here
        'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
        "[network]",
        'network_backend = "cni"',
        `cni_plugin_dirs = [${options.pluginDirs.map(quote).join(", ")}]`,
        `network_config_dir = ${quote(options.networkConfigDir)}`,
        "[engine]",
        'cgroup_manager = "cgroupfs"',
        'events_logger = "none"',
        'runtime = "runc"',
        `static_dir = ${quote(join(dir, "libpod"))}`,
        `tmp_dir = ${quote(join(dir, "run/libpod"))}`,
        `volume_path = ${quote(join(dir, "volumes"))}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      storage,
      ["[storage]", 'driver = "vfs"', `graphroot = ${quote(join(dir, "storage"))}`, `runroot = ${quote(join(dir, "run/storage"))}`, ""].join("\n"),
    );
    this.env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
  }

  /** `podman ARGS...` with its network side in the host namespace. */
  podman(args: readonly string[], allowFailure = false): RunResult {
    return run("nsenter", [`--net=${this.options.hostNetns.path}`, "podman", ...args], {
      env: this.env,
      timeoutMs: 60_000,
      allowFailure,
    });
  }

  importImage(tar: string, name: string): void {
    this.podman(["import", "-q", tar, name]);
  }

  /** Start a detached container on `network`; returns its id. */
  runDetached(name: string, network: string, image: string, command: readonly string[]): string {
    const args = ["run", "-d", "--name", name, "--network", network, "--cgroup-parent", `/${this.options.cgroupParent}`];
    // busybox ping opens a raw socket
    args.push("--cap-add", "NET_RAW", image, ...command);
    return this.podman(args).stdout.trim();
  }

  ipAddress(name: string, network: string): string {
    return this.podman(["inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name]).stdout.trim();
  }

  /** Remove every container and the state podman keeps; kill anything of ours left; remove the dir. */
  destroy(): void {
    this.podman(["rm", "-a", "-f", "-t", "0"], true);
    // conmon and container processes name our dir in their command lines
    const leftovers = pidsWithCommandLine(this.options.dir);
    killPids(leftovers);
    waitGone(leftovers);
    run("umount", ["-R", "-l", this.options.dir], { allowFailure: true });
    removeCgroups(this.options.cgroupParent);
    rmSync(this.options.dir, { recursive: true, force: true });
    for (const path of MACHINE_PATHS) {
      if (this.preexisting.has(path) || !existsSync(path)) continue;
      if (path.endsWith(".boltdb")) rmSync(path, { force: true });
      else if (readdirSync(path).length === 0) rmdirSync(path);
    }
  }
}
