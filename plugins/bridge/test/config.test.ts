// The bridge config reader and the gateway calculation: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { ErrorCode, type CmdArgs, type Result } from "@cni/skel";
import { readContainerMac } from "@cni/plugin-kit";
import { collectVlanTrunk, readBridgeConfig } from "../src/config";
import { calcGateways } from "../src/gateways";
import { macBytes } from "@cni/plugin-kit/netfilter";
import { spoofCheckComment, spoofCheckIfaceChain } from "../src/spoofcheck";
import { addCmdArgs } from "../../../packages/plugin-kit/test/cmd-args";
import { cniErrorOf } from "../../../packages/plugin-kit/test/expect-error";

function args(raw: Record<string, unknown>, cniArgs = ""): CmdArgs {
  return addCmdArgs("bridge", raw, cniArgs);
}

describe("readBridgeConfig", () => {
  it("reads every key with the reference's defaults; ipam {} is L2; isDefaultGateway implies isGateway", () => {
    expect(readBridgeConfig(args({ ipam: {} }))).toEqual({
      bridge: "cni0",
      ipamType: "",
      isGateway: false,
      isDefaultGateway: false,
      forceAddress: false,
      ipMasq: false,
      ipMasqBackend: "nftables",
      mtu: undefined,
      hairpinMode: false,
      promiscMode: false,
      vlan: 0,
      vlanTrunk: [],
      vlanTrunkGiven: false,
      preserveDefaultVlan: false,
      enableDad: false,
      macSpoofCheck: false,
      disableContainerInterface: false,
      portIsolation: false,
    });
    const full = {
      bridge: "br9", ipam: { type: "host-local" }, isDefaultGateway: true, forceAddress: true, ipMasq: true, ipMasqBackend: "iptables",
      mtu: 1400, hairpinMode: true, vlan: 100, vlanTrunk: [{ id: 7 }], preserveDefaultVlan: true, enabledad: true, macspoofchk: true,
      portIsolation: true,
    };
    expect(readBridgeConfig(args(full))).toMatchObject({
      bridge: "br9", ipamType: "host-local", isGateway: true, isDefaultGateway: true, forceAddress: true, ipMasq: true,
      ipMasqBackend: "iptables", mtu: 1400, hairpinMode: true, vlan: 100, vlanTrunk: [7], vlanTrunkGiven: true,
      preserveDefaultVlan: true, enableDad: true, macSpoofCheck: true, portIsolation: true,
    });
  });

  it.each([
    [{ bridge: 5 }, '"bridge" must be a string'],
    [{ bridge: "a/b" }, 'invalid "bridge" "a/b"'],
    [{ bridge: "a-name-far-too-long" }, 'invalid "bridge" "a-name-far-too-long"'],
    [{ isGateway: "yes" }, '"isGateway" must be a boolean'],
    [{ isDefaultGateway: 1 }, '"isDefaultGateway" must be a boolean'],
    [{ forceAddress: "x" }, '"forceAddress"'],
    [{ ipMasq: "x" }, '"ipMasq"'],
    [{ ipMasqBackend: "pf" }, "ipMasqBackend"],
    [{ mtu: -1 }, 'invalid "mtu" -1'],
    [{ mtu: 1.5 }, '"mtu"'],
    [{ hairpinMode: 1 }, '"hairpinMode"'],
    [{ promiscMode: 1 }, '"promiscMode"'],
    [{ vlan: -100 }, 'invalid "vlan": invalid VLAN ID -100 (must be between 0 and 4094)'],
    [{ vlan: 5000 }, 'invalid "vlan": invalid VLAN ID 5000 (must be between 0 and 4094)'],
    [{ vlanTrunk: {} }, '"vlanTrunk"'],
    [{ vlanTrunk: [5] }, '"vlanTrunk[0]" must be an object'],
    [{ preserveDefaultVlan: 1 }, '"preserveDefaultVlan"'],
    [{ enabledad: 1 }, '"enabledad"'],
    [{ macspoofchk: 1 }, '"macspoofchk"'],
    [{ disableContainerInterface: 1 }, '"disableContainerInterface"'],
    [{ portIsolation: 1 }, '"portIsolation"'],
    [{ hairpinMode: true, promiscMode: true }, "cannot set hairpin mode and promiscuous mode at the same time"],
    [{ disableContainerInterface: true, ipam: { type: "host-local" } }, "cannot use IPAM when DisableContainerInterface flag is set"],
    [{ runtimeConfig: { mac: "zz:00:00:00:00:00" } }, "runtimeConfig.mac"],
    [{ args: { cni: { mac: "01:00:00:00:00:01" } } }, "args.cni.mac"],
  ])("refuses %j with code 7 naming the field", (raw, message) => {
    const error = cniErrorOf(() => {
      const a = args({ ipam: {}, ...raw });
      readBridgeConfig(a);
      readContainerMac(a);
    });
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(error.message).toContain(message);
  });
});

describe("collectVlanTrunk", () => {
  it("ranges and ids, deduplicated and sorted", () => {
    expect(collectVlanTrunk([])).toEqual([]);
    expect(collectVlanTrunk([{ minID: 100, maxID: 105 }])).toEqual([100, 101, 102, 103, 104, 105]);
    expect(collectVlanTrunk([{ id: 10 }, { id: 3, minID: 9, maxID: 11 }])).toEqual([3, 9, 10, 11]);
  });

  it.each([
    [[{ minID: 1 }], "minID and maxID should be configured simultaneously, maxID is missing"],
    [[{ maxID: 1 }], "minID and maxID should be configured simultaneously, minID is missing"],
    [[{ minID: -1, maxID: 5 }], "incorrect trunk minID parameter"],
    [[{ minID: 5000, maxID: 5001 }], "incorrect trunk minID parameter"],
    [[{ minID: 1, maxID: 5000 }], "incorrect trunk maxID parameter"],
    [[{ id: 5000 }], "incorrect trunk id parameter"],
    [[{ id: -1 }], "incorrect trunk id parameter"],
    [[{ minID: 6, maxID: 5 }], "minID is greater than maxID in trunk parameter"],
  ])("%j: %s", (trunk, message) => {
    const error = cniErrorOf(() => collectVlanTrunk(trunk));
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(error.message).toBe(`invalid "vlanTrunk[0]": ${message}`);
  });
});

describe("calcGateways", () => {
  const ipam: Result = {
    cniVersion: "1.1.0",
    ips: [{ address: "10.1.2.5/24" }, { address: "fd00:1::5/64", gateway: "fd00:1::fe" }],
    routes: [{ dst: "::/0", gw: "fd00:1::99" }],
  };

  it("isGateway: network+1 filled in, gateways with the container's prefix, every IP on interface 2", () => {
    const g = calcGateways(ipam, { isGateway: true, isDefaultGateway: false });
    expect(g.ips).toEqual([
      { interface: 2, address: "10.1.2.5/24", gateway: "10.1.2.1" },
      { interface: 2, address: "fd00:1::5/64", gateway: "fd00:1::fe" },
    ]);
    expect(g.addresses.map((a) => `${a.ip.family}/${a.prefix}`)).toEqual(["4/24", "6/64"]);
    expect(g.routes).toEqual(ipam.routes);
  });

  it("isDefaultGateway: a default route per family unless IPAM gave one with a gw", () => {
    const g = calcGateways(ipam, { isGateway: true, isDefaultGateway: true });
    expect(g.routes).toEqual([{ dst: "::/0", gw: "fd00:1::99" }, { dst: "0.0.0.0/0", gw: "10.1.2.1" }]);
  });

  it("without isGateway no gateway is made up and no bridge address is wanted", () => {
    const g = calcGateways(ipam, { isGateway: false, isDefaultGateway: false });
    expect(g.ips[0]).toEqual({ interface: 2, address: "10.1.2.5/24" });
    expect(g.addresses).toEqual([]);
  });
});

describe("spoof-check names", () => {
  it("are the reference's: refID <cid>-<if>", () => {
    const a = { containerId: "cid1", ifName: "eth0" };
    expect(spoofCheckComment(a)).toBe("macspoofchk-cid1-eth0");
    expect(spoofCheckIfaceChain(a)).toBe("cni-br-iface-cid1-eth0");
    expect([...macBytes("0a:58:0a:01:00:ff")]).toEqual([0x0a, 0x58, 0x0a, 0x01, 0x00, 0xff]);
  });
});
