// Property test of host-local's config reader on generated configs (the harness:
// packages/plugin-kit/test/config-fuzz.ts): checked ranges or a CniError, nothing else.
import { describe, expect, it } from "vitest";
import { cidrContains, compareIP, formatIP, parseIP, type JsonObject } from "@cni/skel";
import { loadIpamConfig } from "../src/config";
import { FUZZ_IPAM, expectBothOutcomes, forAllConfigs, readOrCniError } from "../../../packages/plugin-kit/test/config-fuzz";

const BASE: JsonObject = {
  cniVersion: "0.3.1", name: "fuzznet", type: "host-local", ipam: FUZZ_IPAM,
  runtimeConfig: { ipRanges: [[{ subnet: "10.3.0.0/24" }]], ips: ["10.3.0.7/24"] }, args: { cni: { ips: ["10.1.0.15"] } },
};

describe("host-local config reader on generated configs", () => {
  it("loadIpamConfig gives checked ranges or a CniError", () => {
    forAllConfigs("host-local config", BASE, (args) => {
      const conf = readOrCniError("loadIpamConfig", () => loadIpamConfig(args.config, args.args));
      if (conf === undefined) return;
      expect(conf.rangeSets.length).toBeGreaterThan(0);
      expect(conf.dataDir.length).toBeGreaterThan(0);
      // every accepted range hands out addresses of its own subnet, start <= end, no overlap across sets
      for (const set of conf.rangeSets) {
        expect(set.length).toBeGreaterThan(0);
        for (const range of set) {
          expect(cidrContains(range.subnet, range.rangeStart)).toBe(true);
          expect(cidrContains(range.subnet, range.rangeEnd)).toBe(true);
          expect(compareIP(range.rangeStart, range.rangeEnd)).toBeLessThanOrEqual(0);
          expect(range.subnet.ip.family).toBe(set[0]!.subnet.ip.family);
        }
      }
      for (const ip of conf.requestedIPs) expect(parseIP(formatIP(ip))).toBeDefined();
    });
    expectBothOutcomes("loadIpamConfig");
  });
});
