// host-local ADD/DEL latency, ours (bin/host-local) against Go (/usr/lib/cni/host-local), side by side
// in one run on the same data-dir state, with 0 / 5,000 / 60,000 leases already in a /16.
//
//   node_modules/.bin/bun bench/host-local.ts [--iterations 20] [--sizes 0,5000,60000] [--ours PATH] [--go PATH]
//
// Leases are pre-created directly in the Go store format (`<dataDir>/<net>/<ip>` = `id\r\nifname`) at
// random addresses, so both implementations must skip taken addresses, as on a busy node. Each
// iteration ADDs a fresh container id and then DELs it (timed separately: wall time around spawnSync),
// so every iteration starts from the same lease set. Per size: Go's block, then ours'; each block starts
// with 2 untimed warm-up iterations; ours' first (cold) ADD after Go touched the store is reported apart.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NETWORK = "hlbench";
const SUBNET_PREFIX = "10.128"; // 10.128.0.0/16: .0.1 is the gateway, 10.128.255.255 the broadcast

interface Options {
  iterations: number;
  sizes: number[];
  ours: string;
  go: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    iterations: 20,
    sizes: [0, 5000, 60000],
    ours: join(REPO_ROOT, "bin", "host-local"),
    go: "/usr/lib/cni/host-local",
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    switch (argv[i]) {
      case "--iterations":
        options.iterations = Number(value);
        break;
      case "--sizes":
        options.sizes = value.split(",").map(Number);
        break;
      case "--ours":
        options.ours = value;
        break;
      case "--go":
        options.go = value;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
    i++;
  }
  for (const binary of [options.ours, options.go]) if (!existsSync(binary)) throw new Error(`${binary} missing`);
  return options;
}

/** Every allocatable host address of the /16 except the gateway (.0.1). */
function hostAddress(index: number): string {
  const n = index + 2;
  return `${SUBNET_PREFIX}.${n >> 8}.${n & 0xff}`;
}
const HOST_COUNT = 65536 - 3; // minus network, gateway, broadcast

/** A small deterministic PRNG, so every run places the leases the same way. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A store with `count` leases at random addresses, written the way Go writes them. */
function prepareStore(count: number): string {
  const dataDir = mkdtempSync(join(tmpdir(), "hlb-bench-"));
  const dir = join(dataDir, NETWORK);
  mkdirSync(dir, { recursive: true });
  const random = mulberry32(42);
  const indexes = Array.from({ length: HOST_COUNT }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (HOST_COUNT - i));
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  for (let i = 0; i < count; i++) {
    writeFileSync(join(dir, hostAddress(indexes[i]!)), `pre${i}\r\neth0`, { mode: 0o600 });
  }
  if (count > 0) writeFileSync(join(dir, "last_reserved_ip.0"), hostAddress(indexes[count - 1]!), { mode: 0o600 });
  return dataDir;
}

function config(dataDir: string): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: NETWORK,
    type: "bridge",
    ipam: { type: "host-local", subnet: `${SUBNET_PREFIX}.0.0/16`, dataDir },
  });
}

/** Process start-up alone: VERSION reads no stdin and touches no store. */
function startupMedian(binary: string, iterations: number): number {
  const samples: number[] = [];
  for (let i = -2; i < iterations; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(binary, [], { env: { ...process.env, CNI_COMMAND: "VERSION" }, input: "", encoding: "utf8" });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${binary} VERSION failed: ${r.stdout} ${r.stderr}`);
    if (i >= 0) samples.push(elapsed);
  }
  return median(samples);
}

/** One plugin call with the runtime's environment, as a runtime makes it; returns wall milliseconds. */
function timedCall(binary: string, command: string, containerId: string, stdin: string): number {
  const env = {
    ...process.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/hlb-bench",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
    CNI_NETNS_OVERRIDE: "1",
  };
  const start = process.hrtime.bigint();
  const r = spawnSync(binary, [], { env, input: stdin, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${binary} ${command} ${containerId} failed: ${r.stdout} ${r.stderr}`);
  return ms;
}

interface Samples {
  add: number[];
  del: number[];
  coldAdd: number;
}

function measure(binary: string, tag: string, dataDir: string, iterations: number): Samples {
  const stdin = config(dataDir);
  const samples: Samples = { add: [], del: [], coldAdd: 0 };
  for (let i = -2; i < iterations; i++) {
    const id = `bench-${tag}-${i + 2}`;
    const addMs = timedCall(binary, "ADD", id, stdin);
    const delMs = timedCall(binary, "DEL", id, stdin);
    if (i === -2) samples.coldAdd = addMs;
    if (i < 0) continue;
    samples.add.push(addMs);
    samples.del.push(delMs);
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (v: number): string => v.toFixed(2);
const ratio = (v: number): string => `${v.toFixed(2)}x`;

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const rows: Array<{ size: number; go: Samples; ours: Samples }> = [];
  for (const size of options.sizes) {
    process.stderr.write(`preparing ${size} leases...\n`);
    const dataDir = prepareStore(size);
    try {
      process.stderr.write(`measuring go at ${size}...\n`);
      const go = measure(options.go, "go", dataDir, options.iterations);
      process.stderr.write(`measuring ours at ${size}...\n`);
      const ours = measure(options.ours, "ours", dataDir, options.iterations);
      rows.push({ size, go, ours });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const base = rows.find((r) => r.size === 0) ?? rows[0]!;
  const baseAdd = median(base.ours.add);
  const baseDel = median(base.ours.del);
  const header = [
    "leases",
    "go ADD",
    "ours ADD",
    "ours/go",
    "ours/ours@0",
    "go DEL",
    "ours DEL",
    "ours/go",
    "ours/ours@0",
    "ours cold ADD",
  ];
  const lines = rows.map((r) => {
    const [ga, oa, gd, od] = [median(r.go.add), median(r.ours.add), median(r.go.del), median(r.ours.del)];
    return [
      String(r.size),
      ms(ga),
      ms(oa),
      ratio(oa / ga),
      ratio(oa / baseAdd),
      ms(gd),
      ms(od),
      ratio(od / gd),
      ratio(od / baseDel),
      ms(r.ours.coldAdd),
    ];
  });
  console.log(`host-local: median wall ms per call, ${options.iterations} iterations per cell, /16 network`);
  console.log(`ours: ${options.ours}\ngo:   ${options.go}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const line of lines) console.log(`| ${line.join(" | ")} |`);
  const [goStart, oursStart] = [startupMedian(options.go, options.iterations), startupMedian(options.ours, options.iterations)];
  console.log(`\nprocess start-up alone (VERSION): go ${ms(goStart)} ms, ours ${ms(oursStart)} ms (${ratio(oursStart / goStart)})`);
}

main();
