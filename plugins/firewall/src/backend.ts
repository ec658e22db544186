// What a backend does for the plugin's verbs, and which backend a call gets (README.md, "Backends").
import type { AttachmentId } from "@cni/plugin-kit";
import { listIfPresent, withNftables } from "@cni/plugin-kit/netfilter";
import type { FirewallAttachment, FirewallConfig } from "./config";
import { firewalldBackendError, firewalldRunning, firewalldRunningError } from "./firewalld-backend";
import { IptablesBackend, legacyIptablesTables, onPath } from "./iptables-backend";
import { NftablesBackend } from "./nftables-backend";

export interface FirewallBackend {
  /** Accept the attachment's addresses (and isolate `bridge` when the ingress policy asks): all or nothing. */
  add(attachment: FirewallAttachment, bridge: string | undefined): void;
  /** Remove the attachment's accept rules (isolation rules stay: the bridge may be shared). */
  del(attachment: FirewallAttachment): void;
  /** Fail, naming it, when a rule ADD made is missing. */
  check(attachment: FirewallAttachment): void;
  /** Remove the network's accept rules of attachments not in `valid`, where rules name their attachment. */
  gc(network: string, valid: readonly AttachmentId[]): void;
  /** STATUS: fail (code 50) when an ADD could not work. */
  status(): void;
}

/**
 * The configured backend, or with `backend` unset: firewalld's error when it is running (its zone, not
 * our rules, decides what is forwarded there), else iptables when the host has iptables (the binary, or
 * rules of the legacy or nft flavour), else nftables.
 *
 * `cleanup` (DEL, GC) never fails on firewalld: no ADD succeeded with it, so there is nothing to undo,
 * and a DEL that fails forever only wedges the runtime.
 */
export function selectBackend(conf: FirewallConfig, purpose: "change" | "cleanup"): FirewallBackend {
  switch (conf.backend) {
    case "iptables":
      return new IptablesBackend(conf);
    case "nftables":
      return new NftablesBackend(conf);
    case "firewalld":
      if (purpose === "cleanup") return NOTHING_TO_CLEAN;
      throw firewalldBackendError();
    case undefined:
      if (purpose === "change" && firewalldRunning()) throw firewalldRunningError();
      return hostHasIptables() ? new IptablesBackend(conf) : new NftablesBackend(conf);
  }
}

const NOTHING_TO_CLEAN: FirewallBackend = {
  add: () => undefined,
  del: () => undefined,
  check: () => undefined,
  gc: () => undefined,
  status: () => undefined,
};

/**
 * iptables on PATH (no process: a stat per PATH entry), else iptables rules without the binary: legacy
 * tables (/proc/net/ip_tables_names) or iptables-nft's `ip filter` / `ip6 filter` tables. Rules without
 * the binary still pick iptables, whose error then says the binary is missing: an nftables table of ours
 * could not override their FORWARD policy anyway.
 */
function hostHasIptables(): boolean {
  if (onPath("iptables")) return true;
  if (legacyIptablesTables().length > 0) return true;
  return withNftables("failed to list nftables tables", (nft) =>
    listIfPresent(() => nft.listTables()).some((table) => table.name === "filter" && (table.family === "ip" || table.family === "ip6")),
  );
}
