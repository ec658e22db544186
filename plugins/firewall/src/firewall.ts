// The firewall plugin (chained after bridge/ptp): lets a host whose filter policy drops forwarded traffic
// (dockerd's `iptables -P FORWARD DROP`) forward the container's addresses from prevResult, and
// optionally isolates its bridge from other interfaces (ingressPolicy). Mirrors plugins/meta/firewall in
// containernetworking/plugins (v1.1.1, HEAD for `isolated`); README.md says where it differs and why.
import { definePlugin, type CmdArgs, type Result } from "@cni/skel";
import { passPrevResultThrough, requirePrevResult, validAttachmentIds } from "@cni/plugin-kit";
import { selectBackend } from "./backend";
import { MISSING_PREV_RESULT, SUPPORTED_VERSIONS, describeAttachment, ingressBridge, readFirewallConfig } from "./config";

const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI firewall plugin v${VERSION}`,
  supportedVersions: SUPPORTED_VERSIONS,

  add(args: CmdArgs): Result {
    const conf = readFirewallConfig(args);
    const prevResult = passPrevResultThrough(args, MISSING_PREV_RESULT);
    const attachment = describeAttachment(args, prevResult);
    const bridge = ingressBridge(conf, prevResult); // checked before any rule is written (F11)
    selectBackend(conf, "change").add(attachment, bridge);
    return prevResult;
  },

  del(args: CmdArgs): void {
    const conf = readFirewallConfig(args);
    // Without prevResult the iptables rules (Go's, keyed by address only) cannot be found; ours in
    // nftables are found by their comment either way.
    const attachment = describeAttachment(args, args.config.prevResult);
    selectBackend(conf, "cleanup").del(attachment);
  },

  check(args: CmdArgs): void {
    const conf = readFirewallConfig(args);
    const attachment = describeAttachment(args, requirePrevResult(args, MISSING_PREV_RESULT));
    selectBackend(conf, "change").check(attachment);
  },

  status(args: CmdArgs): void {
    selectBackend(readFirewallConfig(args), "change").status();
  },

  gc(args: CmdArgs): void {
    const conf = readFirewallConfig(args);
    const valid = validAttachmentIds(args);
    selectBackend(conf, "cleanup").gc(args.config.name, valid);
  },
});
