// The JS/Rust boundary: real objects from the addon (links of each kind, addresses, routes, a bridge port,
// VLANs where the kernel has them) against the field records declared next to the types (src/types.ts).
// Every returned field must be declared, with the declared JS type; every required field present; and
// every declared field must show up at least once across what is created here, so renaming a field on
// the Rust side (js/build.rs) fails this test. Runs inside namespaces it creates (prefix nlb-).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Netlink, netns, Nftables, type NftExpr, type NftOp } from "../src/index";
import { NFT_CHAIN_FIELDS, NFT_EXPR_FIELDS, NFT_RULE_FIELDS, NFT_TABLE_FIELDS } from "../src/nftables-types";
import { ADDRESS_FIELDS, BRIDGE_PORT_INFO_FIELDS, LINK_FIELDS, ROUTE_FIELDS, VLAN_FIELDS } from "../src/types";
import { expectBoundary } from "./boundary-check";
import { kernelHasVlanFiltering } from "./kernel-namespaces";

const names: string[] = [];
const handles: Netlink[] = [];
let main: Netlink;
let peerSide: Netlink;

const vlanFiltering = kernelHasVlanFiltering("nlb");

beforeAll(() => {
  const tag = randomBytes(3).toString("hex");
  for (const suffix of ["a", "b"]) {
    const name = `nlb-${tag}${suffix}`;
    netns.create(name);
    names.push(name);
  }
  main = Netlink.at(netns.pathOf(names[0] ?? ""));
  peerSide = Netlink.at(netns.pathOf(names[1] ?? ""));
  handles.push(main, peerSide);

  main.linkAddBridge({ name: "br0", up: true, ...(vlanFiltering ? { vlanFiltering: true } : {}) });
  // A veth whose peer lives in the other namespace (netnsId, peerIndex), enslaved to br0 (bridgePort).
  main.linkAddVeth({ name: "v0", peerName: "p0", peerNetns: peerSide.path, up: true });
  peerSide.linkSetUp("p0");
  main.linkSetMaster("v0", "br0");
  main.bridgePortSetFlags("v0", { hairpin: true, isolated: false, learning: true, unicastFlood: true });
  main.linkSetAlias("v0", "boundary");
  // A veth pair inside one namespace, and lo.
  main.linkAddVeth({ name: "v1", peerName: "v2", up: true });
  main.linkSetUp("v2");
  main.linkSetUp("lo");

  main.addrAdd("br0", "10.77.0.1/24", { label: "br0:web" });
  main.addrAdd("v1", "10.78.0.1/32", { peer: "10.78.0.2" });
  main.addrAdd("br0", "fd00:77::1/64", { nodad: true, validLft: 3600, preferredLft: 1800 });
  main.addrAdd("v2", "fd00:79::1/64", { nodad: true });
  main.routeAdd({ dst: "10.90.0.0/16", gateway: "10.77.0.254", metric: 20, mtu: 1300, advmss: 1200, src: "10.77.0.1" });
  // Two IPv6 next hops for one destination: the kernel reports them as one RTA_MULTIPATH route.
  main.routeAdd({ dst: "fd00:90::/64", gateway: "fd00:77::2", link: "br0" });
  main.routeAppend({ dst: "fd00:90::/64", gateway: "fd00:79::2", link: "v2" });
  if (vlanFiltering) main.bridgeVlanAdd("v0", 10, { pvid: true, untagged: true });
});

afterAll(() => {
  for (const handle of handles.splice(0)) handle.close();
  for (const name of names.splice(0)) netns.delete(name);
  expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toMatch(/^nlb-/m);
});

/** Optional expression fields no rule here sets (each has a rule that omits it). */
const NOT_PRODUCIBLE_EXPR_FIELDS: Record<string, string> = {
  "NftExpr.counter.bytes": "a counter's starting value: sent, never listed (the kernel's count is the traffic's)",
  "NftExpr.counter.packets": "a counter's starting value: sent, never listed (the kernel's count is the traffic's)",
};

/** A table with one rule per expression kind, every optional field set somewhere. */
function boundaryRuleset(): NftOp[] {
  const b = { family: "ip", table: "b" } as const;
  const reg1 = 1;
  const exprs: NftExpr[][] = [
    [
      { type: "meta", key: "l4proto", dreg: reg1 },
      { type: "cmp", op: "eq", sreg: reg1, data: Uint8Array.of(6) },
      { type: "payload", base: "transport", offset: 2, len: 2, dreg: reg1 },
      { type: "cmp", op: "eq", sreg: reg1, data: Uint8Array.of(0x1f, 0x90) },
      { type: "immediate", dreg: 1, data: Uint8Array.of(10, 88, 7, 2) },
      { type: "immediate", dreg: 2, data: Uint8Array.of(0, 80) },
      { type: "nat", nat: "dnat", family: "ipv4", addrReg: 1, protoReg: 2, flags: 4 },
    ],
    [
      { type: "fib", dreg: reg1, result: "type", flags: 2 },
      { type: "cmp", op: "eq", sreg: reg1, data: Uint8Array.of(2, 0, 0, 0) },
      { type: "ct", key: "status", dreg: reg1 },
      { type: "bitwise", sreg: reg1, dreg: reg1, len: 4, mask: Uint8Array.of(0x20, 0, 0, 0), xor: new Uint8Array(4) },
      { type: "cmp", op: "neq", sreg: reg1, data: new Uint8Array(4) },
      { type: "counter" },
      { type: "verdict", verdict: "jump", chain: "x" },
    ],
    [{ type: "masq", flags: 4 }],
    [{ type: "masq" }],
    [{ type: "verdict", verdict: "accept" }],
    // iptables-nft's form: an xtables comment match (its 256-byte info), a counter from zero
    [{ type: "match", name: "comment", rev: 0, info: new Uint8Array(256).fill(0x61, 0, 3) }, { type: "counter", bytes: 0, packets: 0 }, { type: "verdict", verdict: "drop" }],
  ];
  return [
    { op: "createTable", family: "ip", name: "b", comment: "boundary" },
    { op: "createChain", ...b, name: "x" },
    { op: "addChain", ...b, name: "pre", type: "nat", hook: "prerouting", priority: -100, policy: "accept", comment: "pre" },
    { op: "addChain", ...b, name: "post", type: "nat", hook: "postrouting", priority: 100 },
    ...exprs.map((list, i): NftOp => ({ op: "addRule", ...b, chain: list[0]?.type === "masq" ? "post" : "pre", exprs: list, ...(i === 0 ? { comment: "c" } : {}) })),
  ];
}

describe("addon results match the declared types", () => {
  test("Link (bridge, veth with a peer in another namespace, bridge port, lo)", () => {
    const links = [...main.linkList(), ...peerSide.linkList()];
    expect(links.map((link) => link.name).sort()).toEqual(["br0", "lo", "lo", "p0", "v0", "v1", "v2"]);
    expectBoundary(links, LINK_FIELDS, "Link", {
      "Link.permMac": "only devices with a permanent hardware address (physical NICs) report one",
      ...(vlanFiltering ? {} : { "Link.vlanFiltering": "kernel without CONFIG_BRIDGE_VLAN_FILTERING" }),
    });
    // spot checks that the values are the right ones, not only the right types
    const port = main.linkGet("v0");
    expect([port.kind, port.slaveKind, port.alias, port.master]).toEqual(["veth", "bridge", "boundary", main.linkGet("br0").index]);
    expect(port.bridgePort?.hairpin).toBe(true);
  });

  test("BridgePortInfo from bridgePortGet", () => {
    expectBoundary([main.bridgePortGet("v0")], BRIDGE_PORT_INFO_FIELDS, "BridgePortInfo");
  });

  test("Address (IPv4 with broadcast and label, point-to-point peer, IPv6 nodad with lifetimes)", () => {
    const addresses = main.addrList();
    expectBoundary(addresses, ADDRESS_FIELDS, "Address");
    const v4 = addresses.find((a) => a.address === "10.77.0.1");
    expect([v4?.family, v4?.prefixLength, v4?.broadcast, v4?.label]).toEqual([4, 24, "10.77.0.255", "br0:web"]);
    expect(addresses.find((a) => a.address === "10.78.0.1")?.peer).toBe("10.78.0.2");
  });

  test("Route and NextHop (gateway, src, metric, metrics, IPv6 multipath)", () => {
    const routes = [...main.routeList({ family: 4 }), ...main.routeList({ family: 6 })];
    expectBoundary(routes, ROUTE_FIELDS, "Route");
    const multipath = routes.find((r) => r.dst === "fd00:90::/64")?.multipath ?? [];
    expect(multipath.map((hop) => hop.gateway).sort()).toEqual(["fd00:77::2", "fd00:79::2"]);
  });

  test.skipIf(!vlanFiltering)("Vlan from bridgeVlanList", () => {
    expectBoundary(main.bridgeVlanList(), VLAN_FIELDS, "Vlan");
  });

  test("NftTable, NftChain, NftRule and every NftExpr kind (nat, fib, ct included) from the listings", () => {
    const nft = Nftables.at(main.path);
    try {
      nft.commit(boundaryRuleset());
      expectBoundary(nft.listTables(), NFT_TABLE_FIELDS, "NftTable");
      expectBoundary(nft.listChains(), NFT_CHAIN_FIELDS, "NftChain");
      const rules = nft.listRules("ip", "b");
      // the rule's own fields here, its expressions below against the record of their type
      expectBoundary(rules.map((rule) => ({ ...rule, exprs: [] })), NFT_RULE_FIELDS, "NftRule");
      const exprs = rules.flatMap((rule) => rule.exprs);
      for (const type of Object.keys(NFT_EXPR_FIELDS) as NftExpr["type"][]) {
        const ofType = exprs.filter((expr) => expr.type === type);
        if (type === "unknown") continue; // only for kernel expressions we do not model; none is written here
        expectBoundary(ofType, NFT_EXPR_FIELDS[type], `NftExpr.${type}`, NOT_PRODUCIBLE_EXPR_FIELDS);
      }
    } finally {
      nft.close();
    }
  });
});
