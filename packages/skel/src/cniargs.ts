// CNI_ARGS: `K=V;K2=V2` with exact-case keys (docs/protocol.md §2, Go's types.LoadArgs).
import { CniError, ErrorCode } from "./errors";
import { goQuotedList } from "./json";

const IGNORE_UNKNOWN = "IgnoreUnknown";

/** `IgnoreUnknown`'s value, read as Go's UnmarshallableBool: 1/true/0/false in any case. */
function parseIgnoreUnknown(pair: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw new CniError(ErrorCode.InvalidEnvironment, `ARGS: error parsing value of pair ${JSON.stringify(pair)}`, `invalid boolean ${JSON.stringify(value)}`);
}

/**
 * Parse CNI_ARGS (`K=V;K2=V2`, exact-case keys, split at the first `=`; empty segments are skipped).
 * Keys not in `known` are an error (CniError code 4, `ARGS: unknown args ["FOO=bar"]`) unless
 * `IgnoreUnknown=1|true|True` is present. `IgnoreUnknown` itself is always known and is not returned.
 * A repeated key keeps its last value.
 */
export function parseCniArgs(raw: string, known: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  let ignoreUnknown = false;
  // indexOf and slice rather than split: this runs on every call a runtime passes CNI_ARGS to.
  for (let start = 0; start <= raw.length; ) {
    let end = raw.indexOf(";", start);
    if (end < 0) end = raw.length;
    const pair = raw.slice(start, end);
    start = end + 1;
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq < 0) throw new CniError(ErrorCode.InvalidEnvironment, `ARGS: invalid pair ${JSON.stringify(pair)}`, "expected KEY=VALUE");
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (key === IGNORE_UNKNOWN) ignoreUnknown = parseIgnoreUnknown(pair, value);
    else if (isKnown(known, key)) values[key] = value;
    else unknown.push(pair);
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(ErrorCode.InvalidEnvironment, `ARGS: unknown args ${goQuotedList(unknown)}`, `known keys: ${[IGNORE_UNKNOWN, ...known].join(", ")}`);
  }
  return values;
}

function isKnown(known: readonly string[], key: string): boolean {
  for (const k of known) if (k === key) return true;
  return false;
}
