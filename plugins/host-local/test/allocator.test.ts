// The allocator over a real store in a temporary directory: the Go allocator_test scenarios.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allocate, hasFreeAddress } from "../src/allocator";
import { formatIP, parseIP } from "@cni/skel";
import { type RawRange, type RangeSet, canonicalizeRangeSet } from "../src/range";
import { NETWORK, useTempStore } from "./tmp-store";

const temp = useTempStore();

const netFile = (name: string) => join(temp.dataDir, NETWORK, name);
const lease = (ip: string, owner = "other\r\neth0") => writeFileSync(netFile(ip), owner);
const setLast = (ip: string, setIndex = 0) => writeFileSync(netFile(`last_reserved_ip.${setIndex}`), ip);
const set = (...ranges: RawRange[]): RangeSet => canonicalizeRangeSet(ranges);

function next(s: RangeSet, id = "c1", requested?: string): string {
  const req = requested === undefined ? undefined : parseIP(requested);
  return temp.store.withLock(() => formatIP(allocate(s, 0, temp.store, id, "eth0", req).ip));
}

describe("round robin (Go allocator_test table)", () => {
  const slash29 = () => set({ subnet: "192.168.1.0/29" });
  it.each<[string, () => RangeSet, string[], string | undefined, string]>([
    ["fresh /29", slash29, [], undefined, "192.168.1.2"],
    ["fresh v6 /64", () => set({ subnet: "2001:db8:1::/64" }), [], undefined, "2001:db8:1::2"],
    ["fresh /30", () => set({ subnet: "192.168.1.0/30" }), [], undefined, "192.168.1.2"],
    [".2 taken", slash29, ["192.168.1.2"], undefined, "192.168.1.3"],
    ["last .5", slash29, [], "192.168.1.5", "192.168.1.6"],
    ["wrap after the end", slash29, [], "192.168.1.6", "192.168.1.2"],
    ["last outside the set", slash29, ["192.168.1.2"], "10.0.0.5", "192.168.1.3"],
    ["full but the last: the last itself", slash29, ["192.168.1.2", "192.168.1.4", "192.168.1.5", "192.168.1.6"], "192.168.1.3", "192.168.1.3"],
    ["garbage last_reserved_ip", slash29, [], "not an ip\n", "192.168.1.2"],
  ])("%s", (_name, makeSet, taken, last, expected) => {
    taken.forEach((ip) => lease(ip));
    if (last !== undefined) setLast(last);
    expect(next(makeSet())).toBe(expected);
    expect(readFileSync(netFile("last_reserved_ip.0"), "utf8")).toBe(expected);
  });

  it("multiple ranges: on to the next range, then back to the first", () => {
    const s = set({ subnet: "192.168.1.0/30" }, { subnet: "192.168.2.0/30" });
    setLast("192.168.1.2");
    expect(next(s, "a")).toBe("192.168.2.2");
    temp.store.withLock(() => temp.store.releaseAttachment("a", "eth0"));
    expect(next(s, "b")).toBe("192.168.1.2");
  });

  it("a last IP at the end of range 0 starts at range 1's rangeStart", () => {
    const s = set({ subnet: "192.168.1.0/24", rangeEnd: "192.168.1.10" }, { subnet: "192.168.2.0/24", rangeStart: "192.168.2.50" });
    setLast("192.168.1.10");
    expect(next(s)).toBe("192.168.2.50");
  });

  it("a /29 never hands out its broadcast address: five, then out of IPs", () => {
    const s = slash29();
    expect(["a", "b", "c", "d", "e"].map((id) => next(s, id))).toEqual([
      "192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6",
    ]);
    expect(() => next(s, "f")).toThrow(/^no IP addresses available in range set: 192.168.1.1-192.168.1.6$/);
    expect(temp.store.withLock(() => hasFreeAddress(s, temp.store, 0))).toBe(false);
  });

  it("network and broadcast are skipped even when an explicit range includes them; so is the gateway", () => {
    const s = set({ subnet: "192.168.1.0/29", rangeStart: "192.168.1.0", rangeEnd: "192.168.1.7", gateway: "192.168.1.3" });
    const got = ["a", "b", "c", "d", "e"].map((id) => next(s, id));
    expect(got).toEqual(["192.168.1.1", "192.168.1.2", "192.168.1.4", "192.168.1.5", "192.168.1.6"]);
    expect(() => next(s, "f")).toThrow(/no IP addresses available/);
    expect(() => next(s, "g", "192.168.1.7")).toThrow("requested ip 192.168.1.7 is not usable (network or broadcast address)");
    expect(() => next(s, "g", "192.168.1.0")).toThrow(/not usable/);
  });

  it("allocate, release, allocate gives the next address, not the same one", () => {
    const s = slash29();
    expect(next(s, "a")).toBe("192.168.1.2");
    temp.store.withLock(() => temp.store.releaseAttachment("a", "eth0"));
    expect(next(s, "a")).toBe("192.168.1.3");
  });
});

describe("requested addresses", () => {
  const s = () => set({ subnet: "192.168.1.0/29" });
  it("are reserved and become last_reserved_ip", () => {
    expect(next(s(), "a", "192.168.1.5")).toBe("192.168.1.5");
    expect(readFileSync(netFile("192.168.1.5"), "utf8")).toBe("a\r\neth0");
    expect(readFileSync(netFile("last_reserved_ip.0"), "utf8")).toBe("192.168.1.5");
  });
  it("taken, gateway or outside the range: errors with Go's messages", () => {
    next(s(), "a", "192.168.1.5");
    expect(() => next(s(), "b", "192.168.1.5")).toThrow(
      "requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6",
    );
    expect(() => next(s(), "b", "192.168.1.1")).toThrow("requested ip 192.168.1.1 is subnet's gateway");
    expect(() => next(s(), "b", "192.168.1.9")).toThrow("192.168.1.9 not in range set 192.168.1.1-192.168.1.6");
    const narrow = set({ subnet: "192.168.1.0/24", rangeStart: "192.168.1.10", rangeEnd: "192.168.1.20" });
    expect(() => next(narrow, "b", "192.168.1.9")).toThrow(/not in range set/);
    expect(() => next(narrow, "b", "192.168.1.21")).toThrow(/not in range set/);
  });
});

describe("duplicate allocation", () => {
  it("the same (id, ifname) twice in one set is refused; another id gets the next address", () => {
    const s = set({ subnet: "10.1.2.0/24" });
    expect(next(s, "dummy")).toBe("10.1.2.2");
    expect(() => next(s, "dummy")).toThrow("10.1.2.2 has been allocated to dummy, duplicate allocation is not allowed");
    expect(next(s, "other")).toBe("10.1.2.3");
    expect(existsSync(netFile("10.1.2.4"))).toBe(false);
  });
  it("an old-format lease (id only) also counts", () => {
    lease("10.1.2.7", "dummy");
    expect(() => next(set({ subnet: "10.1.2.0/24" }), "dummy")).toThrow(/10.1.2.7 has been allocated to dummy/);
  });
  it("a lease in another set does not", () => {
    lease("10.9.0.7", "dummy\r\neth0");
    expect(next(set({ subnet: "10.1.2.0/24" }), "dummy")).toBe("10.1.2.2");
  });
});
