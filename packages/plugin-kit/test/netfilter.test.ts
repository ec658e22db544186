// The netfilter module's pure parts: Go's chain names and comments (against the Debian Go plugins'
// observed names and sha512sum), the expression builders (against `nft --debug=netlink` of nft 1.0.6 for
// the rule text each stands for), and the add-only planning of a layout with per-attachment chains.
import { describe, expect, it } from "vitest";
import type { NftExpr, NftRule } from "@cni/netlink";
import {
  addOnlyOps,
  addressEquals,
  ctMarkEquals,
  ctStateIn,
  ctStatusHas,
  counter,
  dnatTo,
  etherSourceEquals,
  fibDestinationIsLocal,
  goChainName,
  goChainNameWithPrefix,
  goComment,
  hostRunner,
  interfaceNameEquals,
  jump,
  macBytes,
  portEquals,
  sameExpr,
  snatTo,
  verdict,
  type NftLayout,
} from "../src/netfilter/index";
import { debugLines } from "./nft-debug";
import { tableContents } from "./nft-contents";

describe("Go's chain names and comments", () => {
  it("portmap's CNI-DN-<21 hex> as the Go plugins 1.1.1 name them", () => {
    expect(goChainNameWithPrefix("refnet", "ctr1", "DN-")).toBe("CNI-DN-e30d516c8208bc6dd27ee");
    expect(goChainNameWithPrefix("refnet4", "c2", "DN-")).toBe("CNI-DN-a2def0c570e43b07aedba");
  });

  it("FormatChainName is the empty prefix: CNI- + 24 hex, 28 characters", () => {
    expect(goChainName("insnet", "cid1")).toBe("CNI-4b8ac4edd2d5ab189d0ddb37");
    expect(goChainNameWithPrefix("insnet", "cid1", "")).toBe(goChainName("insnet", "cid1"));
  });

  it("a prefix leaving no room for the hash is refused", () => {
    expect(() => goChainNameWithPrefix("n", "c", "X".repeat(24))).toThrow(/too long/);
  });

  it("FormatComment quotes as %q", () => {
    expect(goComment("refnet", 'a"b')).toBe('name: "refnet" id: "a\\"b"');
  });
});

const v4 = Uint8Array.of(10, 88, 7, 2);
const v6 = Uint8Array.of(0xfd, 0, 0, 0x88, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

describe("expression builders print as nft 1.0.6 prints the rule text", () => {
  it("ip daddr 192.0.2.10 tcp dport 8443 dnat to 10.88.7.2:443", () => {
    const exprs = [...addressEquals(4, "daddr", Uint8Array.of(192, 0, 2, 10)), ...portEquals("tcp", "dport", 8443), ...dnatTo(4, v4, 443)];
    expect(debugLines(exprs)).toEqual([
      "[ payload load 4b @ network header + 16 => reg 1 ]",
      "[ cmp eq reg 1 0x0a0200c0 ]",
      "[ meta load l4proto => reg 1 ]",
      "[ cmp eq reg 1 0x00000006 ]",
      "[ payload load 2b @ transport header + 2 => reg 1 ]",
      "[ cmp eq reg 1 0x0000fb20 ]",
      "[ immediate reg 1 0x0207580a ]",
      "[ immediate reg 2 0x0000bb01 ]",
      "[ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]",
    ]);
  });

  it("udp dport 5353 dnat to [fd00:88:7::2]:53", () => {
    expect(debugLines([...portEquals("udp", "dport", 5353), ...dnatTo(6, v6, 53)])).toEqual([
      "[ meta load l4proto => reg 1 ]",
      "[ cmp eq reg 1 0x00000011 ]",
      "[ payload load 2b @ transport header + 2 => reg 1 ]",
      "[ cmp eq reg 1 0x0000e914 ]",
      "[ immediate reg 1 0x880000fd 0x00000700 0x00000000 0x02000000 ]",
      "[ immediate reg 2 0x00003500 ]",
      "[ nat dnat ip6 addr_min reg 1 proto_min reg 2 flags 0x2 ]",
    ]);
  });

  it("snat to 192.0.2.1", () => {
    expect(debugLines(snatTo(4, Uint8Array.of(192, 0, 2, 1)))).toEqual(["[ immediate reg 1 0x010200c0 ]", "[ nat snat ip addr_min reg 1 ]"]);
  });

  it("fib daddr type local jump x", () => {
    expect(debugLines([...fibDestinationIsLocal(), jump("x")])).toEqual([
      "[ fib daddr type => reg 1 ]",
      "[ cmp eq reg 1 0x00000002 ]",
      "[ immediate reg 0 jump -> x ]",
    ]);
  });

  it("ct state established,related ct status dnat ct mark 0x10 counter accept", () => {
    const exprs = [...ctStateIn(["established", "related"]), ...ctStatusHas("dnat"), ...ctMarkEquals(0x10), counter(), verdict("accept")];
    expect(debugLines(exprs)).toEqual([
      "[ ct load state => reg 1 ]",
      "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]",
      "[ cmp neq reg 1 0x00000000 ]",
      "[ ct load status => reg 1 ]",
      "[ bitwise reg 1 = ( reg 1 & 0x00000020 ) ^ 0x00000000 ]",
      "[ cmp neq reg 1 0x00000000 ]",
      "[ ct load mark => reg 1 ]",
      "[ cmp eq reg 1 0x00000010 ]",
      "[ counter pkts 0 bytes 0 ]",
      "[ immediate reg 0 accept ]",
    ]);
  });

  it("iifname \"veth1\" and ether saddr 0a:58:0a:01:00:02 (bridge family: no iiftype check)", () => {
    expect(debugLines([...interfaceNameEquals("iifname", "veth1"), ...etherSourceEquals(macBytes("0a:58:0a:01:00:02"))])).toEqual([
      "[ meta load iifname => reg 1 ]",
      "[ cmp eq reg 1 0x68746576 0x00000031 0x00000000 0x00000000 ]",
      "[ payload load 6b @ link header + 6 => reg 1 ]",
      "[ cmp eq reg 1 0x010a580a 0x00000200 ]",
    ]);
  });
});

describe("sameExpr", () => {
  it("compares byte fields by content and treats an absent optional field as undefined", () => {
    const listed: NftExpr = { type: "cmp", op: "eq", sreg: 1, data: Uint8Array.of(1, 2) };
    expect(sameExpr(listed, { type: "cmp", op: "eq", sreg: 1, data: Uint8Array.of(1, 2) })).toBe(true);
    expect(sameExpr(listed, { type: "cmp", op: "eq", sreg: 1, data: Uint8Array.of(1, 3) })).toBe(false);
    expect(sameExpr({ type: "masq" }, { type: "masq", flags: undefined })).toBe(true);
    expect(sameExpr({ type: "masq" }, { type: "masq", flags: 4 })).toBe(false);
  });
});

describe("addOnlyOps with an attachment's own chains (the spoof-check shape)", () => {
  const comment = "macspoofchk-c1-eth0";
  const layout = (mac: string): NftLayout => ({
    family: "bridge",
    table: "nat",
    chains: [
      { name: "PREROUTING", type: "filter", hook: "prerouting", priority: -300, policy: "accept" },
      { name: "iface", rules: [{ exprs: [jump("mac")], comment }] },
      { name: "mac", rules: [{ exprs: [...etherSourceEquals(macBytes(mac)), verdict("return")], comment }, { exprs: [verdict("drop")], comment }] },
    ],
  });
  const entry = { chain: "PREROUTING", exprs: [...interfaceNameEquals("iifname", "veth1"), jump("iface")], comment };
  const attachment = { commentPrefix: comment, owns: (rule: NftRule) => rule.comment === comment, rules: [entry] };
  const listed = (chain: string, handle: number, exprs: NftExpr[]): NftRule => ({ family: "bridge", table: "nat", chain, handle, exprs, comment });
  const inPlace = (mac: string): Map<string, NftRule[]> =>
    new Map([
      ["PREROUTING", [listed("PREROUTING", 2, entry.exprs)]],
      ["iface", [listed("iface", 3, [jump("mac")])]],
      ["mac", layout(mac).chains[2]?.rules?.map((rule, i) => listed("mac", 4 + i, rule.exprs)) ?? []],
    ]);

  it("a shared table without our chains: table kept, chains created, filled, entry rule added", () => {
    expect(addOnlyOps(tableContents(layout("0a:58:0a:01:00:02"), new Map()), layout("0a:58:0a:01:00:02"), attachment).map((op) => `${op.op} ${"chain" in op ? op.chain : op.name}`)).toEqual([
      "addTable nat",
      "createChain PREROUTING",
      "createChain iface",
      "createChain mac",
      "addRule iface",
      "addRule mac",
      "addRule mac",
      "addRule PREROUTING",
    ]);
  });

  it("all in place: nothing; a new MAC: only the -mac chain is refilled; the fixed chains' rules are never taken for the entry rule", () => {
    expect(addOnlyOps(tableContents(layout("0a:58:0a:01:00:02"), inPlace("0a:58:0a:01:00:02")), layout("0a:58:0a:01:00:02"), attachment)).toEqual([]);
    const ops = addOnlyOps(tableContents(layout("0a:58:0a:01:00:09"), inPlace("0a:58:0a:01:00:02")), layout("0a:58:0a:01:00:09"), attachment);
    expect(ops.map((op) => `${op.op} ${"chain" in op ? op.chain : op.name}`)).toEqual(["flushChain mac", "addRule mac", "addRule mac"]);
  });

  it("a base chain of the same name with another hook gets our addChain, which the kernel refuses (as the reference's)", () => {
    const current = tableContents(layout("0a:58:0a:01:00:02"), inPlace("0a:58:0a:01:00:02"));
    const prerouting = current.chains.get("PREROUTING");
    const chains = new Map(current.chains);
    if (prerouting !== undefined) chains.set("PREROUTING", { ...prerouting, hook: "input" });
    const ops = addOnlyOps({ chains, rules: current.rules }, layout("0a:58:0a:01:00:02"), attachment);
    expect(ops).toEqual([{ op: "addChain", family: "bridge", table: "nat", name: "PREROUTING", hook: "prerouting", type: "filter", priority: -300, policy: "accept" }]);
  });
});

describe("the iptables runner", () => {
  it("a command that exits before reading its input reports its exit status, not a start failure (EPIPE)", () => {
    const result = hostRunner().run("sh", ["-c", "exit 3"], "-A X\n".repeat(100_000));
    expect(result.status).toBe(3);
    expect(result.spawnErrorCode).toBeUndefined();
    expect(hostRunner().run("/nonexistent/iptables", []).spawnErrorCode).toBe("ENOENT");
  });
});
