// Property test of the veth config reader and the MAC reader on generated configs (the harness:
// packages/plugin-kit/test/config-fuzz.ts): a config in range or a CniError, nothing else.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@cni/skel";
import { readVethConfig } from "../src/config";
import { FUZZ_IPAM, checkContainerMac, expectBothOutcomes, forAllConfigs, readOrCniError } from "../../../packages/plugin-kit/test/config-fuzz";

const BASE: JsonObject = {
  cniVersion: "1.0.0", name: "fuzznet", type: "veth", ipMasq: true, ipMasqBackend: "iptables", mtu: 9000, enabledad: true, ipam: FUZZ_IPAM,
  runtimeConfig: { mac: "0a:58:00:00:00:01" },
};

describe("veth config reader on generated configs", () => {
  it("readVethConfig and the MAC reader give a config in range or a CniError", () => {
    forAllConfigs("veth config", BASE, (args) => {
      const conf = readOrCniError("readVethConfig", () => readVethConfig(args));
      if (conf !== undefined) {
        expect(conf.ipamType.length).toBeGreaterThan(0);
        expect(conf.mtu === undefined || conf.mtu > 0).toBe(true);
      }
      checkContainerMac(args);
    });
    expectBothOutcomes("readVethConfig");
  });
});
