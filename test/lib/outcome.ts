// What a runtime checks of a plugin call: success is exit 0 with nothing on stderr; failure is exit 1
// with a CNI error on stdout and nothing on stderr (no stack trace).
import { expect } from "vitest";
import type { PluginOutput } from "./plugin";

/** The error JSON the spec has a failing plugin print. */
export interface CniErrorOutput {
  code: number;
  msg: string;
  details?: string;
}

/** The result JSON of a call that succeeded. */
export function succeeded<T>(r: PluginOutput): T {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.json as T;
}

/** The CNI error of a call that failed. */
export function failed(r: PluginOutput): CniErrorOutput {
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("");
  return r.json as CniErrorOutput;
}
