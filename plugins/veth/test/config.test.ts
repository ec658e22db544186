// The veth config readers: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { ErrorCode, type CmdArgs } from "@cni/skel";
import { readVethConfig } from "../src/config";
import { addCmdArgs } from "../../../packages/plugin-kit/test/cmd-args";
import { cniErrorOf } from "../../../packages/plugin-kit/test/expect-error";

function args(raw: Record<string, unknown>, cniArgs = ""): CmdArgs {
  return addCmdArgs("veth", raw, cniArgs);
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
    expect(cniErrorOf(() => readVethConfig(args({}))).code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(cniErrorOf(() => readVethConfig(args({ ipam: {} }))).message).toBe('missing "ipam.type": no IPAM plugin name provided');
    expect(cniErrorOf(() => readVethConfig(args({ ipam: { type: "x" }, mtu: "1500" }))).message).toBe('"mtu" must be an integer');
    expect(cniErrorOf(() => readVethConfig(args({ ipam: { type: "x" }, ipMasq: "yes" }))).code).toBe(ErrorCode.InvalidNetworkConfig);
  });
});
