// Property test of the bridge config reader and the MAC reader on generated configs (the harness:
// packages/plugin-kit/test/config-fuzz.ts): a config in range or a CniError, nothing else.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@cni/skel";
import { readBridgeConfig, MAX_VLAN_ID } from "../src/config";
import { FUZZ_IPAM, checkContainerMac, expectBothOutcomes, forAllConfigs, readOrCniError } from "../../../packages/plugin-kit/test/config-fuzz";

const BASE: JsonObject = {
  cniVersion: "1.1.0", name: "fuzznet", type: "bridge", bridge: "cni-fuzz", isGateway: true, isDefaultGateway: false,
  forceAddress: false, ipMasq: true, ipMasqBackend: "nftables", mtu: 1400, hairpinMode: false, promiscMode: false,
  vlan: 10, vlanTrunk: [{ id: 20 }, { minID: 30, maxID: 33 }], preserveDefaultVlan: false, enabledad: false,
  macspoofchk: true, disableContainerInterface: false, portIsolation: false, ipam: FUZZ_IPAM,
  runtimeConfig: { mac: "0a:58:00:00:00:01", ips: ["10.1.0.12"] }, args: { cni: { mac: "0a:58:00:00:00:02", ips: ["fd00:1::9"] } },
};

describe("bridge config reader on generated configs", () => {
  it("readBridgeConfig and the MAC reader give a config in range or a CniError", () => {
    forAllConfigs("bridge config", BASE, (args) => {
      const conf = readOrCniError("readBridgeConfig", () => readBridgeConfig(args));
      if (conf !== undefined) {
        expect(conf.vlan).toBeGreaterThanOrEqual(0);
        expect(conf.vlan).toBeLessThanOrEqual(MAX_VLAN_ID);
        for (const vid of conf.vlanTrunk) expect(vid >= 1 && vid <= MAX_VLAN_ID).toBe(true);
        expect(conf.mtu === undefined || conf.mtu > 0).toBe(true);
        expect(conf.bridge.length).toBeGreaterThan(0);
        expect(["nftables", "iptables"]).toContain(conf.ipMasqBackend);
      }
      checkContainerMac(args);
    });
    expectBothOutcomes("readBridgeConfig");
    expectBothOutcomes("readContainerMac");
  });
});
