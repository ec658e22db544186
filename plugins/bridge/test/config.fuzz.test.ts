// Property test of the bridge config reader and the MAC reader on generated configs (the harness:
// packages/plugin-kit/test/config-fuzz.ts): a config in range or a CniError, nothing else.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@cni/skel";
import { readContainerMac } from "@cni/plugin-kit";
import { readBridgeConfig, MAX_VLAN_ID } from "../src/config";
import { forAll } from "../../../packages/skel/test/fuzz-random";
import { FUZZ_IPAM, MAC, expectBothOutcomes, fuzzCmdArgs, mutationsOf, readOrCniError } from "../../../packages/plugin-kit/test/config-fuzz";

const BASE: JsonObject = {
  cniVersion: "1.1.0", name: "fuzznet", type: "bridge", bridge: "cni-fuzz", isGateway: true, isDefaultGateway: false,
  forceAddress: false, ipMasq: true, ipMasqBackend: "nftables", mtu: 1400, hairpinMode: false, promiscMode: false,
  vlan: 10, vlanTrunk: [{ id: 20 }, { minID: 30, maxID: 33 }], preserveDefaultVlan: false, enabledad: false,
  macspoofchk: true, disableContainerInterface: false, portIsolation: false, ipam: FUZZ_IPAM,
  runtimeConfig: { mac: "0a:58:00:00:00:01", ips: ["10.1.0.12"] }, args: { cni: { mac: "0a:58:00:00:00:02", ips: ["fd00:1::9"] } },
};

describe("bridge config reader on generated configs", () => {
  it("readBridgeConfig and the MAC reader give a config in range or a CniError", () => {
    forAll("bridge config", mutationsOf(BASE), (input) => {
      const args = fuzzCmdArgs(input);
      if (args === undefined) return;
      const conf = readOrCniError("readBridgeConfig", () => readBridgeConfig(args));
      if (conf !== undefined) {
        expect(conf.vlan).toBeGreaterThanOrEqual(0);
        expect(conf.vlan).toBeLessThanOrEqual(MAX_VLAN_ID);
        for (const vid of conf.vlanTrunk) expect(vid >= 1 && vid <= MAX_VLAN_ID).toBe(true);
        expect(conf.mtu === undefined || conf.mtu > 0).toBe(true);
        expect(conf.bridge.length).toBeGreaterThan(0);
        expect(["nftables", "iptables"]).toContain(conf.ipMasqBackend);
      }
      const mac = readOrCniError("readContainerMac", () => readContainerMac(args));
      if (mac !== undefined) expect(mac).toMatch(MAC);
    });
    expectBothOutcomes("readBridgeConfig");
    expectBothOutcomes("readContainerMac");
  });
});
