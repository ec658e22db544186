// A node's container runtime, for the whole-node rows: started by bench/lib/node-runtime.ts inside the
// node's network namespace, it runs the node's networks through @cni/libcni's go-cni facade (ADD in order,
// DEL in reverse with the cached result, GC) as containerd does, and answers each request of its stdin with
// one JSON line (protocol in bench/lib/node-runtime.ts). Requests run concurrently; the answer names its seq.
//
//   node_modules/.bin/bun bench/node-runtime.ts SPEC.json      (inside the node: ip netns exec NODE ...)
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Cni, CniConfig, confListFromBytes, type NetworkPluginError } from "@cni/libcni";
import type { NodeAnswer, NodeRequest, NodeRuntimeSpec } from "./lib/node-runtime";

const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as NodeRuntimeSpec;
const options = { path: [spec.pluginDir], cacheDir: spec.cacheDir, stderr: (): void => undefined };
const pods = new Cni(options);
for (const network of spec.networks) pods.add(confListFromBytes(network));
const cni = new CniConfig(options);

async function handle(request: NodeRequest): Promise<Omit<NodeAnswer, "seq" | "ms">> {
  switch (request.op) {
    case "add": {
      const result = await pods.setup(request.id, request.netns, request);
      const interfaces: Record<string, string[]> = {};
      for (const [name, iface] of Object.entries(result.interfaces)) interfaces[name] = iface.ipConfigs.map((c) => c.ip);
      return { interfaces };
    }
    case "del":
      await pods.remove(request.id, request.netns, request);
      return {};
    case "gc":
      for (const network of pods.loaded) {
        await cni.gcNetworkList(network.config, request.keep.map((containerId) => ({ containerId, ifName: network.ifName })));
      }
      return {};
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const request = JSON.parse(line) as NodeRequest & { seq: number };
  const started = performance.now();
  const answer = (fields: Omit<NodeAnswer, "seq" | "ms">): void => {
    process.stdout.write(`${JSON.stringify({ seq: request.seq, ms: performance.now() - started, ...fields })}\n`);
  };
  handle(request).then(answer, (thrown: Error | NetworkPluginError) => answer({ error: thrown.message }));
});
