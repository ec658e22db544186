// The JS/Rust boundary: real objects from the addon (links of each kind, addresses, routes, a bridge port,
// VLANs where the kernel has them) against the field records declared next to the types (src/types.ts).
// Every returned field must be declared, with the declared JS type; every required field present; and
// every declared field must show up at least once across what is created here, so renaming a field on
// the Rust side (js/build.rs) fails this test. Runs inside namespaces it creates (prefix nlb-).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { native, type NativeAddon } from "../src/addon";
import { fileIdentity, fileStatus, listDirectory, Netlink, netns } from "../src/index";
import {
  ADDRESS_FIELDS,
  BRIDGE_PORT_INFO_FIELDS,
  DIRECTORY_ENTRY_FIELDS,
  FILE_IDENTITY_FIELDS,
  FILE_STATUS_FIELDS,
  type FieldDescription,
  LINK_FIELDS,
  ROUTE_FIELDS,
  VLAN_FIELDS,
} from "../src/types";
import { kernelHasVlanFiltering } from "./kernel-namespaces";

type Fields = Readonly<Record<string, FieldDescription>>;

/** Every function NativeAddon declares (TypeScript rejects a missing or extra name here). */
const NATIVE_FUNCTIONS = {
  open: true, close: true, linkGet: true, linkList: true, linkAddBridge: true, linkAddVeth: true,
  linkDel: true, linkSetUp: true, linkSetDown: true, linkSetMtu: true, linkSetMac: true, linkSetMaster: true,
  linkSetNoMaster: true, linkSetPromisc: true, linkSetAllmulti: true, linkSetNetns: true, linkSetName: true, linkSetTxQLen: true,
  linkSetAlias: true, bridgePortSetFlags: true, bridgePortGet: true, bridgeVlanAdd: true, bridgeVlanDel: true,
  bridgeVlanList: true, addrAdd: true, addrReplace: true, addrDel: true, addrList: true, routeAdd: true,
  routeReplace: true, routeAppend: true, routeDel: true, routeList: true, netnsCreate: true, netnsDelete: true,
  netnsCheck: true, netnsIsNetns: true, netnsSame: true, netnsExec: true, sysctlGet: true, sysctlSet: true, sysctlGetMany: true, sysctlExchange: true, flock: true,
  readFd: true, writeFd: true, fileIdentity: true, nftCommit: true, nftListTables: true, nftListChains: true,
  nftListRules: true, nftDeleteRulesByCommentPrefix: true,
  fileOpen: true, fileClose: true, fileRead: true, fileWrite: true, fileUnlink: true, fileRename: true,
  fileStat: true, fileSetTimes: true, fileAccess: true, dirCreate: true, dirRemoveTree: true, dirList: true,
} as const satisfies Record<keyof NativeAddon, true>;

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

/** Problems of `value` against `fields`; records each field seen under `prefix` in `seen`. */
function problems(value: unknown, fields: Fields, prefix: string, seen: Set<string>): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${prefix}: not a plain object`];
  const found: string[] = [];
  const record = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(record)) {
    const declared = fields[key];
    const path = `${prefix}.${key}`;
    if (declared === undefined) {
      found.push(`${path}: returned by the addon but not declared`);
      continue;
    }
    seen.add(path);
    found.push(...kindProblems(field, declared, path, seen));
  }
  for (const [key, declared] of Object.entries(fields)) {
    if (!declared.optional && !(key in record)) found.push(`${prefix}.${key}: required but missing`);
  }
  return found;
}

function kindProblems(field: unknown, declared: FieldDescription, path: string, seen: Set<string>): string[] {
  switch (declared.kind) {
    case "object":
      return problems(field, declared.shape ?? {}, path, seen);
    case "array": {
      if (!Array.isArray(field)) return [`${path}: expected an array, got ${typeof field}`];
      const found: string[] = [];
      for (const item of field as unknown[]) found.push(...problems(item, declared.items ?? {}, `${path}[]`, seen));
      return found;
    }
    default:
      return typeof field === declared.kind ? [] : [`${path}: expected ${declared.kind}, got ${typeof field}`];
  }
}

/** All field paths a record declares ("Link.bridgePort.state", "Route.multipath[].gateway"). */
function declaredPaths(fields: Fields, prefix: string): string[] {
  const paths: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const path = `${prefix}.${key}`;
    paths.push(path);
    if (field.shape !== undefined) paths.push(...declaredPaths(field.shape, path));
    if (field.items !== undefined) paths.push(...declaredPaths(field.items, `${path}[]`));
  }
  return paths;
}

/** Check every object, then that every declared field (but those listed as not producible) was seen. */
function expectBoundary(objects: unknown[], fields: Fields, name: string, notProducible: Record<string, string> = {}): void {
  expect(objects.length).toBeGreaterThan(0);
  const seen = new Set<string>();
  const found: string[] = [];
  for (const object of objects) found.push(...problems(object, fields, name, seen));
  expect(found).toEqual([]);
  const unseen = declaredPaths(fields, name).filter((path) => !seen.has(path) && notProducible[path] === undefined);
  expect(unseen).toEqual([]);
}

describe("addon results match the declared types", () => {
  test("the addon exports exactly the functions NativeAddon declares", () => {
    const addon = native() as unknown as Record<string, unknown>;
    expect(Object.keys(addon).sort()).toEqual(Object.keys(NATIVE_FUNCTIONS).sort());
    for (const name of Object.keys(addon)) expect([name, typeof addon[name]]).toEqual([name, "function"]);
  });

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

  test("FileIdentity from fileIdentity", () => {
    expectBoundary([fileIdentity("/proc/self/exe")], FILE_IDENTITY_FIELDS, "FileIdentity");
  });

  test("FileStatus from fileStatus, DirectoryEntry from listDirectory", () => {
    expectBoundary([fileStatus("/proc/self/exe"), fileStatus("/proc")], FILE_STATUS_FIELDS, "FileStatus");
    expectBoundary(listDirectory("/proc/self"), DIRECTORY_ENTRY_FIELDS, "DirectoryEntry");
  });
});
