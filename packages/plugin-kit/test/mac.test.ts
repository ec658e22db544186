// The container MAC readers: pure logic, no kernel.
import { describe, expect, it } from "vitest";
import { ErrorCode, type CmdArgs } from "@cni/skel";
import { parseMac, readContainerMac } from "../src/index";
import { cniErrorOf } from "./expect-error";
import { addCmdArgs } from "./cmd-args";

function args(raw: Record<string, unknown>, cniArgs = ""): CmdArgs {
  return addCmdArgs("veth", raw, cniArgs);
}

describe("readContainerMac", () => {
  it("takes runtimeConfig.mac over args.cni.mac over CNI_ARGS MAC, as lowercase with colons", () => {
    const all = { runtimeConfig: { mac: "02:00:00:00:00:01" }, args: { cni: { mac: "02:00:00:00:00:02" } } };
    expect(readContainerMac(args(all, "MAC=02:00:00:00:00:03"))).toBe("02:00:00:00:00:01");
    expect(readContainerMac(args({ args: all.args }, "MAC=02:00:00:00:00:03"))).toBe("02:00:00:00:00:02");
    expect(readContainerMac(args({}, "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02-00-00-00-00-0A"))).toBe("02:00:00:00:00:0a");
    expect(readContainerMac(args({ runtimeConfig: { mac: "0A-58-00-00-00-03" } }))).toBe("0a:58:00:00:00:03");
    expect(readContainerMac(args({}))).toBeUndefined();
  });

  it("refuses a malformed MAC naming where it came from: code 7 from the config, code 4 from CNI_ARGS", () => {
    expect(cniErrorOf(() => readContainerMac(args({ runtimeConfig: { mac: "zz:00:00:00:00:00" } })))).toMatchObject({
      code: ErrorCode.InvalidNetworkConfig,
      message: 'invalid MAC address "zz:00:00:00:00:00" in runtimeConfig.mac',
    });
    expect(cniErrorOf(() => readContainerMac(args({ args: { cni: { mac: "01:00:00:00:00:01" } } })))).toMatchObject({
      code: ErrorCode.InvalidNetworkConfig,
      message: 'invalid MAC address "01:00:00:00:00:01" in args.cni.mac',
    });
    expect(cniErrorOf(() => readContainerMac(args({}, "MAC=02:00:00:00:00")))).toMatchObject({
      code: ErrorCode.InvalidEnvironment,
      message: 'invalid MAC address "02:00:00:00:00" in CNI_ARGS MAC',
    });
    // an unknown CNI_ARGS key without IgnoreUnknown
    expect(cniErrorOf(() => readContainerMac(args({}, "FOO=1"))).code).toBe(ErrorCode.InvalidEnvironment);
  });
});

describe("parseMac", () => {
  it.each(["02:00:00:00:00:0g", "02:00:00:00:00:0", "02:00:00:00:00:001", "02.00.00.00.00.01", "", "01:00:5e:00:00:01"])("refuses %j", (text) => {
    expect(() => parseMac(text, "here", ErrorCode.InvalidNetworkConfig)).toThrow(`invalid MAC address ${JSON.stringify(text)} in here`);
  });
});
