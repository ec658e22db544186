// A node's container runtime for the whole-node rows (bench/lib/scale.ts): bench/node-runtime.ts runs
// inside the node's network namespace (`ip netns exec`, so the plugins it starts have that namespace as
// their host) and holds @cni/libcni's go-cni facade with the node's networks and result cache, as containerd
// does. The harness drives it over stdin/stdout, one JSON line per request and per answer, several requests
// in flight at once (a node starting pods in parallel). This module is the protocol and the harness's side.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { JsonObject } from "@cni/skel";

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAM = join(BENCH_DIR, "node-runtime.ts");
const BUN = join(BENCH_DIR, "..", "node_modules", ".bin", "bun");

/** What the runtime process is given (a JSON file named on its command line). */
export interface NodeRuntimeSpec {
  /** CNI_PATH: bin/ or /usr/lib/cni */
  pluginDir: string;
  /** libcni's cache directory (results/ below it) */
  cacheDir: string;
  /** The node's networks in attach order, each a conflist's JSON; a loopback-only one attaches as "lo". */
  networks: readonly string[];
}

/** A pod's options, as go-cni's NamespaceOpts: CNI_ARGS labels and capability arguments (runtimeConfig). */
export interface PodOptions {
  labels?: Readonly<Record<string, string>>;
  capabilities?: JsonObject;
}

export type NodeRequest =
  /** go-cni's Setup: every network ADDed in order */
  | ({ op: "add"; id: string; netns: string } & PodOptions)
  /** go-cni's Remove: every network DELed in reverse, with its cached result */
  | ({ op: "del"; id: string; netns: string } & PodOptions)
  /** GC of every network, keeping the attachments of these container ids */
  | { op: "gc"; keep: readonly string[] };

export interface NodeAnswer {
  seq: number;
  /** Wall time of the request in the runtime, from the first plugin's spawn to the last one's exit. */
  ms: number;
  /** Set when the request failed: libcni's error (plugin, command, CNI message). */
  error?: string;
  /** add: the pod's addresses (CIDR notation) by sandbox interface, every network's result (go-cni's Result) */
  interfaces?: Record<string, string[]>;
}

/** The harness's handle on one node's runtime process. */
export class NodeRuntime {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (answer: NodeAnswer) => void; reject: (error: Error) => void }>();
  private stderr = "";
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly node: string,
  ) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const answer = JSON.parse(line) as NodeAnswer;
      const waiter = this.pending.get(answer.seq);
      this.pending.delete(answer.seq);
      if (answer.error === undefined) waiter?.resolve(answer);
      else waiter?.reject(new Error(`node ${node}: ${answer.error}`));
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`node ${node}: runtime exited (${signal ?? code}) ${this.stderr.trim()}`);
      for (const waiter of this.pending.values()) waiter.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts the runtime in the namespace named `netnsName`; its spec is written to `specPath`. */
  static start(netnsName: string, spec: NodeRuntimeSpec, specPath: string): NodeRuntime {
    writeFileSync(specPath, JSON.stringify(spec));
    const child = spawn("ip", ["netns", "exec", netnsName, BUN, PROGRAM, specPath], { stdio: ["pipe", "pipe", "pipe"] });
    return new NodeRuntime(child, netnsName);
  }

  request(request: NodeRequest): Promise<NodeAnswer> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ seq, ...request })}\n`);
    });
  }

  /** Ends the runtime (closing its stdin) and waits for it to go. */
  close(): Promise<void> {
    if (this.exited !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.stdin!.end();
    });
  }
}
