// Reading decoded JSON as Go's encoding/json does for the well-known keys: names match
// case-insensitively (runtimes rely on it), unknown keys are ignored, and a value of the wrong
// JSON type is an error that names the key (code 7, protocol.md §3).
import { CniError, ErrorCode } from "./errors";

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Case-insensitive key lookup. An exact-case match wins; otherwise the last key that matches
 * ignoring case (Go assigns every matching key in order, so the last one sticks).
 */
export function getKey(obj: JsonObject, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  let found: unknown;
  for (const k of Object.keys(obj)) {
    if (k.length === key.length && k.toLowerCase() === lower) found = obj[k];
  }
  return found;
}

/** Go's `%q` of a string list, as Go's messages print one: `["0.1.0" "0.2.0"]`. */
export function goQuotedList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(" ")}]`;
}

/** `where.key`, the name a message uses for a key. */
export function keyPath(where: string | undefined, key: string): string {
  return where ? `${where}.${key}` : key;
}

/** A short description of a JSON value's type and value for error details, e.g. `got string "1500"`. */
export function describeJson(value: unknown): string {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return `got ${type} ${text.length > 64 ? `${text.slice(0, 61)}...` : text}`;
}

export function wrongType(path: string, expected: string, value: unknown): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `"${path}" must be ${expected}`, describeJson(value));
}

/** A present, non-null value of the key (null reads as absent, like Go's zero value). */
function present(obj: JsonObject, key: string): unknown {
  const value = getKey(obj, key);
  return value === null ? undefined : value;
}

function readString(obj: JsonObject, key: string, where?: string): string | undefined {
  const v = present(obj, key);
  if (v === undefined || typeof v === "string") return v;
  throw wrongType(keyPath(where, key), "a string", v);
}

function readBoolean(obj: JsonObject, key: string, where?: string): boolean | undefined {
  const v = present(obj, key);
  if (v === undefined || typeof v === "boolean") return v;
  throw wrongType(keyPath(where, key), "a boolean", v);
}

function readInteger(obj: JsonObject, key: string, where?: string): number | undefined {
  const v = present(obj, key);
  if (v === undefined || (typeof v === "number" && Number.isSafeInteger(v))) return v;
  throw wrongType(keyPath(where, key), "an integer", v);
}

function readObject(obj: JsonObject, key: string, where?: string): JsonObject | undefined {
  const v = present(obj, key);
  if (v === undefined || isJsonObject(v)) return v;
  throw wrongType(keyPath(where, key), "an object", v);
}

function readArray(obj: JsonObject, key: string, where?: string): unknown[] | undefined {
  const v = present(obj, key);
  if (v === undefined || Array.isArray(v)) return v;
  throw wrongType(keyPath(where, key), "an array", v);
}

function readStringArray(obj: JsonObject, key: string, where?: string): string[] | undefined {
  const list = readArray(obj, key, where);
  if (list === undefined) return undefined;
  list.forEach((item, i) => {
    if (typeof item !== "string") throw wrongType(`${keyPath(where, key)}[${i}]`, "a string", item);
  });
  return list as string[];
}

/**
 * Typed readers for plugin-specific keys. `where` names the path for messages, e.g. "ipam".
 * A wrong JSON type throws CniError(7, `"ipam.subnet" must be a string`) with the value in details.
 * Absent and `null` read as undefined.
 */
export const readKey: {
  string(obj: JsonObject, key: string, where?: string): string | undefined;
  boolean(obj: JsonObject, key: string, where?: string): boolean | undefined;
  integer(obj: JsonObject, key: string, where?: string): number | undefined;
  object(obj: JsonObject, key: string, where?: string): JsonObject | undefined;
  array(obj: JsonObject, key: string, where?: string): unknown[] | undefined;
  stringArray(obj: JsonObject, key: string, where?: string): string[] | undefined;
} = {
  string: readString,
  boolean: readBoolean,
  integer: readInteger,
  object: readObject,
  array: readArray,
  stringArray: readStringArray,
};
