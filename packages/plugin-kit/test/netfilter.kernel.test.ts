// The add-only pattern and deletion by comment against the real kernel, in namespaces made here (prefix
// nfk-) and always deleted: what masquerade and spoof check use, and portmap and firewall will.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  addOnlyOps,
  commitFresh,
  deleteRulesByComment,
  dnatTo,
  ensureRules,
  fibDestinationIsLocal,
  jump,
  portEquals,
  readChains,
  type AttachmentRules,
  type NftLayout,
} from "../src/netfilter/index";
import { useNftNamespaces } from "./nft-netns";

const namespace = useNftNamespaces("nfk");

function listing(name: string): string {
  return execFileSync("ip", ["netns", "exec", name, "nft", "-a", "list", "ruleset"], { encoding: "utf8" });
}

/** portmap's nftables shape: hostports (the containers' dnat rules, comment = container id) behind prerouting. */
const layout: NftLayout = {
  family: "ip",
  table: "cni_hostport",
  tableComment: "CNI portmap plugin",
  chains: [
    { name: "hostports" },
    { name: "prerouting", type: "nat", hook: "prerouting", priority: -100, rules: [{ exprs: [...fibDestinationIsLocal(), jump("hostports")] }] },
  ],
};

function container(id: string, hostPort: number, address: number[]): AttachmentRules {
  return {
    commentPrefix: id,
    owns: (rule) => rule.comment === id,
    rules: [{ chain: "hostports", exprs: [...portEquals("tcp", "dport", hostPort), ...dnatTo(4, Uint8Array.from(address), 80)], comment: id }],
  };
}

describe("ensureRules and deleteRulesByComment", () => {
  it("lays out the table, adds each container's rules, keeps everything else's handles, deletes by exact comment", () => {
    const { name, nft } = namespace();
    ensureRules(nft, layout, container("ctr1", 8080, [10, 88, 7, 2]));
    ensureRules(nft, layout, container("ctr10", 8081, [10, 88, 7, 3]));
    const text = listing(name);
    expect(text).toContain("fib daddr type local jump hostports");
    expect(text).toContain('tcp dport 8080 dnat to 10.88.7.2:80 comment "ctr1"');
    expect(text).toContain('tcp dport 8081 dnat to 10.88.7.3:80 comment "ctr10"');
    // a repeated ADD commits nothing: the ruleset, handles included, is unchanged
    ensureRules(nft, layout, container("ctr1", 8080, [10, 88, 7, 2]));
    expect(listing(name)).toBe(text);
    // "ctr1" is a prefix of "ctr10": the exact match keeps ctr10's rule
    expect(deleteRulesByComment(nft, "ip", "cni_hostport", ["hostports", "no_such_chain"], { commentPrefix: "ctr1", owns: (rule) => rule.comment === "ctr1" })).toBe(1);
    expect(listing(name)).not.toContain('comment "ctr1"');
    expect(listing(name)).toContain('comment "ctr10"');
    expect(deleteRulesByComment(nft, "ip", "no_such_table", ["hostports"], { commentPrefix: "ctr1" })).toBe(0);
  });

  it("two ADDs that both saw no table: the second's createChain fails with EEXIST, it lists again and adds only its rule", () => {
    const { name, nft } = namespace();
    const stale = readChains(nft, layout, "ctr2");
    ensureRules(nft, layout, container("ctr1", 8080, [10, 88, 7, 2])); // the concurrent call, first to commit
    let builds = 0;
    commitFresh(nft, () => (builds++ === 0 ? addOnlyOps(stale, layout, container("ctr2", 8082, [10, 88, 7, 4])) : addOnlyOps(readChains(nft, layout, "ctr2"), layout, container("ctr2", 8082, [10, 88, 7, 4]))));
    expect(builds).toBe(2);
    const text = listing(name);
    expect(text.match(/fib daddr type local jump hostports/g)).toHaveLength(1);
    expect(text).toContain('comment "ctr1"');
    expect(text).toContain('comment "ctr2"');
  });
});
