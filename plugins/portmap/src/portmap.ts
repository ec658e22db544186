// The portmap plugin (chained): traffic to a host port, on any local address or one hostIP, from outside
// or from the host itself, forwarded to the container's port, for each of its addresses (IPv4 and IPv6).
// The reference: containernetworking/plugins plugins/meta/portmap. README.md lists the differences.
import { definePlugin, type CmdArgs, type Result } from "@cni/skel";
import { passPrevResultThrough, requirePrevResult, validAttachmentIds } from "@cni/plugin-kit";
import type { PortmapAttachment, PortmapBackend } from "./backend";
import { containerAddresses, readPortmapConfig, requireHostIPFamilies, type ContainerAddress, type PortmapConfig } from "./config";
import { deleteForwardedUdpFlows, deleteStaleUdpFlows } from "./conntrack";
import { createIptablesBackend, iptablesMayHaveChain } from "./iptables-backend";
import { enableLocalhostRouting } from "./localhost";
import { createNftablesBackend } from "./nftables-backend";

const VERSION = "0.1.0";
/** The reference's words for an ADD without prevResult. */
const NOT_CHAINED = "must be called as chained plugin";

export const plugin = definePlugin({
  about: `CNI portmap plugin v${VERSION}`,

  add(args: CmdArgs): Result {
    const conf = readPortmapConfig(args);
    const prevResult = passPrevResultThrough(args, NOT_CHAINED);
    if (conf.mappings.length === 0) return prevResult;
    const attachment = attachmentOf(args, conf, containerAddresses(prevResult, args.ifName));
    if (attachment.addresses.length === 0) return prevResult;
    requireHostIPFamilies(conf.mappings, attachment.addresses);
    if (conf.snat) enableLocalhostRouting(prevResult, attachment.addresses);
    backendOf(conf).add(attachment);
    deleteStaleUdpFlows(conf.mappings, attachment.addresses);
    return prevResult;
  },

  del(args: CmdArgs): void {
    const conf = readPortmapConfig(args);
    // Without prevResult (or addresses in it) every rule of the container id goes, as the reference's DEL.
    const prevResult = args.config.prevResult;
    const found = prevResult === undefined ? [] : containerAddresses(prevResult, args.ifName);
    const addresses = found.length > 0 ? found : undefined;
    backendOf(conf).del(args.config.name, args.containerId, addresses);
    removeOtherBackendsRules(conf, args.config.name, args.containerId, addresses);
    if (addresses !== undefined) deleteForwardedUdpFlows(conf.mappings, addresses);
  },

  check(args: CmdArgs): void {
    const conf = readPortmapConfig(args);
    const prevResult = requirePrevResult(args);
    if (conf.mappings.length === 0) return;
    const attachment = attachmentOf(args, conf, containerAddresses(prevResult, args.ifName));
    if (attachment.addresses.length > 0) backendOf(conf).check(attachment);
  },

  status(args: CmdArgs): void {
    readPortmapConfig(args);
  },

  gc(args: CmdArgs): void {
    const conf = readPortmapConfig(args);
    const valid = new Set<string>();
    for (const attachment of validAttachmentIds(args)) valid.add(attachment.containerId);
    backendOf(conf).gc(args.config.name, valid);
  },
});

function attachmentOf(args: CmdArgs, conf: PortmapConfig, addresses: ContainerAddress[]): PortmapAttachment {
  return { network: args.config.name, containerId: args.containerId, addresses, conf };
}

/**
 * DEL also removes what the other backend made for this container: a host moving from Go's portmap
 * (iptables) to ours (nftables by default), or a config whose backend changed, leaves no forwarding behind.
 * iptables is run only when its chain may be there (iptablesMayHaveChain: no process otherwise).
 */
function removeOtherBackendsRules(conf: PortmapConfig, network: string, containerId: string, addresses: ContainerAddress[] | undefined): void {
  if (conf.backend === "iptables") {
    try {
      createNftablesBackend().del(network, containerId, addresses);
    } catch {
      // no nf_tables here: no nftables rules either
    }
  } else if (iptablesMayHaveChain(network, containerId)) {
    createIptablesBackend().del(network, containerId, addresses);
  }
}

function backendOf(conf: PortmapConfig): PortmapBackend {
  return conf.backend === "iptables" ? createIptablesBackend() : createNftablesBackend();
}
