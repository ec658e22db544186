// Which part of the executable each invoked name runs. bin/cni-plugins embeds one bundle per chunk
// (src/chunks/<chunk>.ts, built to <chunk>.cjs beside main.cjs) and main.ts loads only the one the invoked
// name needs: a call pays the start-up of its own plugin's code, not of every plugin's (each call is a
// fresh process, and loading a bundle costs in proportion to its size). This file is read by main.ts
// before anything else, so it imports nothing.

/** Invoked name to the chunk that runs it. A chunk may hold more than its own plugin: bridge and veth
 * hold host-local, so their IPAM call runs in-process (one process per ADD, as before the split). */
export const CHUNK_OF: ReadonlyMap<string, string> = new Map<string, string>([
  ["bridge", "bridge"],
  ["cnitool", "cnitool"],
  ["firewall", "firewall"],
  ["host-local", "host-local"],
  ["loopback", "loopback"],
  ["portmap", "portmap"],
  ["ptp", "veth"],
  ["tuning", "tuning"],
  ["veth", "veth"],
]);

/** The chunk holding every plugin and command: `cni-plugins --list`, `--help` and names that are none. */
export const WHOLE_REGISTRY_CHUNK = "all";

/** The chunk an invocation by `name` loads. */
export function chunkOf(name: string): string {
  return CHUNK_OF.get(name) ?? WHOLE_REGISTRY_CHUNK;
}
