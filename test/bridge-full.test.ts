// A full bridge: a Linux bridge numbers its ports 1..1023 (BR_MAX_PORTS) and refuses the next with
// EXFULL. bin/bridge must then fail with code 11 naming the bridge and the limit, leave nothing (no veth,
// no lease), and keep working for DELs and for ADDs once a port is free. The bridge is filled cheaply with
// veth pairs made by one `ip -batch` in the throwaway host namespace.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { leaseNames } from "./host-local-helpers";
import { cleanupAll, createHostNetns, createNetns, inNetns, linkNamesButLo, links, type TestNetns } from "./lib/netns";
import { failed, succeeded } from "./lib/outcome";
import { BIN_DIR, ourPlugin, runPlugin, type PluginCall } from "./lib/plugin";

const BRIDGE = ourPlugin("bridge");
const NETWORK = "fullnet";
const BR = "fullbr0";
/** The kernel's limit: port numbers 1..BR_MAX_PORTS-1 (net/bridge/br_private.h, BR_MAX_PORTS = 1 << 10). */
const MAX_PORTS = 1023;

let work: string;
let host: TestNetns;
let first: TestNetns;
let second: TestNetns;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-bridge-full-"));
  host = createHostNetns("brfull-host");
  first = createNetns("brfull-a");
  second = createNetns("brfull-b");
});
afterEach(() => {
  cleanupAll();
  rmSync(work, { recursive: true, force: true });
});
afterAll(cleanupAll);

const conf = {
  cniVersion: "1.0.0",
  name: NETWORK,
  type: "bridge",
  bridge: BR,
  isGateway: true,
  ipMasq: true,
  ipam: { type: "host-local", dataDir: "", ranges: [[{ subnet: "10.123.0.0/22" }]] },
};

function call(command: string, containerId: string, container: TestNetns): PluginCall {
  const stdin = { ...conf, ipam: { ...conf.ipam, dataDir: join(work, "ipam") } };
  return { command, containerId, netns: container.path, ifName: "eth0", path: BIN_DIR, stdin, hostNetns: host };
}

/** The bridge with `count` ports, each the host end of a veth pair whose other end stays beside it. */
function fillBridge(count: number): void {
  inNetns(host, "ip", ["link", "add", BR, "type", "bridge"]);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`link add fill${i} master ${BR} type veth peer name peer${i}`);
  const batch = join(work, "fill.batch");
  writeFileSync(batch, `${lines.join("\n")}\n`);
  inNetns(host, "ip", ["-batch", batch]);
}

function portCount(): number {
  return links(host).filter((link) => link.master === BR).length;
}

describe("bridge at the kernel's port limit", () => {
  it(`fails the ADD after ${MAX_PORTS} ports with code 11 naming the bridge, leaves nothing, and works again once a port is free`, () => {
    fillBridge(MAX_PORTS - 1);
    succeeded(runPlugin(BRIDGE, call("ADD", "ctr-last", first)));
    expect(portCount()).toBe(MAX_PORTS);
    const hostLinksWhenFull = linkNamesButLo(host);

    const refused = failed(runPlugin(BRIDGE, call("ADD", "ctr-over", second)));
    expect(refused.code).toBe(11);
    expect(refused.msg).toBe(`bridge "${BR}" is full: a Linux bridge takes at most ${MAX_PORTS} ports`);
    expect(refused.details).toMatch(/EXFULL/);
    // nothing of the refused attachment: no veth on either side, no lease, no masquerade rule
    expect(linkNamesButLo(second)).toEqual([]);
    expect(linkNamesButLo(host)).toEqual(hostLinksWhenFull);
    expect(leaseNames(join(work, "ipam"), NETWORK)).toHaveLength(1);
    expect(inNetns(host, "nft", ["list", "ruleset"])).not.toContain("ctr-over");
    // the runtime's DEL after a failed ADD succeeds
    succeeded(runPlugin(BRIDGE, call("DEL", "ctr-over", second)));

    // a DEL on the full bridge frees a port; the refused container then gets it
    succeeded(runPlugin(BRIDGE, call("DEL", "ctr-last", first)));
    expect(portCount()).toBe(MAX_PORTS - 1);
    succeeded(runPlugin(BRIDGE, call("ADD", "ctr-over", second)));
    expect(portCount()).toBe(MAX_PORTS);
    inNetns(second, "ping", ["-c", "1", "-W", "2", "10.123.0.1"]);
    succeeded(runPlugin(BRIDGE, call("DEL", "ctr-over", second)));
    expect(leaseNames(join(work, "ipam"), NETWORK)).toEqual([]);
  });
});
