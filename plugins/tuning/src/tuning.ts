// The tuning plugin (chained): sets sysctls of the container's network namespace and attributes of its
// interface — MAC, promisc, MTU, allmulti, txqueuelen — and puts the interface's attributes back on DEL.
// The reference: plugins/meta/tuning (reference-chained-plugins.md §3). README.md lists the differences.
import { definePlugin, type CmdArgs, type Result } from "@cni/skel";
import type { Netlink } from "@cni/netlink";
import {
  checkContainerNetns,
  checkContainerNetnsIfPresent,
  findLink,
  netlinkToCniError,
  requirePrevResult,
  withContainerNetns,
  withContainerNetnsIfPresent,
  withUndo,
  type UndoStack,
} from "@cni/plugin-kit";
import { backupPath, readBackup, removeBackup, writeBackup } from "./backup";
import { readDataDir, readTuningConfig, type TuningConfig } from "./config";
import { applyLinkSettings, changesLink, checkLinkSettings, currentAttributes, requireLink, restoreLinkAttributes, validateForLink } from "./link-settings";
import { applySysctls, checkSysctls } from "./sysctls";

const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI tuning plugin v${VERSION}`,

  async add(args: CmdArgs): Promise<Result> {
    const conf = readTuningConfig(args, "ADD");
    const prevResult = requirePrevResult(args);
    if (conf.sysctls.length === 0 && !changesLink(conf.link)) {
      // nothing to set (podman's default chain has tuning without options): no trip into the namespace
      checkContainerNetns(args.netns);
      return prevResult;
    }
    await withContainerNetns(args.netns, (container) => withUndo((undo) => applyTuning(container, args, conf, undo)));
    return withMac(prevResult, args, conf.link.mac);
  },

  del(args: CmdArgs): void {
    const backup = backupPath(readDataDir(args), args.containerId, args.ifName);
    const saved = readBackup(backup);
    if (saved === undefined) {
      // nothing to put back; a CNI_NETNS that is not a namespace is still refused, as by every plugin
      checkContainerNetnsIfPresent(args.netns);
      return;
    }
    // No namespace or no link any more: nothing to put back, only the file to drop.
    withContainerNetnsIfPresent(args.netns, (container) => {
      if (findLink(container, args.ifName) !== undefined) {
        // As the reference, a value that cannot be put back does not fail DEL (a runtime would retry it
        // forever); the others are still restored.
        restoreLinkAttributes(container, args.ifName, saved);
      }
    });
    try {
      removeBackup(backup);
    } catch (thrown) {
      throw netlinkToCniError(thrown, `failed to remove ${backup}`);
    }
  },

  check(args: CmdArgs): void {
    const conf = readTuningConfig(args, "CHECK");
    requirePrevResult(args);
    withContainerNetns(args.netns, (container) => {
      checkSysctls(container, conf.sysctls);
      checkLinkSettings(requireLink(container, args.ifName, "CHECK"), conf.link);
    });
  },

  // STATUS: tuning needs nothing to be ready. GC: the backups of every network share one directory by
  // default, and a network's GC names only its own attachments, so none can be told stale; DEL removes them.
  status(): void {},
  gc(): void {},
});

/**
 * ADD inside the container's namespace. The link and the values it can take are checked before anything
 * changes; then, in the reference's order, the sysctls, the backup, the link attributes, each with its undo.
 */
function applyTuning(container: Netlink, args: CmdArgs, conf: TuningConfig, undo: UndoStack): void {
  const link = changesLink(conf.link) ? requireLink(container, args.ifName, "ADD") : undefined;
  if (link !== undefined) validateForLink(conf.link, link);
  applySysctls(container, conf.sysctls, undo);
  if (link === undefined) return;
  const backup = backupPath(conf.dataDir, args.containerId, args.ifName);
  writeBackup(backup, conf.dataDir, currentAttributes(link, conf.link), undo);
  applyLinkSettings(container, link, conf.link, undo);
}

/** prevResult, with the new MAC on the container's interface entry (named CNI_IFNAME, in CNI_NETNS). */
function withMac(prevResult: Result, args: CmdArgs, mac: string | undefined): Result {
  if (mac === undefined || prevResult.interfaces === undefined) return prevResult;
  const interfaces = prevResult.interfaces.map((iface) => (iface.name === args.ifName && iface.sandbox === args.netns ? { ...iface, mac } : iface));
  return { ...prevResult, interfaces };
}
