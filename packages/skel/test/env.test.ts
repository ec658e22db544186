// The environment checks rewritten as loops (no regex, no Buffer on the per-call path) must accept and
// refuse exactly what the regexes and Buffer.byteLength they replace did.
import { describe, expect, it } from "vitest";
import { CniError } from "../src/errors";
import { isCommand, isValidName, requireEnv, utf8Length, validateIfName } from "../src/env";

/** The definitions the loops replace, kept here as the reference. */
const VALID_NAME_REGEX = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const GO_SPACE_REGEX = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** Every string of length 0..2 over an alphabet with each character class at its boundaries. */
function namesOver(alphabet: string): string[] {
  const names = [""];
  for (const a of alphabet) {
    names.push(a);
    for (const b of alphabet) names.push(a + b);
  }
  return names;
}

const BOUNDARY_CHARS = "09azAZ/:@[`{_.-~ \t\u00e9\u0660";

describe("isValidName", () => {
  it("agrees with ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ at every character-class boundary", () => {
    for (const name of namesOver(BOUNDARY_CHARS)) expect([name, isValidName(name)]).toEqual([name, VALID_NAME_REGEX.test(name)]);
  });
  it("accepts a 64-character container id", () => {
    expect(isValidName("0123456789abcdef".repeat(4))).toBe(true);
  });
});

describe("utf8Length", () => {
  it.each([
    ["", 0],
    ["eth0", 4],
    ["\u007f\u0080", 3],
    ["\u07ff\u0800", 5],
    ["é", 2],
    ["\uffff", 3],
    ["😀", 4],
    ["a😀b", 6],
    ["\ud83d", 3], // lone high surrogate
    ["\ude00x", 4], // lone low surrogate
    ["\ud83d\ud83d", 6], // two highs
  ])("%j is %i bytes, as Buffer.byteLength says", (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, "utf8"));
  });
});

describe("validateIfName whitespace", () => {
  it("refuses exactly Go's unicode.IsSpace characters (checked over U+0000..U+3100)", () => {
    for (let c = 0; c <= 0x3100; c++) {
      const ch = String.fromCharCode(c);
      if (ch === "/" || ch === ":" || (c >= 0xd800 && c <= 0xdfff)) continue;
      const ifName = `a${ch}b`;
      let refused = false;
      try {
        validateIfName(ifName);
      } catch (err) {
        refused = err instanceof CniError && err.message === "interface name contains / or : or whitespace characters";
      }
      expect([c.toString(16), refused]).toEqual([c.toString(16), GO_SPACE_REGEX.test(ch)]);
    }
  });
});

describe("requireEnv and isCommand", () => {
  it("lists every missing variable in order, and only those the verb needs", () => {
    expect(() => requireEnv("ADD", {})).toThrow("required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing");
    expect(() => requireEnv("DEL", { CNI_CONTAINERID: "x" })).toThrow("required env variables [CNI_IFNAME] missing");
    expect(() => requireEnv("GC", { CNI_NETNS: "" })).toThrow("required env variables [CNI_PATH] missing");
    expect(() => requireEnv("STATUS", {})).not.toThrow();
  });
  it("knows the six commands and nothing else", () => {
    for (const c of ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"]) expect(isCommand(c)).toBe(true);
    for (const c of ["add", "", "VERSIONS", "toString", "__proto__"]) expect(isCommand(c)).toBe(false);
  });
});
