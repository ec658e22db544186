// CNI_ARGS parsing (docs/protocol.md §2, Go's types.LoadArgs).
import { describe, expect, it } from "vitest";
import { CniError, parseCniArgs } from "../src/index";

function error(raw: string, known: string[]): CniError {
  try {
    parseCniArgs(raw, known);
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("parseCniArgs", () => {
  it("empty is no args", () => {
    expect(parseCniArgs("", ["IP"])).toEqual({});
  });

  it("reads known keys", () => {
    expect(parseCniArgs("IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff", ["IP", "MAC"])).toEqual({ IP: "10.0.0.5", MAC: "aa:bb:cc:dd:ee:ff" });
  });

  it("splits at the first '=' (values may contain '=')", () => {
    expect(parseCniArgs("K8S_POD_NAME=a=b", ["K8S_POD_NAME"])).toEqual({ K8S_POD_NAME: "a=b" });
    expect(parseCniArgs("IP=", ["IP"])).toEqual({ IP: "" });
  });

  it("keys are exact-case", () => {
    expect(error("ip=10.0.0.5", ["IP"])).toMatchObject({ code: 4, message: 'ARGS: unknown args ["ip=10.0.0.5"]' });
  });

  it("unknown keys are all listed, Go-style", () => {
    expect(error("FOO=bar;IP=1.2.3.4;BAZ=1", ["IP"]).message).toBe('ARGS: unknown args ["FOO=bar" "BAZ=1"]');
  });

  it.each(["1", "true", "True", "TRUE"])("IgnoreUnknown=%s ignores unknown keys, in any position", (v) => {
    expect(parseCniArgs(`FOO=bar;IgnoreUnknown=${v};K8S_POD_NAME=p;IP=10.0.0.5`, ["IP"])).toEqual({ IP: "10.0.0.5" });
    expect(parseCniArgs(`IgnoreUnknown=${v};FOO=bar`, [])).toEqual({});
  });

  it.each(["0", "false"])("IgnoreUnknown=%s does not", (v) => {
    expect(error(`IgnoreUnknown=${v};FOO=bar`, []).code).toBe(4);
  });

  it("IgnoreUnknown is not case-folded as a key and is never returned", () => {
    expect(error("ignoreunknown=1;FOO=bar", []).message).toBe('ARGS: unknown args ["ignoreunknown=1" "FOO=bar"]');
    expect(parseCniArgs("IgnoreUnknown=1", ["IgnoreUnknown"])).toEqual({});
  });

  it("a bad IgnoreUnknown value is code 4", () => {
    expect(error("IgnoreUnknown=yes", [])).toMatchObject({ code: 4, message: 'ARGS: error parsing value of pair "IgnoreUnknown=yes"' });
  });

  it("a pair without '=' is code 4; empty segments are skipped", () => {
    expect(error("IP=1.2.3.4;junk", ["IP"])).toMatchObject({ code: 4, message: 'ARGS: invalid pair "junk"' });
    expect(parseCniArgs("IP=1.2.3.4;;", ["IP"])).toEqual({ IP: "1.2.3.4" });
  });

  it("a repeated key keeps the last value", () => {
    expect(parseCniArgs("IP=1.1.1.1;IP=2.2.2.2", ["IP"])).toEqual({ IP: "2.2.2.2" });
  });
});
