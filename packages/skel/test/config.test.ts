// Config reading helpers: case-insensitive keys, typed readers, parseNetConf, GC attachments.
import { describe, expect, it } from "vitest";
import { CniError, getKey, parseNetConf, readKey, validAttachments, type JsonObject } from "../src/index";

function thrown(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("getKey", () => {
  it("matches case-insensitively, an exact match wins, else the last folded match", () => {
    expect(getKey({ MTU: 1 }, "mtu")).toBe(1);
    expect(getKey({ Mtu: 1, mtu: 2, MTU: 3 }, "mtu")).toBe(2);
    expect(getKey({ Mtu: 1, MTU: 3 }, "mtu")).toBe(3);
    expect(getKey({ mtux: 1 }, "mtu")).toBeUndefined();
    expect(getKey({ dataDir: "/x" }, "DATADIR")).toBe("/x");
  });
});

describe("readKey", () => {
  const obj: JsonObject = { s: "x", b: true, i: 5, f: 1.5, o: { a: 1 }, a: [1], sa: ["a", "b"], n: null, big: 2 ** 60 };
  it("returns the typed value, undefined when absent or null", () => {
    expect(readKey.string(obj, "S")).toBe("x");
    expect(readKey.boolean(obj, "b")).toBe(true);
    expect(readKey.integer(obj, "i")).toBe(5);
    expect(readKey.object(obj, "o")).toEqual({ a: 1 });
    expect(readKey.array(obj, "a")).toEqual([1]);
    expect(readKey.stringArray(obj, "sa")).toEqual(["a", "b"]);
    for (const read of Object.values(readKey)) {
      expect(read(obj, "missing")).toBeUndefined();
      expect(read(obj, "n")).toBeUndefined();
    }
  });

  it.each([
    [() => readKey.string(obj, "i", "ipam"), '"ipam.i" must be a string', "got number 5"],
    [() => readKey.boolean(obj, "s"), '"s" must be a boolean', 'got string "x"'],
    [() => readKey.integer(obj, "f", "x.y"), '"x.y.f" must be an integer', "got number 1.5"],
    [() => readKey.integer(obj, "big"), '"big" must be an integer', "got number 1152921504606847000"],
    [() => readKey.integer(obj, "s"), '"s" must be an integer', 'got string "x"'],
    [() => readKey.object(obj, "a"), '"a" must be an object', "got array [1]"],
    [() => readKey.array(obj, "o"), '"o" must be an array', 'got object {"a":1}'],
    [() => readKey.stringArray(obj, "a", "dns"), '"dns.a[0]" must be a string', "got number 1"],
  ])("a wrong type is code 7 naming the key (%#)", (fn, msg, details) => {
    expect(thrown(fn)).toMatchObject({ code: 7, message: msg, details });
  });

  it('the brief\'s example: "mtu": "1500"', () => {
    expect(thrown(() => readKey.integer({ mtu: "1500" }, "mtu"))).toMatchObject({ code: 7, message: '"mtu" must be an integer' });
  });
});

describe("parseNetConf", () => {
  it("fills defaults", () => {
    const raw = { name: "n" };
    expect(parseNetConf(raw)).toEqual({ cniVersion: "0.1.0", name: "n", type: "", runtimeConfig: {}, raw });
  });

  it("keeps an ipam with no type (L2 mode) and normalizes a differently cased type", () => {
    expect(parseNetConf({ name: "n", ipam: {} }).ipam).toEqual({});
    expect(parseNetConf({ name: "n", ipam: { Type: "host-local", subnet: "x" } }).ipam).toMatchObject({ type: "host-local", subnet: "x" });
  });

  it("keeps every dns field that is present, even an empty list (an override)", () => {
    expect(parseNetConf({ name: "n", dns: { nameservers: [] } }).dns).toEqual({ nameservers: [] });
  });

  it("reads runtimeConfig capabilities by any case (go-cni sends Go field names)", () => {
    const conf = parseNetConf({ name: "n", RuntimeConfig: { portMappings: [{ HostPort: 80 }] } });
    expect(conf.runtimeConfig).toEqual({ portMappings: [{ HostPort: 80 }] });
  });
});

describe("validAttachments", () => {
  const conf = (extra: JsonObject) => parseNetConf({ cniVersion: "1.1.0", name: "n", ...extra });

  it("reads cni.dev/valid-attachments", () => {
    const list = [{ containerID: "c1", ifname: "eth0" }, { containerID: "c2", ifname: "net1" }];
    expect(validAttachments(conf({ "cni.dev/valid-attachments": list }))).toEqual(list);
  });

  it("falls back to the older cni.dev/attachments; the new key wins when both are present", () => {
    const old = [{ containerID: "old", ifname: "eth0" }];
    expect(validAttachments(conf({ "cni.dev/attachments": old }))).toEqual(old);
    expect(validAttachments(conf({ "cni.dev/attachments": old, "cni.dev/valid-attachments": [] }))).toEqual([]);
  });

  it("an empty list means nothing is valid", () => {
    expect(validAttachments(conf({ "cni.dev/valid-attachments": [] }))).toEqual([]);
  });

  it("a missing list is an error (code 7), never 'none valid'", () => {
    expect(thrown(() => validAttachments(conf({})))).toMatchObject({ code: 7, message: 'missing "cni.dev/valid-attachments" in GC input' });
  });

  it.each([
    [{ "cni.dev/valid-attachments": {} }, '"cni.dev/valid-attachments" must be an array'],
    [{ "cni.dev/valid-attachments": ["c1"] }, '"cni.dev/valid-attachments[0]" must be an object'],
    [{ "cni.dev/valid-attachments": [{ ifname: "eth0" }] }, '"cni.dev/valid-attachments[0].containerID" must be a non-empty string'],
    [{ "cni.dev/attachments": [{ containerID: "c", ifname: 3 }] }, '"cni.dev/attachments[0].ifname" must be a string'],
  ])("malformed input %j is code 7 naming the key", (extra, msg) => {
    expect(thrown(() => validAttachments(conf(extra)))).toMatchObject({ code: 7, message: msg });
  });
});
