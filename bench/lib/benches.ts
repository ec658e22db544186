// The benchmarks behind REPORT.md's rows. A benchmark = the rows it yields, the executables it needs,
// its set-up (namespaces, files), and the calls one side makes in one round; the harness interleaves the
// sides and times every call through the native runner. Adding a row for a new plugin is one entry here.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Implementation, PlanCall, RoundBuilder } from "./plan";

export interface BenchContext {
  /** Directory holding our executables (bin/) and the Go ones (/usr/lib/cni). */
  binDir: Readonly<Record<Implementation, string>>;
  /** The empty compiled Bun executable (build.sh's flags): the floor under any of ours. */
  floorBinary: string;
  /** A throwaway directory for this benchmark's files, removed afterwards. */
  workDir: string;
  /** Creates a throwaway network namespace (removed at the end of the run); returns its path. */
  createNetns(name: string): string;
}

/** Untimed calls that bring each side to the state its rounds start from (e.g. pods already on a node). */
export interface BenchSetup {
  /** What the set-up does, for the report's set-up table (e.g. "400 pods per side, one bridge ADD each"). */
  what: string;
  calls: Readonly<Record<Implementation, readonly PlanCall[]>>;
}

export interface BenchSession {
  /** Run before the rounds, each side's calls by themselves; the harness times each side's set-up. */
  setup?: BenchSetup;
  build: RoundBuilder;
  /** Undoes what the rounds left behind (namespaces and workDir are removed by the harness anyway). */
  teardown?: () => void;
}

export interface Bench {
  /** Short id, for `--only` and progress lines. */
  id: string;
  /** The rows this benchmark yields, in report order. */
  rows: readonly string[];
  /** Rows where process start-up dominates: the report shows page faults beside their times. */
  startupBound?: boolean;
  /** Plugin executables (by name) each side needs; a missing one leaves the rows listed as pending. */
  plugins: Readonly<Record<Implementation, readonly string[]>>;
  /** Rounds to run given the run's default (slow rows run fewer). */
  rounds(defaultRounds: number): number;
  /** Warm-up rounds given the run's default (default: the same). */
  warmup?(defaultWarmup: number): number;
  prepare(context: BenchContext): BenchSession;
}

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment a runtime gives a plugin call. */
export function cniEnv(
  command: string,
  containerId: string,
  netnsPath: string,
  cniPath: string,
  ifname = "eth0",
): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: netnsPath,
    CNI_IFNAME: ifname,
    CNI_PATH: cniPath,
    PATH: PATH_ENV,
  };
}

function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

// --- VERSION: start-up alone ------------------------------------------------------------------------

const versionBench: Bench = {
  id: "version",
  rows: ["VERSION (start-up alone)", "VERSION, empty Bun executable (floor)"],
  startupBound: true,
  plugins: { ours: ["loopback"], go: ["loopback"] },
  rounds: (n) => n,
  prepare(context) {
    const env = { CNI_COMMAND: "VERSION", PATH: PATH_ENV };
    return {
      build(implementation) {
        const calls: PlanCall[] = [
          { row: "VERSION (start-up alone)", plugin: "loopback", argv: [join(context.binDir[implementation], "loopback")], env },
        ];
        // the floor belongs to our side: what any compiled Bun program costs before our code runs
        if (implementation === "ours") {
          calls.push({ row: "VERSION, empty Bun executable (floor)", plugin: "(floor: empty Bun executable)", argv: [context.floorBinary], env });
        }
        return calls;
      },
    };
  },
};

// --- loopback ----------------------------------------------------------------------------------------

const loopbackBench: Bench = {
  id: "loopback",
  rows: ["loopback ADD", "loopback DEL"],
  startupBound: true,
  plugins: { ours: ["loopback"], go: ["loopback"] },
  rounds: (n) => n,
  prepare(context) {
    const config = writeConfig(context.workDir, "loopback.json", { cniVersion: "1.0.0", name: "bench-lo", type: "loopback" });
    // one container namespace per side, so neither sees the other's state
    const containers = { ours: context.createNetns("lo-ours"), go: context.createNetns("lo-go") };
    return {
      build(implementation, round) {
        const plugin = join(context.binDir[implementation], "loopback");
        const id = `bench-lo-${round}`;
        const netns = containers[implementation];
        const cniPath = context.binDir[implementation];
        return [
          { row: "loopback ADD", plugin: "loopback", argv: [plugin], env: cniEnv("ADD", id, netns, cniPath), stdinPath: config },
          { row: "loopback DEL", plugin: "loopback", argv: [plugin], env: cniEnv("DEL", id, netns, cniPath), stdinPath: config },
        ];
      },
    };
  },
};

// --- host-local at 0, 5,000, 60,000 leases ---------------------------------------------------------

const HOST_LOCAL_NETWORK = "hlbench";
const HOST_LOCAL_SUBNET = "10.128.0.0/16"; // .0.1 is the gateway; 65,533 allocatable addresses
const HOST_LOCAL_HOSTS = 65536 - 3;

/** The index-th allocatable address of 10.128.0.0/16, skipping the gateway. */
function hostAddress(index: number): string {
  const n = index + 2;
  return `10.128.${n >> 8}.${n & 0xff}`;
}

/** A small seeded PRNG, so every run and both sides get the same lease layout. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A store holding `count` leases at random addresses, written as the Go plugin writes them
 * (`<dataDir>/<network>/<ip>` = `id\r\nifname`, plus `last_reserved_ip.0`), so allocation has to skip
 * taken addresses as on a busy node.
 */
export function writeLeaseStore(dataDir: string, count: number): void {
  const dir = join(dataDir, HOST_LOCAL_NETWORK);
  mkdirSync(dir, { recursive: true });
  const random = mulberry32(42);
  const indexes = new Uint32Array(HOST_LOCAL_HOSTS);
  for (let i = 0; i < HOST_LOCAL_HOSTS; i++) indexes[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (HOST_LOCAL_HOSTS - i));
    const t = indexes[i]!;
    indexes[i] = indexes[j]!;
    indexes[j] = t;
  }
  for (let i = 0; i < count; i++) writeFileSync(join(dir, hostAddress(indexes[i]!)), `pre${i}\r\neth0`, { mode: 0o600 });
  if (count > 0) writeFileSync(join(dir, "last_reserved_ip.0"), hostAddress(indexes[count - 1]!), { mode: 0o600 });
}

function hostLocalBench(leases: number, rounds: (n: number) => number, warmup?: (n: number) => number): Bench {
  const label = leases === 0 ? "empty store" : `${leases.toLocaleString("en-US")} leases`;
  const addRow = `host-local ADD, ${label}`;
  const delRow = `host-local DEL, ${label}`;
  return {
    id: `host-local-${leases}`,
    rows: [addRow, delRow],
    startupBound: leases === 0,
    plugins: { ours: ["host-local"], go: ["host-local"] },
    rounds,
    ...(warmup === undefined ? {} : { warmup }),
    prepare(context) {
      // one store per side with the same leases: each side keeps its steady state (ours keeps an index
      // that a change by the Go plugin would make it rebuild, a one-off cost not measured here)
      const netns = context.createNetns(`hl${leases}`);
      const configs = {} as Record<Implementation, string>;
      for (const implementation of ["ours", "go"] as const) {
        const dataDir = join(context.workDir, `store-${implementation}`);
        writeLeaseStore(dataDir, leases);
        configs[implementation] = writeConfig(context.workDir, `host-local-${implementation}.json`, {
          cniVersion: "1.0.0",
          name: HOST_LOCAL_NETWORK,
          type: "bridge",
          ipam: { type: "host-local", subnet: HOST_LOCAL_SUBNET, dataDir },
        });
      }
      return {
        build(implementation, round) {
          const plugin = join(context.binDir[implementation], "host-local");
          const id = `bench-hl-${round}`;
          const cniPath = context.binDir[implementation];
          const stdinPath = configs[implementation];
          return [
            { row: addRow, plugin: "host-local", argv: [plugin], env: cniEnv("ADD", id, netns, cniPath), stdinPath },
            { row: delRow, plugin: "host-local", argv: [plugin], env: cniEnv("DEL", id, netns, cniPath), stdinPath },
          ];
        },
      };
    },
  };
}

// --- bridge + host-local, veth vs ptp, concurrency, a pod's life ---------------------------------------
// These rows appear as soon as bin/bridge and bin/veth exist (until then the report lists them as pending).

/** How a bridge config asks for masquerading ("default": ipMasq without a backend). Go 1.1.1 knows no
 * ipMasqBackend: it always uses iptables. */
type Masquerade = "off" | "default" | "nftables" | "iptables";

/** Per side: a subnet of its own, so both sides' bridges and rules can live in the one host namespace. */
const SIDE_SUBNET: Readonly<Record<Implementation, { v4: string; v6: string }>> = {
  ours: { v4: "10.129.0.0/16", v6: "fd00:129::/64" },
  go: { v4: "10.130.0.0/16", v6: "fd00:130::/64" },
};

function bridgeConfig(implementation: Implementation, dataDir: string, masquerade: Masquerade): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: `bench-br-${implementation}`,
    type: "bridge",
    bridge: `cbr-${implementation}`,
    isGateway: true,
    ipMasq: masquerade !== "off",
    ...(masquerade === "off" || masquerade === "default" ? {} : { ipMasqBackend: masquerade }),
    ipam: { type: "host-local", ranges: [[{ subnet: SIDE_SUBNET[implementation].v4 }]], dataDir },
  };
}

const MASQUERADE_LABEL: Readonly<Record<Masquerade, string>> = {
  off: "ipMasq off",
  default: "ipMasq on",
  nftables: "ipMasq on (nftables; Go: iptables)",
  iptables: "ipMasq on (iptables)",
};

/** A container namespace per side, reused round after round (each DEL removes what its ADD made). */
function perSideNetns(context: BenchContext, name: string): Record<Implementation, string> {
  return { ours: context.createNetns(`${name}-ours`), go: context.createNetns(`${name}-go`) };
}

function bridgeBench(masquerade: Masquerade): Bench {
  const addRow = `bridge + host-local ADD, ${MASQUERADE_LABEL[masquerade]}`;
  const delRow = `bridge + host-local DEL, ${MASQUERADE_LABEL[masquerade]}`;
  return {
    id: `bridge-${masquerade === "off" ? "nomasq" : masquerade}`,
    rows: [addRow, delRow],
    plugins: { ours: ["bridge", "host-local"], go: ["bridge", "host-local"] },
    rounds: (n) => n,
    prepare(context) {
      const containers = perSideNetns(context, "ctr");
      const configs = {} as Record<Implementation, string>;
      for (const side of ["ours", "go"] as const) {
        configs[side] = writeConfig(context.workDir, `bridge-${side}.json`, bridgeConfig(side, join(context.workDir, `ipam-${side}`), masquerade));
      }
      return {
        build(implementation, round) {
          const argv = [join(context.binDir[implementation], "bridge")];
          const env = (verb: string): Record<string, string> =>
            cniEnv(verb, `bench-br-${round}`, containers[implementation], context.binDir[implementation]);
          const stdinPath = configs[implementation];
          return [
            { row: addRow, plugin: "bridge", argv, env: env("ADD"), stdinPath, key: `${implementation}-br` },
            { row: delRow, plugin: "bridge", argv, env: env("DEL"), stdinPath, prevResultOf: `${implementation}-br` },
          ];
        },
      };
    },
  };
}

/** ours' veth against the Go plugin that does its job, ptp; IPv4 alone or dual stack. */
function vethBench(dualStack: boolean): Bench {
  const family = dualStack ? "dual stack" : "IPv4";
  const addRow = `veth (Go: ptp) + host-local ADD, ${family}`;
  const delRow = `veth (Go: ptp) + host-local DEL, ${family}`;
  return {
    id: dualStack ? "veth-dual" : "veth-v4",
    rows: [addRow, delRow],
    plugins: { ours: ["veth", "host-local"], go: ["ptp", "host-local"] },
    // ptp with an IPv6 range waits 1.5–2 s for duplicate address detection in each ADD
    rounds: (n) => (dualStack ? Math.max(10, Math.ceil(n / 10)) : n),
    ...(dualStack ? { warmup: (n: number) => Math.min(n, 1) } : {}),
    prepare(context) {
      const containers = perSideNetns(context, "ctr");
      const configs = {} as Record<Implementation, string>;
      for (const side of ["ours", "go"] as const) {
        const ranges: Array<Array<{ subnet: string }>> = [[{ subnet: SIDE_SUBNET[side].v4 }]];
        if (dualStack) ranges.push([{ subnet: SIDE_SUBNET[side].v6 }]);
        configs[side] = writeConfig(context.workDir, `veth-${side}.json`, {
          cniVersion: "1.0.0",
          name: `bench-veth-${side}`,
          type: side === "ours" ? "veth" : "ptp",
          ipam: { type: "host-local", ranges, dataDir: join(context.workDir, `ipam-${side}`) },
        });
      }
      return {
        build(implementation, round) {
          const argv = [join(context.binDir[implementation], implementation === "ours" ? "veth" : "ptp")];
          const plugin = "veth (Go: ptp)"; // one line in the peak-RSS table
          const env = (verb: string): Record<string, string> =>
            cniEnv(verb, `bench-veth-${round}`, containers[implementation], context.binDir[implementation]);
          const stdinPath = configs[implementation];
          return [
            { row: addRow, plugin, argv, env: env("ADD"), stdinPath, key: `${implementation}-veth` },
            { row: delRow, plugin, argv, env: env("DEL"), stdinPath, prevResultOf: `${implementation}-veth` },
          ];
        },
      };
    },
  };
}

const CONCURRENT_ADDS = 20;

/** 20 bridge ADDs started at once (as a node starting 20 pods): wall time until the last one is done. */
const concurrentBridgeBench: Bench = {
  id: "bridge-concurrent",
  rows: [`${CONCURRENT_ADDS} concurrent bridge + host-local ADDs (wall)`],
  plugins: { ours: ["bridge", "host-local"], go: ["bridge", "host-local"] },
  rounds: (n) => Math.max(10, Math.ceil(n / 5)),
  warmup: (n) => Math.min(n, 1),
  prepare(context) {
    const configs = {} as Record<Implementation, string>;
    for (const side of ["ours", "go"] as const) {
      configs[side] = writeConfig(context.workDir, `bridge-${side}.json`, bridgeConfig(side, join(context.workDir, `ipam-${side}`), "off"));
    }
    // one container namespace per copy: `{i}` in CNI_NETNS becomes the copy number (runner's `parallel`)
    const patterns = {} as Record<Implementation, string>;
    for (const side of ["ours", "go"] as const) {
      const first = context.createNetns(`ctr-${side}-0`);
      for (let i = 1; i < CONCURRENT_ADDS; i++) context.createNetns(`ctr-${side}-${i}`);
      patterns[side] = `${first.slice(0, -1)}{i}`;
    }
    return {
      build(implementation, round) {
        const argv = [join(context.binDir[implementation], "bridge")];
        const env = (verb: string): Record<string, string> =>
          cniEnv(verb, `bench-cc-{i}-${round}`, patterns[implementation], context.binDir[implementation]);
        const stdinPath = configs[implementation];
        return [
          { row: `${CONCURRENT_ADDS} concurrent bridge + host-local ADDs (wall)`, plugin: "bridge", argv, env: env("ADD"), stdinPath, parallel: CONCURRENT_ADDS },
          { argv, env: env("DEL"), stdinPath, parallel: CONCURRENT_ADDS },
        ];
      },
    };
  },
};

/**
 * A pod's whole network life as containerd drives it: loopback ADD, bridge ADD with ipMasq, CHECK of both
 * with their results, DEL of both with their results (libcni's cache); one row, the calls' times summed.
 */
const podLifeBench: Bench = {
  id: "pod-life",
  rows: ["pod life: loopback + bridge (ipMasq) ADD, CHECK, DEL (6 calls)"],
  plugins: { ours: ["loopback", "bridge", "host-local"], go: ["loopback", "bridge", "host-local"] },
  rounds: (n) => n,
  prepare(context) {
    const containers = perSideNetns(context, "pod");
    const lo = writeConfig(context.workDir, "lo.json", { cniVersion: "1.0.0", name: "cni-loopback", type: "loopback" });
    const bridges = {} as Record<Implementation, string>;
    for (const side of ["ours", "go"] as const) {
      // ours masquerades with its default backend; Go 1.1.1 with iptables
      bridges[side] = writeConfig(context.workDir, `pod-bridge-${side}.json`, bridgeConfig(side, join(context.workDir, `ipam-${side}`), "default"));
    }
    const row = podLifeBench.rows[0]!;
    return {
      build(implementation, round) {
        const dir = context.binDir[implementation];
        const env = (verb: string, ifname: string): Record<string, string> =>
          cniEnv(verb, `bench-pod-${round}`, containers[implementation], dir, ifname);
        const loKey = `${implementation}-pod-lo`;
        const brKey = `${implementation}-pod-br`;
        const loArgv = [join(dir, "loopback")];
        const brArgv = [join(dir, "bridge")];
        const br = bridges[implementation];
        return [
          { row, plugin: "loopback", argv: loArgv, env: env("ADD", "lo"), stdinPath: lo, key: loKey },
          { row, plugin: "bridge", argv: brArgv, env: env("ADD", "eth0"), stdinPath: br, key: brKey },
          { row, plugin: "loopback", argv: loArgv, env: env("CHECK", "lo"), stdinPath: lo, prevResultOf: loKey },
          { row, plugin: "bridge", argv: brArgv, env: env("CHECK", "eth0"), stdinPath: br, prevResultOf: brKey },
          { row, plugin: "bridge", argv: brArgv, env: env("DEL", "eth0"), stdinPath: br, prevResultOf: brKey },
          { row, plugin: "loopback", argv: loArgv, env: env("DEL", "lo"), stdinPath: lo, prevResultOf: loKey },
        ];
      },
    };
  },
};

// --- podman's default network: bridge → portmap → firewall → tuning ---------------------------------

/**
 * The chain `podman network create` writes (cniVersion 0.4.0; bridge with gateway, masquerade and hairpin;
 * portmap with one published port; firewall with its backend unset; tuning with no options), run as libcni
 * runs it: ADD in order, each given the previous result, DEL in reverse with the final result. One sample
 * is the sum of the 4 calls. Go's firewall picks iptables (no firewalld here), ours too (iptables is there).
 */
const podmanChainBench: Bench = {
  id: "podman-chain",
  rows: ["podman's default chain ADD: bridge, portmap, firewall, tuning (4 calls)", "podman's default chain DEL (4 calls)"],
  plugins: { ours: ["bridge", "host-local", "portmap", "firewall", "tuning"], go: ["bridge", "host-local", "portmap", "firewall", "tuning"] },
  rounds: (n) => Math.max(10, Math.ceil(n / 2)),
  prepare(context) {
    const containers = perSideNetns(context, "podman");
    const configs = {} as Record<Implementation, Array<{ plugin: string; path: string }>>;
    for (const [side, hostPort] of [["ours", 22000], ["go", 22001]] as const) {
      const network = { cniVersion: "0.4.0", name: `bench-podman-${side}` };
      const plugins: Array<Record<string, unknown>> = [
        { ...bridgeConfig(side, join(context.workDir, `podman-ipam-${side}`), "default"), ...network, hairpinMode: true },
        { ...network, type: "portmap", runtimeConfig: { portMappings: [{ hostPort, containerPort: 80, protocol: "tcp" }] } },
        { ...network, type: "firewall", backend: "" },
        { ...network, type: "tuning" },
      ];
      configs[side] = plugins.map((conf) => ({ plugin: String(conf.type), path: writeConfig(context.workDir, `podman-${side}-${String(conf.type)}.json`, conf) }));
    }
    const [addRow, delRow] = podmanChainBench.rows as [string, string];
    return {
      build(implementation, round) {
        const dir = context.binDir[implementation];
        const env = (verb: string): Record<string, string> => cniEnv(verb, `bench-podman-${round}`, containers[implementation], dir);
        const key = (plugin: string): string => `${implementation}-podman-${plugin}`;
        const chain = configs[implementation];
        const calls: PlanCall[] = [];
        let previous: string | undefined;
        for (const { plugin, path } of chain) {
          calls.push({ row: addRow, plugin, argv: [join(dir, plugin)], env: env("ADD"), stdinPath: path, key: key(plugin), ...(previous === undefined ? {} : { prevResultOf: previous }) });
          previous = key(plugin);
        }
        for (const { plugin, path } of [...chain].reverse()) {
          calls.push({ row: delRow, plugin, argv: [join(dir, plugin)], env: env("DEL"), stdinPath: path, prevResultOf: key("tuning") });
        }
        return calls;
      },
    };
  },
};

// --- pods per node: ADD and DEL of one more pod on a node that already holds N -------------------------

/**
 * Each side gets a node of its own (a host namespace: its bridge, its firewall rules, its host-local
 * store) on which set-up starts `pods` pods with that side's own bridge plugin, each in its own container
 * namespace, untimed. A round then ADDs pod N+1 and DELs it, so every round finds the node holding N.
 * With ipMasq, Go's iptables chain per pod piles up; ours masquerades with nftables.
 */
export function podsPerNodeBench(pods: number, masquerade: "off" | "nftables", rounds: (n: number) => number): Bench {
  const label = `${pods} pods on the node, ${MASQUERADE_LABEL[masquerade]}`;
  const addRow = `bridge + host-local ADD, ${label}`;
  const delRow = `bridge + host-local DEL, ${label}`;
  return {
    id: `pods-${pods}-${masquerade === "off" ? "nomasq" : "masq"}`,
    rows: [addRow, delRow],
    plugins: { ours: ["bridge", "host-local"], go: ["bridge", "host-local"] },
    rounds,
    warmup: (n) => Math.min(n, 2),
    prepare(context) {
      const nodes = perSideNetns(context, "node");
      const containers = perSideNetns(context, "ctr");
      const configs = {} as Record<Implementation, string>;
      const setup = {} as Record<Implementation, PlanCall[]>;
      for (const side of ["ours", "go"] as const) {
        configs[side] = writeConfig(context.workDir, `bridge-${side}.json`, bridgeConfig(side, join(context.workDir, `ipam-${side}`), masquerade));
        const argv = [join(context.binDir[side], "bridge")];
        setup[side] = [];
        for (let pod = 0; pod < pods; pod++) {
          const netns = context.createNetns(`pod-${side}-${pod}`);
          setup[side].push({ argv, env: cniEnv("ADD", `bench-node-pod-${pod}`, netns, context.binDir[side]), stdinPath: configs[side], hostNetns: nodes[side] });
        }
      }
      return {
        ...(pods === 0 ? {} : { setup: { what: `${pods} pods per side, one bridge ADD each`, calls: setup } }),
        build(implementation, round) {
          const argv = [join(context.binDir[implementation], "bridge")];
          const env = (verb: string): Record<string, string> =>
            cniEnv(verb, `bench-node-${round}`, containers[implementation], context.binDir[implementation]);
          const stdinPath = configs[implementation];
          const hostNetns = nodes[implementation];
          return [
            { row: addRow, plugin: "bridge", argv, env: env("ADD"), stdinPath, key: `${implementation}-node`, hostNetns },
            { row: delRow, plugin: "bridge", argv, env: env("DEL"), stdinPath, prevResultOf: `${implementation}-node`, hostNetns },
          ];
        },
      };
    },
  };
}

/**
 * portmap chained after bridge (no masquerade), 4 mappings (tcp and udp, one with a hostIP): the portmap
 * ADD and DEL timed, the bridge calls around them untimed. Ours writes nftables over netlink; Go 1.1.1 runs
 * iptables. Each side maps its own host ports.
 */
const portmapBench: Bench = {
  id: "portmap",
  rows: ["portmap ADD (after bridge), 4 mappings", "portmap DEL, 4 mappings"],
  plugins: { ours: ["bridge", "host-local", "portmap"], go: ["bridge", "host-local", "portmap"] },
  rounds: (n) => n,
  prepare(context) {
    const containers = perSideNetns(context, "pm");
    const bridges = {} as Record<Implementation, string>;
    const portmaps = {} as Record<Implementation, string>;
    for (const [side, base] of [["ours", 20000], ["go", 21000]] as const) {
      bridges[side] = writeConfig(context.workDir, `pm-bridge-${side}.json`, bridgeConfig(side, join(context.workDir, `ipam-${side}`), "off"));
      const portMappings = [
        { hostPort: base, containerPort: 80, protocol: "tcp" },
        { hostPort: base + 1, containerPort: 443, protocol: "tcp" },
        { hostPort: base + 2, containerPort: 53, protocol: "udp" },
        { hostPort: base + 3, containerPort: 8080, protocol: "tcp", hostIP: "127.0.0.1" },
      ];
      portmaps[side] = writeConfig(context.workDir, `pm-${side}.json`, { cniVersion: "1.0.0", name: `bench-br-${side}`, type: "portmap", runtimeConfig: { portMappings } });
    }
    const [addRow, delRow] = portmapBench.rows as [string, string];
    return {
      build(implementation, round) {
        const dir = context.binDir[implementation];
        const env = (verb: string): Record<string, string> => cniEnv(verb, `bench-pm-${round}`, containers[implementation], dir);
        const brKey = `${implementation}-pm-br`;
        const bridge = { plugin: "bridge", argv: [join(dir, "bridge")], stdinPath: bridges[implementation] };
        const portmap = { plugin: "portmap", argv: [join(dir, "portmap")], stdinPath: portmaps[implementation], prevResultOf: brKey };
        return [
          { ...bridge, env: env("ADD"), key: brKey },
          { ...portmap, row: addRow, env: env("ADD") },
          { ...portmap, row: delRow, env: env("DEL") },
          { ...bridge, env: env("DEL"), prevResultOf: brKey },
        ];
      },
    };
  },
};

/** Every benchmark, in report order. */
export const BENCHES: readonly Bench[] = [
  versionBench,
  loopbackBench,
  hostLocalBench(0, (n) => n),
  hostLocalBench(5000, (n) => Math.max(10, Math.ceil(n / 2))),
  // Go reads all 60,000 lease files twice per ADD (~0.7 s a call): fewer rounds
  hostLocalBench(
    60000,
    (n) => Math.max(10, Math.ceil(n / 10)),
    (n) => Math.min(n, 2),
  ),
  bridgeBench("off"),
  bridgeBench("nftables"),
  bridgeBench("iptables"),
  vethBench(false),
  vethBench(true),
  podLifeBench,
  podmanChainBench,
  // fewer rounds as the node fills: each set-up and each call costs more
  ...(["off", "nftables"] as const).flatMap((masquerade) => [
    podsPerNodeBench(0, masquerade, (n) => Math.max(10, Math.ceil(n / 2))),
    podsPerNodeBench(100, masquerade, (n) => Math.max(10, Math.ceil(n / 4))),
    podsPerNodeBench(400, masquerade, (n) => Math.max(10, Math.ceil(n / 5))),
  ]),
  portmapBench,
  // last: its 20 processes at once lift the load average, which the quiet-machine gate samples before each
  // benchmark (bench/lib/load.ts)
  concurrentBridgeBench,
];
