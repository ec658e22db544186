// The plugins one executable holds, by the name each is invoked as.
import type { Plugin } from "@cni/skel";

/** Plugin name (the file name a runtime invokes) to the plugin. A Map: no name can hit Object.prototype. */
export type PluginRegistry = ReadonlyMap<string, Plugin>;

/**
 * Commands the executable also holds that are not plugins (cnitool): name to its entry point, which reads
 * argv/env/stdio itself and sets process.exitCode. Plugin dispatch never looks here.
 */
export type CommandRegistry = ReadonlyMap<string, () => Promise<void>>;
