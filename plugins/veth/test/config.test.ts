// The veth config readers: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { CniError, ErrorCode, parseNetConf, type CmdArgs } from "@cni/skel";
import { parseMac, readContainerMac, readVethConfig } from "../src/config";

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

describe("readContainerMac", () => {
  it("takes runtimeConfig.mac over args.cni.mac over CNI_ARGS MAC", () => {
    const all = { runtimeConfig: { mac: "02:00:00:00:00:01" }, args: { cni: { mac: "02:00:00:00:00:02" } } };
    expect(readContainerMac(args(all, "MAC=02:00:00:00:00:03"))).toBe("02:00:00:00:00:01");
    expect(readContainerMac(args({ args: all.args }, "MAC=02:00:00:00:00:03"))).toBe("02:00:00:00:00:02");
    expect(readContainerMac(args({}, "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02-00-00-00-00-0A"))).toBe("02:00:00:00:00:0a");
    expect(readContainerMac(args({}))).toBeUndefined();
  });

  it("refuses a malformed MAC, naming where it came from (CNI_ARGS: code 4)", () => {
    expect(errorOf(() => readContainerMac(args({}, "MAC=02:00:00:00:00")))).toMatchObject({
      code: ErrorCode.InvalidEnvironment,
      message: 'invalid MAC address "02:00:00:00:00" in CNI_ARGS MAC',
    });
    expect(errorOf(() => readContainerMac(args({}, "FOO=1"))).code).toBe(ErrorCode.InvalidEnvironment);
  });
});

describe("parseMac", () => {
  it.each(["02:00:00:00:00:0g", "02:00:00:00:00:0", "02:00:00:00:00:001", "02.00.00.00.00.01", "", "01:00:5e:00:00:01"])("refuses %j", (text) => {
    expect(() => parseMac(text, "here", ErrorCode.InvalidNetworkConfig)).toThrow(`invalid MAC address ${JSON.stringify(text)} in here`);
  });
});
