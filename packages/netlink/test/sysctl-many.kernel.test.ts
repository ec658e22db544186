// Several sysctls on one trip into a namespace (sysctlGetMany, sysctlExchange), and IFF_ALLMULTI: checked
// against what /proc/sys and iproute2 show inside a namespace the test creates.
import { execFileSync } from "node:child_process";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { IFF_ALLMULTI, Netlink, NetlinkError } from "../src/index";
import { TestNamespaces } from "./kernel-namespaces";

const namespaces = new TestNamespaces("nlsys", (path) => Netlink.at(path));
afterEach(() => namespaces.removeAll());
afterAll(() => namespaces.removeAllAndCheckNoneLeft());

/** A sysctl as a process inside the namespace reads it (iproute2's `ip netns exec`, not our addon). */
function procSys(name: string, key: string): string {
  return execFileSync("ip", ["netns", "exec", name, "cat", `/proc/sys/${key}`], { encoding: "utf8" }).trimEnd();
}

describe("sysctls on one trip", () => {
  test("sysctlGetMany reads each key in order, inside the namespace", () => {
    const { name, handle } = namespaces.create();
    execFileSync("ip", ["netns", "exec", name, "sh", "-c", "echo 321 > /proc/sys/net/core/somaxconn"]);
    expect(handle.sysctlGetMany(["net/core/somaxconn", "net.ipv4.conf.lo.arp_filter"])).toEqual(["321", procSys(name, "net/ipv4/conf/lo/arp_filter")]);
  });

  test("sysctlExchange writes every value and returns the old ones", () => {
    const { name, handle } = namespaces.create();
    const before = [procSys(name, "net/core/somaxconn"), procSys(name, "net/ipv4/conf/lo/arp_filter")];
    const old = handle.sysctlExchange([
      ["net/core/somaxconn", "777"],
      ["net/ipv4/conf/lo/arp_filter", before[1] === "1" ? "0" : "1"],
    ]);
    expect(old).toEqual(before);
    expect(procSys(name, "net/core/somaxconn")).toBe("777");
    expect(procSys(name, "net/ipv4/conf/lo/arp_filter")).toBe(before[1] === "1" ? "0" : "1");
  });

  test("a failed write puts back what was written before it and names the key", () => {
    const { name, handle } = namespaces.create();
    const before = procSys(name, "net/core/somaxconn");
    let thrown: unknown;
    try {
      handle.sysctlExchange([
        ["net/core/somaxconn", "778"],
        ["net/ipv4/conf/lo/arp_filter", "not-a-number"],
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NetlinkError);
    expect((thrown as NetlinkError).code).toBe("EINVAL");
    expect((thrown as NetlinkError).subject).toBe("net/ipv4/conf/lo/arp_filter");
    expect(procSys(name, "net/core/somaxconn")).toBe(before);
  });

  test("a missing key is ENOENT naming it, before anything is written", () => {
    const { name, handle } = namespaces.create();
    const before = procSys(name, "net/core/somaxconn");
    expect(() => handle.sysctlExchange([["net/core/somaxconn", "779"], ["net/ipv4/nosuch", "1"]])).toThrow(/net\/ipv4\/nosuch/);
    expect(procSys(name, "net/core/somaxconn")).toBe(before);
    expect(() => handle.sysctlGetMany(["net/ipv4/nosuch"])).toThrow(expect.objectContaining({ code: "ENOENT", subject: "net/ipv4/nosuch" }));
  });
});

test("linkSetAllmulti sets and clears IFF_ALLMULTI as iproute2 sees it", () => {
  const { name, handle } = namespaces.create();
  handle.linkAddVeth({ name: "am0", peerName: "am1" });
  const flagsSeen = (): string => execFileSync("ip", ["netns", "exec", name, "ip", "-o", "link", "show", "am0"], { encoding: "utf8" });
  handle.linkSetAllmulti("am0", true);
  expect(handle.linkGet("am0").flags & IFF_ALLMULTI).toBe(IFF_ALLMULTI);
  expect(flagsSeen()).toMatch(/ALLMULTI/);
  handle.linkSetAllmulti("am0", false);
  expect(handle.linkGet("am0").flags & IFF_ALLMULTI).toBe(0);
  expect(flagsSeen()).not.toMatch(/ALLMULTI/);
});
