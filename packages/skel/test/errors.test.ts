// goIndentedJson: Go's MarshalIndent output, found by native indexOf scans before any regex.
import { describe, expect, it } from "vitest";
import { CniError, formatError, goIndentedJson } from "../src/errors";

describe("goIndentedJson", () => {
  it("prints plain values as JSON.stringify with a 4-space indent", () => {
    const value = { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }], n: 1 };
    expect(goIndentedJson(value)).toBe(JSON.stringify(value, null, 4));
  });

  it.each([
    ["<", "\\u003c"],
    [">", "\\u003e"],
    ["&", "\\u0026"],
    ["\u2028", "\\u2028"],
    ["\u2029", "\\u2029"],
  ])("escapes %j as Go does (%s), wherever it is", (ch, escaped) => {
    expect(goIndentedJson({ msg: `${ch}a${ch}${ch}` })).toBe(`{\n    "msg": "${escaped}a${escaped}${escaped}"\n}`);
  });

  it("an error object with every special character at once", () => {
    const text = formatError(new CniError(7, "a<b>&c", "\u2028\u2029"), "1.1.0");
    expect(text).toBe('{\n    "cniVersion": "1.1.0",\n    "code": 7,\n    "msg": "a\\u003cb\\u003e\\u0026c",\n    "details": "\\u2028\\u2029"\n}');
    expect(JSON.parse(text)).toEqual({ cniVersion: "1.1.0", code: 7, msg: "a<b>&c", details: "\u2028\u2029" });
  });
});
