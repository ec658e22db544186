// The veth config readers: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { CniError, ErrorCode, parseNetConf, type CmdArgs } from "@cni/skel";
import { readVethConfig } from "../src/config";

function args(raw: Record<string, unknown>, cniArgs = ""): CmdArgs {
  const config = parseNetConf({ cniVersion: "1.1.0", name: "n", type: "veth", ...raw });
  return { command: "ADD", containerId: "c", netns: "/x", ifName: "eth0", args: cniArgs, path: [], stdinData: Buffer.from(""), config, env: {} };
}

function errorOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (thrown) {
    if (thrown instanceof CniError) return thrown;
    throw thrown;
  }
  throw new Error("expected a CniError");
}

describe("readVethConfig", () => {
  it("reads the keys with their defaults; mtu 0 is the kernel's", () => {
    expect(readVethConfig(args({ ipam: { type: "host-local" }, mtu: 0 }))).toEqual({
      ipamType: "host-local",
      mtu: undefined,
      ipMasq: false,
      ipMasqBackend: "nftables",
      enableDad: false,
    });
    expect(readVethConfig(args({ ipam: { type: "x" }, MTU: 1400, ipmasq: true, ipMasqBackend: "iptables", enabledad: true }))).toMatchObject({
      mtu: 1400,
      ipMasq: true,
      ipMasqBackend: "iptables",
      enableDad: true,
    });
  });

  it("refuses a missing IPAM, a wrong type and a negative mtu with code 7", () => {
    expect(errorOf(() => readVethConfig(args({}))).code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(errorOf(() => readVethConfig(args({ ipam: {} }))).message).toBe('missing "ipam.type": no IPAM plugin name provided');
    expect(errorOf(() => readVethConfig(args({ ipam: { type: "x" }, mtu: "1500" }))).message).toBe('"mtu" must be an integer');
    expect(errorOf(() => readVethConfig(args({ ipam: { type: "x" }, ipMasq: "yes" }))).code).toBe(ErrorCode.InvalidNetworkConfig);
  });
});
