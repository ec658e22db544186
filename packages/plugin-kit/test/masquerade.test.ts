// Unit tests of masquerade's pure parts: names and comments (against sha512sum and the Go formats), the
// nftables expressions (against what `nft --debug=netlink` prints for the reference's rules), the
// transactions, the iptables-restore input (with a scripted runner), and the config field.
import { describe, expect, it } from "vitest";
import type { NftExpr, NftRule } from "@cni/netlink";
import { parseIpMasqBackend } from "../src/masquerade/config";
import { iptablesChainName, iptablesComment, nftAttachmentComment, nftAttachmentHash } from "../src/masquerade/names";
import { attachmentRules, gcOps, masqueradeLayout, masqueradeRuleExprs, postroutingRulesExprs } from "../src/masquerade/nft-rules";
import { iptablesGc, iptablesSetup, iptablesTeardown } from "../src/masquerade/iptables";
import {
  addOnlyOps,
  goQuote,
  rulesWithCommentPrefix,
  sha512Hex,
  type AddressWithPrefix,
  type CommandResult,
  type IptablesRunner,
} from "../src/netfilter/index";
import type { CIDR } from "@cni/skel";
import { debugLines } from "./nft-debug";
import { tableContents } from "./nft-contents";

describe("names and comments", () => {
  // expected values from coreutils: printf %s insnetcid1 | sha512sum
  it("iptables chain is CNI- + 24 hex of sha512(network + containerId)", () => {
    expect(iptablesChainName("insnet", "cid1")).toBe("CNI-4b8ac4edd2d5ab189d0ddb37");
    expect(iptablesChainName("insnet", "cid1")).toHaveLength(28);
  });

  it("sha512 is of the UTF-8 bytes", () => {
    expect(sha512Hex("")).toBe(
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    );
  });

  it("iptables comment quotes as Go's %q", () => {
    expect(iptablesComment("insnet", "cid1")).toBe('name: "insnet" id: "cid1"');
    expect(goQuote('a"b\\c\n\t\u0001é')).toBe('"a\\"b\\\\c\\n\\t\\x01é"');
  });

  it("nftables comment is <H(net)>-<H(ifname:cid)>, net, if, id", () => {
    expect(nftAttachmentHash("insnet", "eth0", "cid1")).toBe("7d760a16fc545464-0b65a318f52e521b");
    expect(nftAttachmentComment("insnet", "eth0", "cid1")).toBe(
      "7d760a16fc545464-0b65a318f52e521b, net: insnet, if: eth0, id: cid1",
    );
  });

  it("nftables comment drops double quotes and is cut to 128 bytes", () => {
    const long = nftAttachmentComment("n", 'e"th0', "c".repeat(200));
    expect(long).toHaveLength(128);
    expect(long).toContain(", if: eth0, id: ccc");
  });
});

describe("parseIpMasqBackend", () => {
  it("unset and null mean nftables", () => {
    expect(parseIpMasqBackend(undefined)).toBe("nftables");
    expect(parseIpMasqBackend(null)).toBe("nftables");
    expect(parseIpMasqBackend("iptables")).toBe("iptables");
    expect(parseIpMasqBackend("nftables")).toBe("nftables");
  });

  it("anything else is a code-7 error naming the field", () => {
    for (const bad of ["ipfw", "", 1, true, {}]) {
      let thrown: unknown;
      try {
        parseIpMasqBackend(bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ name: "CniError", code: 7 });
      expect((thrown as Error).message).toContain("ipMasqBackend");
    }
  });
});

const v4: AddressWithPrefix = { family: 4, bytes: Uint8Array.of(10, 1, 0, 2), prefix: 24 };
const v6Bytes = new Uint8Array(16);
v6Bytes.set([0xfd, 0x00, 0x00, 0x01], 0);
v6Bytes[15] = 2;
const v6: AddressWithPrefix = { family: 6, bytes: v6Bytes, prefix: 64 };

describe("nftables expressions match nft 1.0.6's for the reference's rules", () => {
  // Each expected block is what `nft --debug=netlink -f` printed for the reference's rule text.
  it("ip saddr 10.1.0.2 ip daddr != 10.1.0.0/24 masquerade", () => {
    expect(debugLines(masqueradeRuleExprs(v4))).toEqual([
      "[ meta load nfproto => reg 1 ]",
      "[ cmp eq reg 1 0x00000002 ]",
      "[ payload load 4b @ network header + 12 => reg 1 ]",
      "[ cmp eq reg 1 0x0200010a ]",
      "[ payload load 3b @ network header + 16 => reg 1 ]",
      "[ cmp neq reg 1 0x0000010a ]",
      "[ masq ]",
    ]);
  });

  it("ip saddr 10.1.0.2 ip daddr != 10.1.0.0/20 masquerade (prefix not on a byte: bitwise)", () => {
    expect(debugLines(masqueradeRuleExprs({ ...v4, prefix: 20 }))).toEqual([
      "[ meta load nfproto => reg 1 ]",
      "[ cmp eq reg 1 0x00000002 ]",
      "[ payload load 4b @ network header + 12 => reg 1 ]",
      "[ cmp eq reg 1 0x0200010a ]",
      "[ payload load 4b @ network header + 16 => reg 1 ]",
      "[ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]",
      "[ cmp neq reg 1 0x0000010a ]",
      "[ masq ]",
    ]);
  });

  it("ip6 saddr fd00:1::2 ip6 daddr != fd00:1::/64 masquerade, and /60", () => {
    expect(debugLines(masqueradeRuleExprs(v6))).toEqual([
      "[ meta load nfproto => reg 1 ]",
      "[ cmp eq reg 1 0x0000000a ]",
      "[ payload load 16b @ network header + 8 => reg 1 ]",
      "[ cmp eq reg 1 0x010000fd 0x00000000 0x00000000 0x02000000 ]",
      "[ payload load 8b @ network header + 24 => reg 1 ]",
      "[ cmp neq reg 1 0x010000fd 0x00000000 ]",
      "[ masq ]",
    ]);
    expect(debugLines(masqueradeRuleExprs({ ...v6, prefix: 60 })).slice(4, 7)).toEqual([
      "[ payload load 16b @ network header + 24 => reg 1 ]",
      "[ bitwise reg 1 = ( reg 1 & 0xffffffff 0xf0ffffff 0x00000000 0x00000000 ) ^ 0x00000000 0x00000000 0x00000000 0x00000000 ]",
      "[ cmp neq reg 1 0x010000fd 0x00000000 0x00000000 0x00000000 ]",
    ]);
  });

  it("postrouting: multicast returns, then goto masq_checks", () => {
    expect(postroutingRulesExprs().map(debugLines)).toEqual([
      [
        "[ meta load nfproto => reg 1 ]",
        "[ cmp eq reg 1 0x00000002 ]",
        "[ payload load 4b @ network header + 16 => reg 1 ]",
        "[ bitwise reg 1 = ( reg 1 & 0x000000f0 ) ^ 0x00000000 ]",
        "[ cmp eq reg 1 0x000000e0 ]",
        "[ immediate reg 0 return ]",
      ],
      [
        "[ meta load nfproto => reg 1 ]",
        "[ cmp eq reg 1 0x0000000a ]",
        "[ payload load 1b @ network header + 24 => reg 1 ]",
        "[ cmp eq reg 1 0x000000ff ]",
        "[ immediate reg 0 return ]",
      ],
      ["[ immediate reg 0 goto -> masq_checks ]"],
    ]);
  });

  it("cmp data has the loaded length (nfproto is one byte)", () => {
    const exprs = masqueradeRuleExprs(v4);
    expect(exprs[1]).toMatchObject({ type: "cmp", data: Uint8Array.of(2) });
    expect(exprs[5]).toMatchObject({ type: "cmp", data: Uint8Array.of(10, 1, 0) });
  });
});

function rule(handle: number, comment?: string): NftRule {
  return { family: "inet", table: "cni_plugins_masquerade", chain: "masq_checks", handle, exprs: [], ...(comment ? { comment } : {}) };
}

describe("nftables transactions", () => {
  const mine = nftAttachmentComment("net1", "eth0", "c1");
  const other = nftAttachmentComment("net1", "eth0", "c2");
  const otherNet = nftAttachmentComment("net2", "eth0", "c1");
  const rules = [rule(5, mine), rule(6, other), rule(7, otherNet), rule(8), rule(9, mine)];

  const prefix = nftAttachmentHash("net1", "eth0", "c1");
  const postrouting = (exprs: NftExpr[], handle: number): NftRule => ({ ...rule(handle), chain: "postrouting", exprs });
  const inPlace = (): Map<string, NftRule[]> =>
    new Map([
      ["masq_checks", [{ ...rule(6, other), exprs: masqueradeRuleExprs(v4) }]],
      ["postrouting", postroutingRulesExprs().map((exprs, i) => postrouting(exprs, 2 + i))],
    ]);

  it("first ADD: table, chains created (exclusive), postrouting filled, one rule per address; nothing deleted", () => {
    const ops = addOnlyOps(tableContents(masqueradeLayout(), new Map()), masqueradeLayout(), attachmentRules(prefix, mine, [v4, v6]));
    expect(ops.map((op) => op.op)).toEqual(["addTable", "createChain", "createChain", "addRule", "addRule", "addRule", "addRule", "addRule"]);
    expect(ops[0]).toEqual({
      op: "addTable",
      family: "inet",
      name: "cni_plugins_masquerade",
      comment: "Masquerading for plugins from github.com/containernetworking/plugins",
    });
    expect(ops[1]).toMatchObject({ name: "masq_checks", comment: "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" });
    expect(ops[2]).toMatchObject({ name: "postrouting", type: "nat", hook: "postrouting", priority: 100 });
    expect(ops.slice(3, 6)).toMatchObject(postroutingRulesExprs().map((exprs) => ({ chain: "postrouting", exprs })));
    expect(ops[6]).toMatchObject({ op: "addRule", chain: "masq_checks", comment: mine, exprs: masqueradeRuleExprs(v4) });
  });

  it("the common ADD (table, chains and postrouting in place): only this attachment's rules are added", () => {
    const ops = addOnlyOps(tableContents(masqueradeLayout(), inPlace()), masqueradeLayout(), attachmentRules(prefix, mine, [v4]));
    expect(ops).toEqual([{ op: "addRule", family: "inet", table: "cni_plugins_masquerade", chain: "masq_checks", exprs: masqueradeRuleExprs(v4), comment: mine }]);
  });

  it("a repeated ADD commits nothing; a stale rule of the attachment is deleted and only the missing one added", () => {
    const current = inPlace();
    current.set("masq_checks", [{ ...rule(6, other), exprs: masqueradeRuleExprs(v4) }, { ...rule(9, mine), exprs: masqueradeRuleExprs(v4) }]);
    expect(addOnlyOps(tableContents(masqueradeLayout(), current), masqueradeLayout(), attachmentRules(prefix, mine, [v4]))).toEqual([]);
    const moved = { ...v4, bytes: Uint8Array.of(10, 1, 0, 7) };
    const ops = addOnlyOps(tableContents(masqueradeLayout(), current), masqueradeLayout(), attachmentRules(prefix, mine, [moved]));
    expect(ops.map((op) => [op.op, "handle" in op ? op.handle : undefined])).toEqual([["deleteRule", 9], ["addRule", undefined]]);
  });

  it("postrouting that differs from the layout (or an empty one) is flushed and refilled", () => {
    const current = inPlace();
    current.set("postrouting", [postrouting([{ type: "verdict", verdict: "goto", chain: "masq_checks" }], 4)]);
    const ops = addOnlyOps(tableContents(masqueradeLayout(), current), masqueradeLayout(), attachmentRules(prefix, mine, []));
    expect(ops.map((op) => op.op)).toEqual(["flushChain", "addRule", "addRule", "addRule"]);
    current.set("postrouting", []);
    expect(addOnlyOps(tableContents(masqueradeLayout(), current), masqueradeLayout(), attachmentRules(prefix, mine, [])).map((op) => op.op)).toEqual(["flushChain", "addRule", "addRule", "addRule"]);
  });

  it("an attachment's comment prefix selects its rules only", () => {
    const selected = rulesWithCommentPrefix(rules, nftAttachmentHash("net1", "eth0", "c1"));
    expect(selected.map((r) => r.handle)).toEqual([5, 9]);
    expect(rulesWithCommentPrefix(rules, nftAttachmentHash("net1", "eth1", "c1"))).toEqual([]);
  });

  it("gc keeps the valid attachments of the network and never touches other networks", () => {
    const networkRules = rulesWithCommentPrefix(rules, nftAttachmentHash("net1", "eth0", "c1").slice(0, 16));
    const ops = gcOps(networkRules, new Set([other]));
    expect(ops.map((op) => (op as { handle: number }).handle)).toEqual([5, 9]);
    expect(gcOps(networkRules, new Set([mine, other]))).toEqual([]);
  });
});

/** A runner that answers `-S` with a listing and records every command and restore input. */
function scriptedRunner(listing: Record<string, string>, procNet: Record<string, string> = {}) {
  const calls: { command: string; args: readonly string[]; input?: string }[] = [];
  const runner: IptablesRunner = {
    run(command, args, input): CommandResult {
      calls.push({ command, args, ...(input ? { input } : {}) });
      if (args.includes("-S")) return { status: 0, stdout: listing[command] ?? "", stderr: "" };
      return { status: 0, stdout: "", stderr: "" };
    },
    readProcNet: (name) => procNet[name],
  };
  return { runner, calls };
}

const cidr = (family: 4 | 6, value: bigint, prefix: number): CIDR => ({ ip: { family, value }, prefix });

describe("iptables backend input", () => {
  const chain = iptablesChainName("insnet", "cid1");
  const comment = '-m comment --comment "name: \\"insnet\\" id: \\"cid1\\""';

  it("setup writes the Go bridge's rules in one restore, replacing an old jump", () => {
    const listing = ["-P POSTROUTING ACCEPT", `-N ${chain}`, `-A POSTROUTING -s 10.97.0.9/32 ${comment} -j ${chain}`, ""].join("\n");
    const { runner, calls } = scriptedRunner({ iptables: listing });
    iptablesSetup(runner, 4, "insnet", "cid1", [cidr(4, 0x0a610002n, 24)]);
    expect(calls.map((c) => c.command)).toEqual(["iptables", "iptables-restore"]);
    expect(calls[0]?.args).toEqual(["--wait", "-t", "nat", "-S"]);
    expect(calls[1]?.args).toEqual(["--wait", "--noflush"]);
    expect(calls[1]?.input).toBe(
      [
        "*nat",
        `:${chain} - [0:0]`,
        `-D POSTROUTING -s 10.97.0.9/32 ${comment} -j ${chain}`,
        `-A ${chain} -d 10.97.0.0/24 ${comment} -j ACCEPT`,
        `-A ${chain} ! -d 224.0.0.0/4 ${comment} -j MASQUERADE`,
        `-A POSTROUTING -s 10.97.0.2/32 ${comment} -j ${chain}`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("IPv6 uses ip6tables, ff00::/8 and /128", () => {
    const { runner, calls } = scriptedRunner({});
    iptablesSetup(runner, 6, "insnet", "cid1", [cidr(6, (0xfd97n << 112n) | 2n, 64)]);
    expect(calls.map((c) => c.command)).toEqual(["ip6tables", "ip6tables-restore"]);
    expect(calls[1]?.input).toContain(`-A ${chain} -d fd97::/64 ${comment} -j ACCEPT`);
    expect(calls[1]?.input).toContain(`-A ${chain} ! -d ff00::/8 ${comment} -j MASQUERADE`);
    expect(calls[1]?.input).toContain(`-A POSTROUTING -s fd97::2/128 ${comment} -j ${chain}`);
  });

  it("teardown finds the jumps by chain name, whatever address they name; nothing there: no restore", () => {
    const listing = [
      `-N ${chain}`,
      `-A POSTROUTING -s 10.97.0.2/32 ${comment} -j ${chain}`,
      `-A POSTROUTING -s 10.97.0.3/32 -j CNI-other`,
      `-A ${chain} -d 10.97.0.0/24 ${comment} -j ACCEPT`,
    ].join("\n");
    const { runner, calls } = scriptedRunner({ iptables: listing });
    iptablesTeardown(runner, 4, "insnet", "cid1");
    expect(calls[1]?.input).toBe(
      ["*nat", `-D POSTROUTING -s 10.97.0.2/32 ${comment} -j ${chain}`, `-F ${chain}`, `-X ${chain}`, "COMMIT", ""].join("\n"),
    );
    const empty = scriptedRunner({ iptables: "-P POSTROUTING ACCEPT\n" });
    iptablesTeardown(empty.runner, 4, "insnet", "cid1");
    expect(empty.calls).toHaveLength(1);
  });

  it("gc removes the network's chains whose container is gone, and only those", () => {
    const keep = iptablesChainName("insnet", "live");
    const other = iptablesChainName("othernet", "gone");
    const gone = chain;
    const line = (c: string, net: string, id: string): string =>
      `-A ${c} -d 10.97.0.0/24 -m comment --comment "name: \\"${net}\\" id: \\"${id}\\"" -j ACCEPT`;
    const listing = [
      `-N ${gone}`, `-N ${keep}`, `-N ${other}`, "-N CNI-DN-1234",
      `-A POSTROUTING -s 10.97.0.2/32 ${comment} -j ${gone}`,
      line(gone, "insnet", "cid1"), line(keep, "insnet", "live"), line(other, "othernet", "gone"),
      "-A CNI-DN-1234 -j ACCEPT",
    ].join("\n");
    const { runner, calls } = scriptedRunner({ iptables: listing });
    iptablesGc(runner, 4, "insnet", new Set(["live"]));
    expect(calls[1]?.input).toBe(
      ["*nat", `-D POSTROUTING -s 10.97.0.2/32 ${comment} -j ${gone}`, `-F ${gone}`, `-X ${gone}`, "COMMIT", ""].join("\n"),
    );
  });

  it("a failing restore is a CNI error naming the command", () => {
    const runner: IptablesRunner = {
      run: (command, args) =>
        args.includes("-S") ? { status: 0, stdout: "", stderr: "" } : { status: 2, stdout: "", stderr: "iptables-restore: line 2 failed" },
      readProcNet: () => undefined,
    };
    expect(() => iptablesSetup(runner, 4, "insnet", "cid1", [cidr(4, 0x0a610002n, 24)])).toThrow(
      /iptables-restore --noflush failed: exit status 2: iptables-restore: line 2 failed/,
    );
  });
});
