// The portmap config reader, container address selection and the iptables rule text: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { ErrorCode, parseIP, type CmdArgs, type Result } from "@cni/skel";
import { containerAddresses, parseNftConditions, readPortmapConfig } from "../src/config";
import { dnatChainName, entryComment, entryRules } from "../src/iptables-backend";
import type { PortmapAttachment } from "../src/backend";
import { addCmdArgs } from "../../../packages/plugin-kit/test/cmd-args";
import { cniErrorOf } from "../../../packages/plugin-kit/test/expect-error";

function args(raw: Record<string, unknown>): CmdArgs {
  return addCmdArgs("portmap", raw);
}

describe("readPortmapConfig", () => {
  it("defaults: no mappings, snat, nftables, mark bit 13", () => {
    expect(readPortmapConfig(args({}))).toEqual({
      mappings: [],
      snat: true,
      masqAll: false,
      backend: "nftables",
      markMasqBit: 13,
      conditions: { 4: [], 6: [] },
    });
  });

  it("mappings: protocol lowercased, hostIP parsed", () => {
    const conf = readPortmapConfig(args({ runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: "TCP", hostIP: "::1" }] } }));
    expect(conf.mappings).toEqual([{ hostPort: 80, containerPort: 8080, protocol: "tcp", hostIP: parseIP("::1") }]);
  });

  it("iptables-only options without a backend pick iptables; with nftables they are refused", () => {
    expect(readPortmapConfig(args({ externalSetMarkChain: "X" })).backend).toBe("iptables");
    expect(readPortmapConfig(args({ conditionsV4: ["!", "-d", "10.0.0.0/8"] })).backend).toBe("iptables");
    expect(readPortmapConfig(args({ conditionsV4: ["ip", "saddr", "10.0.0.0/8"] })).backend).toBe("nftables");
    const error = cniErrorOf(() => readPortmapConfig(args({ backend: "iptables", conditionsV6: ["ip6", "saddr", "fd00::/8"] })));
    expect(error.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(error.message).toContain("conditionsV6");
    expect(cniErrorOf(() => readPortmapConfig(args({ externalSetMarkChain: "X", conditionsV4: ["ip", "saddr", "10.0.0.0/8"] }))).message).toMatch(/mixes/);
  });
});

describe("parseNftConditions", () => {
  it("addresses, networks and interface names, with == and !=", () => {
    expect(parseNftConditions(["ip", "saddr", "!=", "10.0.0.0/8", "iifname", '"eth0"', "ip", "daddr", "==", "192.0.2.1"], 4)).toEqual([
      { kind: "address", which: "saddr", op: "neq", address: parseIP("10.0.0.0"), prefix: 8 },
      { kind: "interface", key: "iifname", op: "eq", name: "eth0" },
      { kind: "address", which: "daddr", op: "eq", address: parseIP("192.0.2.1"), prefix: 32 },
    ]);
  });

  it("names the token it cannot take", () => {
    expect(cniErrorOf(() => parseNftConditions(["ip6", "saddr", "fd00::1"], 4)).message).toContain('"conditionsV4[0]"');
    expect(cniErrorOf(() => parseNftConditions(["ip", "saddr", "!=", "fd00::1"], 4)).message).toContain('"conditionsV4[3]"');
    expect(cniErrorOf(() => parseNftConditions(["ip", "proto"], 4)).message).toContain('"conditionsV4[1]"');
    expect(cniErrorOf(() => parseNftConditions(["oifname"], 6)).message).toContain('"conditionsV6[1]"');
  });
});

describe("containerAddresses (P12)", () => {
  const result: Result = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "br0" }, { name: "eth0", sandbox: "/x" }, { name: "eth1", sandbox: "/x" }],
    ips: [
      { address: "10.0.0.9/24", interface: 0 },
      { address: "10.0.1.2/24", interface: 2 },
      { address: "10.0.2.2/24", interface: 1 },
      { address: "10.0.3.2/24", interface: 1 },
      { address: "fd00::2/64" },
    ],
  };
  it("the first IPv4 and IPv6 on CNI_IFNAME in a sandbox, or without an interface index", () => {
    expect(containerAddresses(result, "eth0")).toEqual([
      { address: parseIP("10.0.2.2"), prefix: 24 },
      { address: parseIP("fd00::2"), prefix: 64 },
    ]);
    expect(containerAddresses(result, "eth9")).toEqual([{ address: parseIP("fd00::2"), prefix: 64 }]);
  });
});

describe("iptables rule text (Go 1.1.1)", () => {
  it("CNI-DN- + 21 hex digits of sha512(name + id)", () => {
    expect(dnatChainName("refnet", "ctr1")).toBe("CNI-DN-e30d516c8208bc6dd27ee");
    expect(dnatChainName("refnet4", "c2")).toBe("CNI-DN-a2def0c570e43b07aedba");
  });

  it("entry rules: per protocol sorted, runs of at most 15 ports in order, duplicates kept", () => {
    const ports = Array.from({ length: 17 }, (_, i) => 1000 + i);
    const attachment: PortmapAttachment = {
      network: "n",
      containerId: "c",
      addresses: [],
      conf: {
        ...readPortmapConfig(args({})),
        mappings: [
          ...ports.map((hostPort) => ({ hostPort, containerPort: 80, protocol: "udp" as const })),
          { hostPort: 8080, containerPort: 80, protocol: "tcp" },
          { hostPort: 8080, containerPort: 81, protocol: "tcp" },
        ],
      },
    };
    const lines = entryRules("CNI-DN-x", attachment, 4);
    const comment = '-m comment --comment "dnat name: \\"n\\" id: \\"c\\""';
    expect(lines).toEqual([
      `-A CNI-HOSTPORT-DNAT -p tcp ${comment} -m multiport --dports 8080,8080 -j CNI-DN-x`,
      `-A CNI-HOSTPORT-DNAT -p udp ${comment} -m multiport --dports ${ports.slice(0, 15).join(",")} -j CNI-DN-x`,
      `-A CNI-HOSTPORT-DNAT -p udp ${comment} -m multiport --dports 1015,1016 -j CNI-DN-x`,
    ]);
  });

  it("a comment over 255 characters is cut as iptables keeps Go's (253 + '...', cut to 255)", () => {
    const comment = entryComment("n".repeat(300), "c");
    expect(comment).toHaveLength(255);
    expect(comment.endsWith("nn..")).toBe(true);
  });
});
