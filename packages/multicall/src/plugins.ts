// The registry of the shipped executable. Plugins never import each other: this is the one place that
// knows them all. A new plugin is one line here; build.sh links bin/<name> for every name in it (a plugin
// may have two names: ptp is veth).
//
// The whole registry is what `cni-plugins --list` prints and the "all" chunk runs; a call by a plugin's
// name loads only that plugin's chunk (chunks.ts). Chunks rather than lazy `import()`: esbuild wraps every
// module of a bundle with dynamic imports in an initialiser function, measured slower to start.
import { plugin as bridge } from "@cni/plugin-bridge";
import { plugin as firewall } from "@cni/plugin-firewall";
import { plugin as hostLocal } from "@cni/plugin-host-local";
import { plugin as loopback } from "@cni/plugin-loopback";
import { plugin as portmap } from "@cni/plugin-portmap";
import { plugin as tuning } from "@cni/plugin-tuning";
import { plugin as veth } from "@cni/plugin-veth";
import type { Plugin } from "@cni/skel";
import type { PluginRegistry } from "./registry";

export const PLUGINS: PluginRegistry = new Map<string, Plugin>([
  ["bridge", bridge],
  ["firewall", firewall],
  ["host-local", hostLocal],
  ["loopback", loopback],
  ["portmap", portmap],
  // the reference's name for veth's job: Go `"type": "ptp"` configs run unchanged
  ["ptp", veth],
  ["tuning", tuning],
  ["veth", veth],
]);
