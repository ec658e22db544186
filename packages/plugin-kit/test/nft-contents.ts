// A layout's table as readChains would list it: the chains named in `rules` exist, as the layout declares
// them, holding those rules (for planning tests without a kernel).
import type { NftChain, NftRule } from "@cni/netlink";
import type { NftLayout, NftTableContents } from "../src/netfilter/index";

export function tableContents(layout: NftLayout, rules: ReadonlyMap<string, NftRule[]>): NftTableContents {
  const chains = new Map<string, NftChain>();
  for (const spec of layout.chains) {
    if (!rules.has(spec.name)) continue;
    const { name, hook, type, priority, policy, comment } = spec;
    const base = hook === undefined ? {} : { hook, type: type ?? "filter", priority: priority ?? 0, policy: policy ?? "accept" };
    chains.set(name, { family: layout.family, table: layout.table, name, handle: 1, ...base, ...(comment !== undefined ? { comment } : {}) });
  }
  return { chains, rules };
}
