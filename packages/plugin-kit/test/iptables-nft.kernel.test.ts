// The kit's iptables-nft writer against iptables-nft itself (Debian's iptables 1.8.9), in namespaces made
// here (prefix ipnk-) and always deleted: the same rules written by `iptables` commands in one namespace
// and by one netlink transaction of ours in another must list the same (`iptables -S`, `ip6tables -S`),
// be the same expressions to the kernel (`nft --debug=netlink`, and our listing with the xt info bytes),
// read back to the specs that made them, and be found by `iptables -D` (what Go's plugins run).
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { NftExpr, NftOp, Nftables } from "@cni/netlink";
import {
  builtinChainOps,
  iptablesNftSpec,
  iptablesVariant,
  readFilterTable,
  ruleOp,
  sameExpr,
  userChainOp,
  type IpFamily,
  type IptablesRuleSpec,
} from "../src/netfilter/index";
import { useNftNamespaces } from "./nft-netns";

const namespace = useNftNamespaces("ipnk");

function inNs(name: string, command: string, args: readonly string[]): string {
  return execFileSync("ip", ["netns", "exec", name, command, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

interface Placed {
  family: IpFamily;
  chain: string;
  at: "first" | "last";
  rule: IptablesRuleSpec;
}

/** The rule as iptables arguments: `-I <chain> 1 …` or `-A <chain> …`. */
function iptablesArgs({ chain, at, rule }: Placed): string[] {
  const comment = rule.comment === undefined ? [] : ["-m", "comment", "--comment", rule.comment];
  return [...(at === "first" ? ["-I", chain, "1"] : ["-A", chain]), ...rule.matches, ...comment, "-j", rule.target];
}

const CHAINS = ["CNI-FORWARD", "CNI-ADMIN", "CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2"];
const SHARED = "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)";
/** The firewall plugin's rules (and a few more spellings), in the order it adds them. */
const RULES: Placed[] = [
  { family: 4, chain: "FORWARD", at: "first", rule: { matches: [], comment: "CNI firewall plugin rules", target: "CNI-FORWARD" } },
  { family: 4, chain: "CNI-FORWARD", at: "first", rule: { matches: [], comment: "CNI firewall plugin admin overrides", target: "CNI-ADMIN" } },
  { family: 4, chain: "CNI-FORWARD", at: "last", rule: { matches: ["-d", "10.88.0.2/32", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"], target: "ACCEPT" } },
  { family: 4, chain: "CNI-FORWARD", at: "last", rule: { matches: ["-s", "10.88.0.2/32"], target: "ACCEPT" } },
  { family: 4, chain: "FORWARD", at: "first", rule: { matches: [], comment: SHARED, target: "CNI-ISOLATION-STAGE-1" } },
  {
    family: 4,
    chain: "CNI-ISOLATION-STAGE-1",
    at: "first",
    rule: { matches: ["-i", "cni-podman0", "!", "-o", "cni-podman0"], comment: "CNI firewall plugin rules (ingressPolicy: same-bridge)", target: "CNI-ISOLATION-STAGE-2" },
  },
  { family: 4, chain: "CNI-ISOLATION-STAGE-1", at: "first", rule: { matches: ["-i", "cni-podman0", "-o", "cni-podman0"], comment: "CNI firewall plugin rules (ingressPolicy: isolated)", target: "DROP" } },
  { family: 4, chain: "CNI-ISOLATION-STAGE-1", at: "last", rule: { matches: [], comment: SHARED, target: "RETURN" } },
  { family: 4, chain: "CNI-ISOLATION-STAGE-2", at: "first", rule: { matches: ["-o", "cni-podman0"], comment: SHARED, target: "DROP" } },
  { family: 4, chain: "CNI-ISOLATION-STAGE-2", at: "last", rule: { matches: [], comment: SHARED, target: "RETURN" } },
  // what an administrator puts in the admin chain (README: published ports on a FORWARD DROP host), and negations
  { family: 4, chain: "CNI-ADMIN", at: "last", rule: { matches: ["-m", "conntrack", "--ctstate", "DNAT"], target: "ACCEPT" } },
  { family: 4, chain: "CNI-ADMIN", at: "last", rule: { matches: ["!", "-s", "10.88.0.3/32", "-d", "10.88.0.4/32", "-m", "conntrack", "--ctstate", "INVALID,NEW,UNTRACKED"], target: "DROP" } },
  { family: 6, chain: "FORWARD", at: "first", rule: { matches: [], comment: "CNI firewall plugin rules", target: "CNI-FORWARD" } },
  { family: 6, chain: "CNI-FORWARD", at: "first", rule: { matches: [], comment: "CNI firewall plugin admin overrides", target: "CNI-ADMIN" } },
  { family: 6, chain: "CNI-FORWARD", at: "last", rule: { matches: ["-d", "fd00:88::2/128", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"], target: "ACCEPT" } },
  { family: 6, chain: "CNI-FORWARD", at: "last", rule: { matches: ["-s", "fd00:88::2/128"], target: "ACCEPT" } },
];

/** iptables' way: `-N` each chain, then one command per rule. */
function writeWithIptables(name: string): void {
  for (const family of [4, 6] as const) {
    const binary = family === 4 ? "iptables" : "ip6tables";
    for (const chain of family === 4 ? CHAINS : CHAINS.slice(0, 2)) inNs(name, binary, ["-N", chain]);
    for (const placed of RULES) if (placed.family === family) inNs(name, binary, iptablesArgs(placed));
  }
}

/** Ours: one transaction for both families, read from a fresh (empty) namespace. */
function writeWithKit(nft: Nftables): void {
  const ops: NftOp[] = [];
  for (const family of [4, 6] as const) {
    ops.push(...builtinChainOps(family, "FORWARD", readFilterTable(nft, family)));
    for (const chain of family === 4 ? CHAINS : CHAINS.slice(0, 2)) ops.push(userChainOp(family, chain));
    for (const placed of RULES) if (placed.family === family) ops.push(ruleOp(family, placed.chain, placed.rule, placed.at));
  }
  nft.commit(ops);
}

/**
 * `nft --debug=netlink list table`, chain by chain: each chain's expression blocks in order, then its text;
 * without the handles (each side numbers its own) and sorted by chain (chains list in creation order).
 */
function kernelExpressions(name: string, family: "ip" | "ip6"): string[] {
  const text = inNs(name, "nft", ["--debug=netlink", "list", "table", family, "filter"]);
  const tableAt = text.indexOf(`table ${family} filter {`);
  const byChain = new Map<string, string[]>();
  for (const block of text.slice(0, tableAt).split("\n\n")) {
    const [head, ...lines] = block.trim().split("\n");
    if (head === undefined || head === "") continue;
    const chain = head.split(" ")[2] as string;
    byChain.set(chain, [...(byChain.get(chain) ?? []), lines.join("\n")]);
  }
  const chains = text.slice(tableAt).split(/\n\s*\n/).map((part) => part.replace(`table ${family} filter {`, "").replace(/\n}\s*$/, "").trim());
  return [...byChain.entries()].map(([chain, blocks]) => `${chain}:\n${blocks.join("\n--\n")}`).concat(chains).sort();
}

describe("iptables-nft over netlink", () => {
  it("writes what iptables writes: the same iptables -S, the same kernel expressions, xt info byte for byte", () => {
    const theirs = namespace();
    const ours = namespace();
    writeWithIptables(theirs.name);
    writeWithKit(ours.nft);
    for (const binary of ["iptables", "ip6tables"]) expect(inNs(ours.name, binary, ["-S"])).toBe(inNs(theirs.name, binary, ["-S"]));
    for (const family of ["ip", "ip6"] as const) {
      const listed = kernelExpressions(ours.name, family);
      expect(listed.join("\n")).toContain("[ match name conntrack rev 3 ]");
      expect(listed).toEqual(kernelExpressions(theirs.name, family));
      // the match payloads nft does not print: compared as the kernel returns them
      const theirRules = theirs.nft.listRules(family, "filter");
      const ourRules = ours.nft.listRules(family, "filter");
      expect(ourRules.length).toBe(theirRules.length);
      for (const chain of new Set(ourRules.map((rule) => rule.chain))) {
        const ourExprs = ourRules.filter((rule) => rule.chain === chain).flatMap((rule) => [...rule.exprs, undefined]);
        const theirExprs = theirRules.filter((rule) => rule.chain === chain).flatMap((rule) => [...rule.exprs, undefined]);
        expect(ourExprs.length).toBe(theirExprs.length);
        ourExprs.forEach((expr, i) => {
          const other = theirExprs[i];
          expect(expr === undefined || other === undefined ? expr === other : sameExpr(expr, other)).toBe(true);
        });
      }
    }
    // base chains and tables as iptables made them (hook, priority, policy)
    const objects = (name: string, what: "tables" | "chains"): string[] => {
      const listed = JSON.parse(inNs(name, "nft", ["-j", "list", what])) as { nftables: Record<string, Record<string, unknown>>[] };
      return listed.nftables.flatMap((entry) => Object.entries(entry).filter(([kind]) => kind !== "metainfo").map(([kind, object]) => JSON.stringify([kind, { ...object, handle: undefined }]))).sort();
    };
    expect(objects(ours.name, "tables")).toEqual(objects(theirs.name, "tables"));
    expect(objects(ours.name, "chains")).toEqual(objects(theirs.name, "chains"));
  });

  it("reads iptables' own rules back to the specs that made them; rules of other shapes read as not ours", () => {
    const { name, nft } = namespace();
    writeWithIptables(name);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"]);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-m", "comment", "--comment", "first", "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT"]);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-s", "10.0.0.0/8", "-j", "ACCEPT"]);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-i", "br+", "-j", "ACCEPT"]);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-m", "conntrack", "!", "--ctstate", "NEW", "-j", "ACCEPT"]);
    inNs(name, "iptables", ["-A", "CNI-ADMIN", "-j", "LOG"]);
    for (const family of [4, 6] as const) {
      const table = readFilterTable(nft, family);
      expect(table.exists).toBe(true);
      expect([...table.chains.keys()].sort()).toEqual(["FORWARD", ...(family === 4 ? CHAINS : CHAINS.slice(0, 2))].sort());
      const read = table.rules.filter((rule) => rule.spec !== undefined).map((rule) => ({ chain: rule.chain, spec: rule.spec }));
      // the kernel keeps each chain's rules in order; iptables' -I puts a rule first
      const expected = RULES.filter((placed) => placed.family === family);
      expect(read).toHaveLength(expected.length);
      for (const placed of expected) expect(read).toContainEqual({ chain: placed.chain, spec: placed.rule });
      if (family === 4) expect(table.rules.filter((rule) => rule.spec === undefined)).toHaveLength(6);
    }
    // a decoded spec is the one iptablesNftExprs writes, whatever the order of the arguments given
    expect(iptablesNftSpec(4, ruleOpExprs(4, { matches: ["-o", "b", "-d", "10.0.0.1/32", "-i", "a"], target: "X" }))).toEqual({
      matches: ["-d", "10.0.0.1/32", "-i", "a", "-o", "b"],
      target: "X",
    });
  });

  it("iptables -D (Go's DEL) deletes our rule, and a table missing or empty reads as such", () => {
    const { name, nft } = namespace();
    expect(readFilterTable(nft, 4)).toEqual({ exists: false, chains: new Map(), rules: [] });
    writeWithKit(nft);
    inNs(name, "iptables", ["-D", "CNI-FORWARD", "-s", "10.88.0.2/32", "-j", "ACCEPT"]);
    inNs(name, "ip6tables", ["-D", "CNI-FORWARD", "-d", "fd00:88::2/128", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]);
    expect(inNs(name, "iptables", ["-S", "CNI-FORWARD"])).not.toContain("-s 10.88.0.2/32");
    expect(inNs(name, "ip6tables", ["-S", "CNI-FORWARD"])).not.toContain("-d fd00:88::2/128");
    // `iptables -N` alone leaves a table with no chain at all
    const other = namespace();
    inNs(other.name, "iptables", ["-N", "X"]);
    inNs(other.name, "iptables", ["-X", "X"]);
    expect(readFilterTable(other.nft, 4).exists).toBe(true);
  });

  it("tells iptables-nft from iptables-legacy by the binary PATH resolves to, and a missing one", () => {
    const nftVariant = spawnSync("iptables", ["-V"], { encoding: "utf8" }).stdout.includes("nf_tables") ? "nft" : "legacy";
    expect(iptablesVariant(4, process.env.PATH ?? "")).toBe(nftVariant);
    expect(iptablesVariant(6, "/nonexistent")).toBeUndefined();
    // a directory whose iptables is the legacy multi-binary
    const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    try {
      execFileSync("ln", ["-s", "/usr/sbin/iptables-legacy", `${dir}/iptables`]);
      expect(iptablesVariant(4, dir)).toBe("legacy");
    } finally {
      execFileSync("rm", ["-rf", dir]);
    }
  });
});

function ruleOpExprs(family: IpFamily, rule: IptablesRuleSpec): NftExpr[] {
  const op = ruleOp(family, "C", rule, "last");
  if (op.op !== "addRule") throw new Error("expected an addRule");
  return op.exprs;
}
