// parseVersion is a char-code loop now (no regex or split on the per-call path): same answers as before.
import { describe, expect, it } from "vitest";
import { compareVersions, isSpecVersion, parseVersion } from "../src/versions";

/** The split/regex definition it replaced, as the reference. */
function parseVersionReference(version: string): [number, number, number] | undefined {
  const parts = version.split(".");
  if (parts.length > 3 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const [major = 0, minor = 0, patch = 0] = parts.map(Number);
  return [major, minor, patch];
}

describe("parseVersion", () => {
  it.each(["", "1", "1.2", "1.2.3", "1.2.3.4", "0.4.0", "10.20.30", "1.", ".1", "1..2", "a", "1.x", "1.2.3-rc1", " 1", "007.1", "1.2.", "-1"])(
    "%j as the split/regex version reads it",
    (text) => {
      expect(parseVersion(text)).toEqual(parseVersionReference(text));
    },
  );
  it("compares by number, not text", () => {
    expect(compareVersions("0.10.0", "0.4.0")).toBeGreaterThan(0);
    expect(compareVersions("1.0", "1.0.0")).toBe(0);
    expect(compareVersions("1.0.0", "bogus")).toBeUndefined();
  });
  it("isSpecVersion knows the seven spec versions only", () => {
    expect(isSpecVersion("0.3.1")).toBe(true);
    expect(isSpecVersion("0.3.2")).toBe(false);
    expect(isSpecVersion("")).toBe(false);
  });
});
