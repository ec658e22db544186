// Pure pieces of @cni/netlink (no kernel, no addon): errors.
import { constants } from "node:os";
import { describe, expect, test } from "vitest";
import { Errno, NetlinkError } from "../src/index";

describe("NetlinkError.from", () => {
  test("keeps errno, code, request and subject of what the addon threw", () => {
    const raw = Object.assign(new Error("linkGet eth9: No such device"), { errno: Errno.ENODEV, code: "ENODEV", request: "linkGet", subject: "eth9" });
    const error = NetlinkError.from(raw);
    expect(error).toBeInstanceOf(NetlinkError);
    expect(error).toMatchObject({ errno: Errno.ENODEV, code: "ENODEV", request: "linkGet", subject: "eth9", message: "linkGet eth9: No such device" });
    expect(NetlinkError.from(error)).toBe(error);
  });
  test("anything else becomes EUNKNOWN", () => {
    expect(NetlinkError.from("boom")).toMatchObject({ code: "EUNKNOWN", errno: 0, message: "boom" });
    expect(NetlinkError.from(new TypeError("bad")).code).toBe("EUNKNOWN");
  });
});

describe("Errno", () => {
  test("every named errno has the value the platform gives it (node's os.constants.errno)", () => {
    const platform = constants.errno as Record<string, number | undefined>;
    for (const [name, value] of Object.entries(Errno)) expect([name, platform[name]]).toEqual([name, value]);
  });
});
