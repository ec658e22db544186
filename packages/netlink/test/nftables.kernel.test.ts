// Nftables against the real kernel, inside namespaces these tests create (prefix nft-) and always delete.
// The independent witness is nft itself: a layout committed through Nftables must list (`nft -a list
// ruleset`, `nft -j list ruleset`) exactly as the same layout loaded by `nft -f` into a second namespace.
// nft is only ever run inside those namespaces.
import { execFileSync } from "node:child_process";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { Errno, NetlinkError, Nftables, type NftExpr, type NftOp } from "../src/index";
import { TestNamespaces } from "./kernel-namespaces";

// ---- namespace bookkeeping: every namespace made here is removed, also when a test fails ----

const namespaces = new TestNamespaces("nft", (path) => Nftables.at(path));

function newNamespace(): { name: string; path: string; nft: Nftables } {
  const { name, path, handle } = namespaces.create();
  return { name, path, nft: handle };
}

afterEach(() => namespaces.removeAll());
afterAll(() => namespaces.removeAllAndCheckNoneLeft());

/** Run nft inside a namespace (never in the machine's own). */
function nftIn(ns: string, args: string[], input?: string): string {
  return execFileSync("ip", ["netns", "exec", ns, "nft", ...args], { encoding: "utf8", ...(input === undefined ? {} : { input }) });
}

/** `nft -a list ruleset`: the rules as nft prints them, with the kernel's handles. */
function listing(ns: string): string {
  return nftIn(ns, ["-a", "list", "ruleset"]);
}

/** `nft -j list ruleset`, parsed. */
function listingJson(ns: string): unknown {
  return JSON.parse(nftIn(ns, ["-j", "list", "ruleset"])) as unknown;
}

// ---- expression builders: what nft generates for the rule text in each comment ----

const REG_1 = 1;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const meta = (key: "nfproto" | "iifname"): NftExpr => ({ type: "meta", key, dreg: REG_1 });
const load = (base: "link" | "network", offset: number, len: number): NftExpr => ({ type: "payload", base, offset, len, dreg: REG_1 });
const cmp = (op: "eq" | "neq", data: Uint8Array): NftExpr => ({ type: "cmp", op, sreg: REG_1, data });

/** `ip saddr <src> ip daddr != <net>/<len> masquerade` for a byte-aligned prefix (a shorter compare, as nft does). */
function masqueradeIpv4(src: number[], net: number[], prefixBytes: number): NftExpr[] {
  return [
    meta("nfproto"),
    cmp("eq", bytes(NFPROTO_IPV4)),
    load("network", 12, 4),
    cmp("eq", bytes(...src)),
    load("network", 16, prefixBytes),
    cmp("neq", bytes(...net.slice(0, prefixBytes))),
    { type: "masq" },
  ];
}

/** `ip6 saddr fd00:1::2 ip6 daddr != fd00:1::/60 masquerade`: not byte-aligned, so bitwise + cmp. */
function masqueradeIpv6Prefix60(): NftExpr[] {
  const src = new Uint8Array(16);
  src.set([0xfd, 0x00, 0x00, 0x01]);
  src[15] = 2;
  const mask = new Uint8Array(16);
  mask.fill(0xff, 0, 7);
  mask[7] = 0xf0;
  const net = new Uint8Array(16);
  net.set([0xfd, 0x00, 0x00, 0x01]);
  return [
    meta("nfproto"),
    cmp("eq", bytes(NFPROTO_IPV6)),
    load("network", 8, 16),
    cmp("eq", src),
    load("network", 24, 16),
    { type: "bitwise", sreg: REG_1, dreg: REG_1, len: 16, mask, xor: new Uint8Array(16) },
    cmp("neq", net),
    { type: "masq" },
  ];
}

const MASQ_TABLE = "cni_plugins_masquerade";
const TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins";
const CHECKS_COMMENT = "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
const COMMENT_V4 = "0123456789abcdef-fedcba9876543210, net: mynet, if: eth0, id: cid1";
const COMMENT_V6 = "0123456789abcdef-fedcba9876543210, net: mynet, if: eth0, id: cid1 v6";
const COMMENT_OTHER = "0123456789abcdef-aaaaaaaaaaaaaaaa, net: mynet, if: eth0, id: cid2";

function masqueradeOps(): NftOp[] {
  const inet = { family: "inet", table: MASQ_TABLE } as const;
  return [
    { op: "addTable", family: "inet", name: MASQ_TABLE, comment: TABLE_COMMENT },
    { op: "addChain", ...inet, name: "masq_checks", comment: CHECKS_COMMENT },
    { op: "addChain", ...inet, name: "postrouting", type: "nat", hook: "postrouting", priority: 100 },
    { op: "flushChain", ...inet, name: "postrouting" },
    {
      op: "addRule",
      ...inet,
      chain: "postrouting",
      exprs: [
        meta("nfproto"),
        cmp("eq", bytes(NFPROTO_IPV4)),
        load("network", 16, 4),
        { type: "bitwise", sreg: REG_1, dreg: REG_1, len: 4, mask: bytes(0xf0, 0, 0, 0), xor: bytes(0, 0, 0, 0) },
        cmp("eq", bytes(0xe0, 0, 0, 0)),
        { type: "verdict", verdict: "return" },
      ],
    },
    {
      op: "addRule",
      ...inet,
      chain: "postrouting",
      exprs: [meta("nfproto"), cmp("eq", bytes(NFPROTO_IPV6)), load("network", 24, 1), cmp("eq", bytes(0xff)), { type: "verdict", verdict: "return" }],
    },
    { op: "addRule", ...inet, chain: "postrouting", exprs: [{ type: "verdict", verdict: "goto", chain: "masq_checks" }] },
    { op: "addRule", ...inet, chain: "masq_checks", exprs: masqueradeIpv4([10, 1, 0, 2], [10, 1, 0, 0], 3), comment: COMMENT_V4 },
    { op: "addRule", ...inet, chain: "masq_checks", exprs: masqueradeIpv6Prefix60(), comment: COMMENT_V6 },
    { op: "addRule", ...inet, chain: "masq_checks", exprs: masqueradeIpv4([10, 1, 0, 3], [10, 1, 0, 0], 3), comment: COMMENT_OTHER },
  ];
}

/** The same layout in nft's language, as the reference (through knftables) loads it. */
const MASQUERADE_TEXT = `
add table inet ${MASQ_TABLE} { comment "${TABLE_COMMENT}" ; }
add chain inet ${MASQ_TABLE} masq_checks { comment "${CHECKS_COMMENT}" ; }
add chain inet ${MASQ_TABLE} postrouting { type nat hook postrouting priority srcnat ; }
flush chain inet ${MASQ_TABLE} postrouting
add rule inet ${MASQ_TABLE} postrouting ip daddr 224.0.0.0/4 return
add rule inet ${MASQ_TABLE} postrouting ip6 daddr ff00::/8 return
add rule inet ${MASQ_TABLE} postrouting goto masq_checks
add rule inet ${MASQ_TABLE} masq_checks ip saddr 10.1.0.2 ip daddr != 10.1.0.0/24 masquerade comment "${COMMENT_V4}"
add rule inet ${MASQ_TABLE} masq_checks ip6 saddr fd00:1::2 ip6 daddr != fd00:1::/60 masquerade comment "${COMMENT_V6}"
add rule inet ${MASQ_TABLE} masq_checks ip saddr 10.1.0.3 ip daddr != 10.1.0.0/24 masquerade comment "${COMMENT_OTHER}"
`;

const IFACE_CHAIN = "cni-br-iface-cid1-eth0";
const MAC_CHAIN = `${IFACE_CHAIN}-mac`;
const SPOOF_COMMENT = "macspoofchk-cid1-eth0";

function spoofCheckOps(hostVeth: string, mac: number[]): NftOp[] {
  const nat = { family: "bridge", table: "nat" } as const;
  const ifname = new Uint8Array(16);
  ifname.set(new TextEncoder().encode(hostVeth));
  return [
    { op: "addTable", family: "bridge", name: "nat" },
    { op: "addChain", ...nat, name: "PREROUTING", type: "filter", hook: "prerouting", priority: -300, policy: "accept" },
    { op: "addChain", ...nat, name: IFACE_CHAIN },
    { op: "addChain", ...nat, name: MAC_CHAIN },
    { op: "flushChain", ...nat, name: IFACE_CHAIN },
    { op: "flushChain", ...nat, name: MAC_CHAIN },
    {
      op: "addRule",
      ...nat,
      chain: "PREROUTING",
      exprs: [meta("iifname"), cmp("eq", ifname), { type: "verdict", verdict: "jump", chain: IFACE_CHAIN }],
      comment: SPOOF_COMMENT,
    },
    { op: "addRule", ...nat, chain: IFACE_CHAIN, exprs: [{ type: "verdict", verdict: "jump", chain: MAC_CHAIN }], comment: SPOOF_COMMENT },
    {
      op: "addRule",
      ...nat,
      chain: MAC_CHAIN,
      exprs: [load("link", 6, 6), cmp("eq", bytes(...mac)), { type: "verdict", verdict: "return" }],
      comment: SPOOF_COMMENT,
    },
    { op: "addRule", ...nat, chain: MAC_CHAIN, exprs: [{ type: "verdict", verdict: "drop" }], comment: SPOOF_COMMENT },
  ];
}

const SPOOF_CHECK_TEXT = `
add table bridge nat
add chain bridge nat PREROUTING { type filter hook prerouting priority -300 ; policy accept ; }
add chain bridge nat ${IFACE_CHAIN}
add chain bridge nat ${MAC_CHAIN}
flush chain bridge nat ${IFACE_CHAIN}
flush chain bridge nat ${MAC_CHAIN}
add rule bridge nat PREROUTING iifname "veth0a1b2c3d" jump ${IFACE_CHAIN} comment "${SPOOF_COMMENT}"
add rule bridge nat ${IFACE_CHAIN} jump ${MAC_CHAIN} comment "${SPOOF_COMMENT}"
add rule bridge nat ${MAC_CHAIN} ether saddr 0a:58:0a:01:00:02 return comment "${SPOOF_COMMENT}"
add rule bridge nat ${MAC_CHAIN} drop comment "${SPOOF_COMMENT}"
`;

// The shapes portmap's nftables backend and a firewall write: ports, dnat to address:port (both families),
// snat, fib daddr type local, ct state/status/mark; created with createTable/createChain (NLM_F_EXCL).
const HOSTPORT_TABLE = "cni_hostport";

function portmapOps(): NftOp[] {
  const ip = { family: "ip", table: HOSTPORT_TABLE } as const;
  const ip6 = { family: "ip6", table: HOSTPORT_TABLE } as const;
  const tcpDport = (port: number): NftExpr[] => [
    { type: "meta", key: "l4proto", dreg: REG_1 },
    cmp("eq", bytes(6)),
    { type: "payload", base: "transport", offset: 2, len: 2, dreg: REG_1 },
    cmp("eq", bytes(port >> 8, port & 0xff)),
  ];
  const dnat = (family: "ipv4" | "ipv6", address: Uint8Array, port: number): NftExpr[] => [
    { type: "immediate", dreg: 1, data: address },
    { type: "immediate", dreg: 2, data: bytes(port >> 8, port & 0xff) },
    { type: "nat", nat: "dnat", family, addrReg: 1, protoReg: 2 },
  ];
  const fibLocal: NftExpr[] = [{ type: "fib", dreg: REG_1, result: "type", flags: 2 }, cmp("eq", bytes(2, 0, 0, 0))];
  const v6 = new Uint8Array(16);
  v6.set([0xfd, 0x00, 0x00, 0x88, 0x00, 0x07]);
  v6[15] = 2;
  const ct = (key: "state" | "status", bits: number): NftExpr[] => [
    { type: "ct", key, dreg: REG_1 },
    { type: "bitwise", sreg: REG_1, dreg: REG_1, len: 4, mask: bytes(bits, 0, 0, 0), xor: bytes(0, 0, 0, 0) },
    cmp("neq", bytes(0, 0, 0, 0)),
  ];
  return [
    { op: "createTable", family: "ip", name: HOSTPORT_TABLE, comment: "CNI portmap plugin" },
    { op: "createChain", ...ip, name: "hostports" },
    { op: "createChain", ...ip, name: "prerouting", type: "nat", hook: "prerouting", priority: -100 },
    { op: "createChain", ...ip, name: "masquerading", type: "nat", hook: "postrouting", priority: 100 },
    { op: "createChain", ...ip, name: "forward", type: "filter", hook: "forward", priority: 0 },
    { op: "addRule", ...ip, chain: "prerouting", exprs: [...fibLocal, { type: "verdict", verdict: "jump", chain: "hostports" }] },
    { op: "addRule", ...ip, chain: "hostports", exprs: [load("network", 16, 4), cmp("eq", bytes(192, 0, 2, 10)), ...tcpDport(8443), ...dnat("ipv4", bytes(10, 88, 7, 2), 443)], comment: "ctr1" },
    { op: "addRule", ...ip, chain: "masquerading", exprs: [load("network", 12, 4), cmp("eq", bytes(10, 88, 7, 2)), { type: "immediate", dreg: 1, data: bytes(192, 0, 2, 1) }, { type: "nat", nat: "snat", family: "ipv4", addrReg: 1 }], comment: "ctr1" },
    { op: "addRule", ...ip, chain: "forward", exprs: [...ct("state", 0x06), { type: "verdict", verdict: "accept" }] },
    { op: "addRule", ...ip, chain: "forward", exprs: [...ct("status", 0x20), { type: "counter" }, { type: "verdict", verdict: "accept" }] },
    { op: "addRule", ...ip, chain: "forward", exprs: [{ type: "ct", key: "mark", dreg: REG_1 }, cmp("eq", bytes(0x10, 0, 0, 0)), { type: "verdict", verdict: "drop" }] },
    { op: "createTable", family: "ip6", name: HOSTPORT_TABLE },
    { op: "createChain", ...ip6, name: "prerouting", type: "nat", hook: "prerouting", priority: -100 },
    { op: "addRule", ...ip6, chain: "prerouting", exprs: [...tcpDport(8080), ...dnat("ipv6", v6, 80)], comment: "ctr1" },
  ];
}

const PORTMAP_TEXT = `
add table ip ${HOSTPORT_TABLE} { comment "CNI portmap plugin" ; }
add chain ip ${HOSTPORT_TABLE} hostports
add chain ip ${HOSTPORT_TABLE} prerouting { type nat hook prerouting priority dstnat ; }
add chain ip ${HOSTPORT_TABLE} masquerading { type nat hook postrouting priority srcnat ; }
add chain ip ${HOSTPORT_TABLE} forward { type filter hook forward priority 0 ; }
add rule ip ${HOSTPORT_TABLE} prerouting fib daddr type local jump hostports
add rule ip ${HOSTPORT_TABLE} hostports ip daddr 192.0.2.10 tcp dport 8443 dnat to 10.88.7.2:443 comment "ctr1"
add rule ip ${HOSTPORT_TABLE} masquerading ip saddr 10.88.7.2 snat to 192.0.2.1 comment "ctr1"
add rule ip ${HOSTPORT_TABLE} forward ct state established,related accept
add rule ip ${HOSTPORT_TABLE} forward ct status dnat counter accept
add rule ip ${HOSTPORT_TABLE} forward ct mark 0x10 drop
add table ip6 ${HOSTPORT_TABLE}
add chain ip6 ${HOSTPORT_TABLE} prerouting { type nat hook prerouting priority dstnat ; }
add rule ip6 ${HOSTPORT_TABLE} prerouting tcp dport 8080 dnat to [fd00:88:7::2]:80 comment "ctr1"
`;

function caught(run: () => unknown): NetlinkError {
  try {
    run();
  } catch (failure) {
    expect(failure).toBeInstanceOf(NetlinkError);
    return failure as NetlinkError;
  }
  throw new Error("expected a NetlinkError");
}

describe("Nftables against the kernel", () => {
  test("the masquerade layout lists exactly as when nft -f loads the reference's rules", () => {
    const ours = newNamespace();
    const reference = newNamespace();
    ours.nft.commit(masqueradeOps());
    nftIn(reference.name, ["-f", "-"], MASQUERADE_TEXT);

    // Fresh namespaces number objects alike, so even the handles agree.
    const text = listing(ours.name);
    expect(text).toBe(listing(reference.name));
    expect(text).toContain(`ip saddr 10.1.0.2 ip daddr != 10.1.0.0/24 masquerade comment "${COMMENT_V4}" # handle`);
    expect(text).toContain(`ip6 saddr fd00:1::2 ip6 daddr != fd00:1::/60 masquerade comment "${COMMENT_V6}" # handle`);
    expect(text).toContain("type nat hook postrouting priority srcnat; policy accept;");
    expect(listingJson(ours.name)).toEqual(listingJson(reference.name));

    // Read back through the handle: the kernel's handles, the comments, the exprs as committed.
    const [table] = ours.nft.listTables("inet");
    expect(table).toMatchObject({ family: "inet", name: MASQ_TABLE, flags: 0, comment: TABLE_COMMENT });
    expect(ours.nft.listChains("inet", MASQ_TABLE).map(({ handle: _h, ...rest }) => rest)).toEqual([
      { family: "inet", table: MASQ_TABLE, name: "masq_checks", comment: CHECKS_COMMENT },
      { family: "inet", table: MASQ_TABLE, name: "postrouting", hook: "postrouting", priority: 100, type: "nat", policy: "accept" },
    ]);
    const rules = ours.nft.listRules("inet", MASQ_TABLE, "masq_checks");
    const committed = masqueradeOps().filter((op) => op.op === "addRule" && op.chain === "masq_checks");
    expect(rules.map((r) => ({ comment: r.comment, exprs: r.exprs }))).toEqual(
      committed.map((op) => (op.op === "addRule" ? { comment: op.comment, exprs: op.exprs } : undefined)),
    );
    const handleText = nftIn(ours.name, ["-a", "list", "chain", "inet", MASQ_TABLE, "masq_checks"]);
    for (const rule of rules) expect(handleText).toContain(`comment "${rule.comment ?? ""}" # handle ${rule.handle}`);
    expect(ours.nft.listRules("inet", MASQ_TABLE)).toHaveLength(6);

    // Committing the layout again (every ADD does) keeps one copy of the postrouting rules.
    ours.nft.commit(masqueradeOps().slice(0, 7));
    expect(ours.nft.listRules("inet", MASQ_TABLE, "postrouting")).toHaveLength(3);
  });

  test("the spoof-check layout lists exactly as when nft -f loads the reference's rules", () => {
    const ours = newNamespace();
    const reference = newNamespace();
    ours.nft.commit(spoofCheckOps("veth0a1b2c3d", [0x0a, 0x58, 0x0a, 0x01, 0x00, 0x02]));
    nftIn(reference.name, ["-f", "-"], SPOOF_CHECK_TEXT);
    const text = listing(ours.name);
    expect(text).toBe(listing(reference.name));
    expect(text).toContain(`ether saddr 0a:58:0a:01:00:02 return comment "${SPOOF_COMMENT}" # handle`);
    expect(listingJson(ours.name)).toEqual(listingJson(reference.name));
    const [prerouting] = ours.nft.listChains("bridge", "nat").filter((c) => c.name === "PREROUTING");
    expect(prerouting).toMatchObject({ hook: "prerouting", priority: -300, type: "filter", policy: "accept" });
    const jump = ours.nft.listRules("bridge", "nat", "PREROUTING");
    expect(jump).toHaveLength(1);
    expect(jump[0]?.exprs[2]).toEqual({ type: "verdict", verdict: "jump", chain: IFACE_CHAIN });
  });

  test("portmap- and firewall-shaped rules (ports, dnat/snat, fib, ct) list exactly as when nft -f loads their text", () => {
    const ours = newNamespace();
    const reference = newNamespace();
    ours.nft.commit(portmapOps());
    nftIn(reference.name, ["-f", "-"], PORTMAP_TEXT);
    const text = listing(ours.name);
    expect(text).toBe(listing(reference.name));
    expect(text).toContain('ip daddr 192.0.2.10 tcp dport 8443 dnat to 10.88.7.2:443 comment "ctr1"');
    expect(text).toContain('tcp dport 8080 dnat to [fd00:88:7::2]:80 comment "ctr1"');
    expect(text).toContain("fib daddr type local jump hostports");
    expect(text).toContain("ct status dnat counter packets 0 bytes 0 accept");
    expect(listingJson(ours.name)).toEqual(listingJson(reference.name));
    // read back: the expressions as committed (the kernel's max registers and implied nat flags folded back)
    const committed = portmapOps().flatMap((op) => (op.op === "addRule" && op.family === "ip" ? [op.exprs] : []));
    const listed = ours.nft.listRules("ip", HOSTPORT_TABLE).map((rule) => rule.exprs);
    expect(listed.sort((a, b) => a.length - b.length)).toEqual(committed.sort((a, b) => a.length - b.length));
  });

  test("createTable and createChain refuse what exists (EEXIST, naming the op); addChain keeps it", () => {
    const { nft } = newNamespace();
    nft.commit([{ op: "createTable", family: "ip", name: "t" }, { op: "createChain", family: "ip", table: "t", name: "c" }]);
    expect(caught(() => nft.commit([{ op: "createChain", family: "ip", table: "t", name: "c" }]))).toMatchObject({ code: "EEXIST" });
    expect(caught(() => nft.commit([{ op: "createTable", family: "ip", name: "t" }])).message).toContain("createTable ip t");
    nft.commit([{ op: "addTable", family: "ip", name: "t" }, { op: "addChain", family: "ip", table: "t", name: "c" }]);
    expect(nft.listChains("ip", "t").map((chain) => chain.name)).toEqual(["c"]);
  });

  test("deleteRulesByCommentPrefix removes exactly the matching rules, and a missing table or chain is 0", () => {
    const { name, nft } = newNamespace();
    nft.commit(masqueradeOps());
    expect(nft.deleteRulesByCommentPrefix("inet", MASQ_TABLE, "masq_checks", "0123456789abcdef-fedcba9876543210")).toBe(2);
    const left = nft.listRules("inet", MASQ_TABLE, "masq_checks");
    expect(left.map((r) => r.comment)).toEqual([COMMENT_OTHER]);
    expect(nftIn(name, ["list", "chain", "inet", MASQ_TABLE, "masq_checks"])).not.toContain("cid1");
    expect(nft.deleteRulesByCommentPrefix("inet", MASQ_TABLE, "masq_checks", "0123456789abcdef-fedcba9876543210")).toBe(0);
    expect(nft.deleteRulesByCommentPrefix("inet", MASQ_TABLE, "no_such_chain", "0")).toBe(0);
    expect(nft.deleteRulesByCommentPrefix("inet", "no_such_table", "masq_checks", "0")).toBe(0);
    // rules without a comment (postrouting) never match, not even the empty prefix
    expect(nft.deleteRulesByCommentPrefix("inet", MASQ_TABLE, "postrouting", "")).toBe(0);
  });

  test("listRules with a commentPrefix returns only those rules (filtered in the addon)", () => {
    const { nft } = newNamespace();
    nft.commit(masqueradeOps());
    const mine = nft.listRules("inet", MASQ_TABLE, "masq_checks", { commentPrefix: "0123456789abcdef-fedcba9876543210" });
    expect(mine.map((rule) => rule.comment)).toEqual([COMMENT_V4, COMMENT_V6]);
    expect(nft.listRules("inet", MASQ_TABLE, undefined, { commentPrefix: "0123456789abcdef-" })).toHaveLength(3);
    expect(nft.listRules("inet", MASQ_TABLE, "postrouting", { commentPrefix: "" })).toEqual([]); // no comment: never listed
  });

  test("listing a missing table or chain is ENOENT naming it", () => {
    const { nft } = newNamespace();
    const noTable = caught(() => nft.listRules("inet", "no_such_table"));
    expect([noTable.code, noTable.errno, noTable.request, noTable.subject]).toEqual(["ENOENT", Errno.ENOENT, "nftListRules", "inet no_such_table"]);
    nft.commit([{ op: "addTable", family: "inet", name: "t" }]);
    const noChain = caught(() => nft.listRules("inet", "t", "c"));
    expect([noChain.code, noChain.subject]).toEqual(["ENOENT", "inet t/c"]);
    expect(nft.listRules("inet", "t")).toEqual([]);
  });

  test("a batch whose 3rd op fails applies nothing and names that op", () => {
    const { name, nft } = newNamespace();
    const failure = caught(() =>
      nft.commit([
        { op: "addTable", family: "inet", name: "t" },
        { op: "addChain", family: "inet", table: "t", name: "c" },
        { op: "addRule", family: "inet", table: "t", chain: "missing", exprs: [{ type: "counter" }] },
        { op: "addRule", family: "inet", table: "t", chain: "c", exprs: [{ type: "counter" }] },
      ]),
    );
    expect([failure.code, failure.request, failure.subject]).toEqual(["ENOENT", "nftCommit", "addRule inet t/missing"]);
    expect(failure.message).toContain("op 3 of 4");
    expect(nft.listTables()).toEqual([]);
    expect(nftIn(name, ["list", "ruleset"]).trim()).toBe("");
  });

  test("deleting a rule by handle, a chain and a table", () => {
    const { nft } = newNamespace();
    nft.commit(masqueradeOps());
    const [first] = nft.listRules("inet", MASQ_TABLE, "masq_checks");
    if (first === undefined) throw new Error("no rule");
    nft.commit([{ op: "deleteRule", family: "inet", table: MASQ_TABLE, chain: "masq_checks", handle: first.handle }]);
    expect(nft.listRules("inet", MASQ_TABLE, "masq_checks").map((r) => r.handle)).not.toContain(first.handle);
    const gone = caught(() => nft.commit([{ op: "deleteRule", family: "inet", table: MASQ_TABLE, chain: "masq_checks", handle: first.handle }]));
    expect([gone.code, gone.subject]).toEqual(["ENOENT", `deleteRule inet ${MASQ_TABLE}/masq_checks handle ${first.handle}`]);
    // a chain still jumped to cannot go; after the flush it can
    const busy = caught(() => nft.commit([{ op: "deleteChain", family: "inet", table: MASQ_TABLE, name: "masq_checks" }]));
    expect(busy.code).toBe("EBUSY");
    nft.commit([
      { op: "flushChain", family: "inet", table: MASQ_TABLE, name: "postrouting" },
      { op: "flushChain", family: "inet", table: MASQ_TABLE, name: "masq_checks" },
      { op: "deleteChain", family: "inet", table: MASQ_TABLE, name: "masq_checks" },
    ]);
    expect(nft.listChains("inet").map((c) => c.name)).toEqual(["postrouting"]);
    nft.commit([{ op: "deleteTable", family: "inet", name: MASQ_TABLE }]);
    expect(nft.listTables()).toEqual([]);
  });

  test("bad input is EINVAL naming the op and field, before anything is sent", () => {
    const { nft } = newNamespace();
    const cases: Array<[unknown, string]> = [
      [[{ op: "addTable", family: "inet6", name: "t" }], "op 1: family"],
      [[{ op: "addTable", family: "inet", name: "t" }, { op: "renameTable", family: "inet", name: "t" }], 'op 2: unknown op "renameTable"'],
      [[{ op: "addRule", family: "inet", table: "t", chain: "c", exprs: [{ type: "cmp", op: "eq", sreg: 1, data: "x" }] }], "op 1 expr 1: data"],
      [[{ op: "addRule", family: "inet", table: "t", chain: "c", exprs: [{ type: "verdict", verdict: "jump" }] }], "jump needs a chain"],
      [[{ op: "addRule", family: "inet", table: "t", chain: "c", exprs: {} }], "exprs must be an array"],
      [[{ op: "addChain", family: "inet", table: "t", name: "c", policy: "drop" }], "base chain"],
      [[{ op: "addChain", family: "inet", table: "t", name: "c", hook: "sideways" }], "hook"],
      [[{ op: "addTable", family: "inet", name: "" }], "invalid table name"],
      [[{ op: "addTable", family: "inet", name: "t", comment: "c".repeat(300) }], "comment is 300 bytes"],
      [[{ op: "deleteRule", family: "inet", table: "t", chain: "c", handle: -1 }], "handle"],
    ];
    for (const [ops, text] of cases) {
      const failure = caught(() => nft.commit(ops as NftOp[]));
      expect(failure.code).toBe("EINVAL");
      expect(failure.request).toBe("nftCommit");
      expect(failure.message).toContain(text);
    }
    expect(nft.listTables()).toEqual([]);
  });

  test("a closed handle is EBADF and a missing namespace ENOENT", () => {
    const { nft } = newNamespace();
    nft.close();
    expect(caught(() => nft.listTables()).code).toBe("EBADF");
    expect(caught(() => Nftables.at("/var/run/netns/nft-does-not-exist")).code).toBe("ENOENT");
  });
});

// A batch beyond the socket's default send buffer (~200 KB, about 550 of these rules) used to fail with
// EMSGSIZE; one failing op per message beyond its receive buffer would drop errors (ENOBUFS).
describe("Nftables with big batches", () => {
  const RULES = 2000;
  const inet = { family: "inet", table: MASQ_TABLE } as const;
  const commentOf = (i: number): string => `${i.toString(16).padStart(16, "0")}-fedcba9876543210, net: mynet, if: eth0, id: c${i}`;
  /** 2,000 masquerade rules like the plugin's, one per container address 10.1.x.y. */
  const manyRules = (chain: string): NftOp[] =>
    Array.from({ length: RULES }, (_, i): NftOp => ({
      op: "addRule",
      ...inet,
      chain,
      exprs: masqueradeIpv4([10, 1, i >> 8, i & 0xff], [10, 1, 0, 0], 2),
      comment: commentOf(i),
    }));

  test("one commit of 2,000 rules applies them all; listing and deleting them by comment work", () => {
    const { name, nft } = newNamespace();
    nft.commit([{ op: "addTable", family: "inet", name: MASQ_TABLE }, { op: "addChain", ...inet, name: "masq_checks" }, ...manyRules("masq_checks")]);
    const rules = nft.listRules("inet", MASQ_TABLE, "masq_checks");
    expect(rules).toHaveLength(RULES);
    expect(rules[RULES - 1]?.comment).toBe(commentOf(RULES - 1));
    expect(nftIn(name, ["list", "chain", "inet", MASQ_TABLE, "masq_checks"]).split("masquerade comment").length - 1).toBe(RULES);
    // one delete batch of 2,000 ops, and its ack, go through too
    expect(nft.deleteRulesByCommentPrefix("inet", MASQ_TABLE, "masq_checks", "")).toBe(RULES);
    expect(nft.listRules("inet", MASQ_TABLE, "masq_checks")).toEqual([]);
  });

  test("2,000 failing ops: the first one is named, nothing is applied", () => {
    const { name, nft } = newNamespace();
    const failure = caught(() => nft.commit([{ op: "addTable", family: "inet", name: MASQ_TABLE }, ...manyRules("missing")]));
    expect([failure.code, failure.request, failure.subject]).toEqual(["ENOENT", "nftCommit", `addRule inet ${MASQ_TABLE}/missing`]);
    expect(failure.message).toContain(`op 2 of ${RULES + 1}`);
    expect(nft.listTables()).toEqual([]);
    expect(nftIn(name, ["list", "ruleset"]).trim()).toBe("");
  });
});
