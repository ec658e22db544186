// Reading JSON: Go's nesting limit, and error details that stay short whatever the value.
import { describe, expect, it } from "vitest";
import { CniError, MAX_JSON_DEPTH, parseJson, parseNetConf, parseResult, readKey } from "../src/index";
import { describeJson } from "../src/json";

const nested = (depth: number, open = "[", close = "]", inner = ""): string => open.repeat(depth) + inner + close.repeat(depth);

describe("parseJson", () => {
  it("parses what JSON.parse parses, up to Go's depth", () => {
    expect(parseJson('{"a":[1,"x",null,true]}')).toEqual({ a: [1, "x", null, true] });
    expect(() => parseJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJson(nested(MAX_JSON_DEPTH / 2, '{"a":', "}", "1"))).not.toThrow();
  });

  it.each([
    ["arrays", nested(MAX_JSON_DEPTH + 1)],
    ["objects", nested(MAX_JSON_DEPTH + 1, '{"a":', "}", "1")],
    ["100,000 levels", nested(100_000)],
    ["an unclosed run", "[".repeat(MAX_JSON_DEPTH + 1)],
  ])("deeper than %s is a SyntaxError saying so", (_, text) => {
    expect(() => parseJson(text)).toThrow(SyntaxError);
    expect(() => parseJson(text)).toThrow(/exceeded max depth/);
  });

  it("brackets inside strings, escaped quotes included, do not count", () => {
    const text = JSON.stringify({ s: "[".repeat(MAX_JSON_DEPTH + 5), t: '\\"[[[' + "{".repeat(MAX_JSON_DEPTH) });
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it("other syntax errors are JSON.parse's", () => {
    expect(() => parseJson("{")).toThrow(SyntaxError);
  });
});

describe("describeJson", () => {
  it.each([
    ["1500", 'got string "1500"'],
    [1500, "got number 1500"],
    [null, "got null null"],
    [true, "got boolean true"],
    [[1, "a", { b: null }], 'got array [1,"a",{"b":null}]'],
    [{ a: [1, 2], b: "c" }, 'got object {"a":[1,2],"b":"c"}'],
  ])("%j: %s, as JSON.stringify prints it", (value, text) => expect(describeJson(value)).toBe(text));

  it("cuts long values at 64 characters", () => {
    const long = Array.from({ length: 100 }, (_, i) => i);
    expect(describeJson(long)).toBe(`got array ${JSON.stringify(long).slice(0, 61)}...`);
    expect(describeJson("x".repeat(10_000))).toBe(`got string "${"x".repeat(60)}...`);
    expect(describeJson({ ["k".repeat(1000)]: 1 })).toBe(`got object {"${"k".repeat(59)}...`);
  });

  it("describes a value nested 100,000 deep (JSON.stringify overflows the stack on it)", () => {
    const deep = JSON.parse(nested(100_000)) as unknown;
    expect(describeJson(deep)).toBe(`got array ${"[".repeat(61)}...`);
  });
});

describe("a deeply nested value where a config expects something else", () => {
  const deepArray = JSON.parse(nested(100_000)) as unknown;

  it("prevResult.ips: code 7 naming the key", () => {
    const raw = { cniVersion: "1.0.0", name: "n", prevResult: { cniVersion: "1.0.0", ips: deepArray } };
    expect(() => parseNetConf(raw)).toThrow(expect.objectContaining({ code: 7, message: '"prevResult.ips[0]" must be an object' }));
  });

  it("any key read with readKey", () => {
    expect(() => readKey.string({ mtu: deepArray }, "mtu", "ipam")).toThrow(CniError);
  });

  it("a result text nested past the limit: code 6", () => {
    expect(() => parseResult(`{"cniVersion":"1.0.0","ips":${nested(100_000)}}`)).toThrow(
      expect.objectContaining({ code: 6, message: expect.stringMatching(/^invalid result: exceeded max depth/) }),
    );
  });
});
