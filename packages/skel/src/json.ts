// Reading decoded JSON as Go's encoding/json does for the well-known keys: names match
// case-insensitively (runtimes rely on it), unknown keys are ignored, and a value of the wrong
// JSON type is an error that names the key (code 7, docs/protocol.md §3).
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

/** How deep Go's encoding/json lets a document nest (arrays and objects); no runtime sends more. */
export const MAX_JSON_DEPTH = 10000;

const CHAR_QUOTE = 34;
const CHAR_BACKSLASH = 92;
const CHAR_OPEN_BRACKET = 91;
const CHAR_CLOSE_BRACKET = 93;
const CHAR_OPEN_BRACE = 123;
const CHAR_CLOSE_BRACE = 125;

/**
 * JSON.parse with Go's nesting limit: a document nested deeper than MAX_JSON_DEPTH is a SyntaxError
 * ("exceeded max depth", as Go's decoder says), found by a scan before parsing. A value that deep
 * takes a second to parse and overflows the stack of anything that walks it later (JSON.stringify).
 * A text shorter than the limit cannot nest that deep, so a normal config is not scanned at all.
 */
export function parseJson(text: string): unknown {
  if (text.length > MAX_JSON_DEPTH && nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new SyntaxError(`exceeded max depth: arrays and objects nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return JSON.parse(text) as unknown;
}

/** Whether brackets and braces outside strings nest deeper than `limit` somewhere in `text`. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === CHAR_QUOTE) {
      for (i++; i < end; i++) {
        const s = text.charCodeAt(i);
        if (s === CHAR_BACKSLASH) i++;
        else if (s === CHAR_QUOTE) break;
      }
    } else if (c === CHAR_OPEN_BRACKET || c === CHAR_OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CHAR_CLOSE_BRACKET || c === CHAR_CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

const DESCRIPTION_LIMIT = 64;

/**
 * A short description of a JSON value's type and value for error details, e.g. `got string "1500"`.
 * Only the start of the value is printed, so a huge or deeply nested one costs no more than a small one
 * (JSON.stringify of a value nested 100,000 deep overflows the stack).
 */
export function describeJson(value: unknown): string {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const text = jsonPreview(value, DESCRIPTION_LIMIT + 1);
  return `got ${type} ${text.length > DESCRIPTION_LIMIT ? `${text.slice(0, DESCRIPTION_LIMIT - 3)}...` : text}`;
}

/** JSON text of `value`, cut off once it is `budget` characters long; recursion stops there too. */
function jsonPreview(value: unknown, budget: number): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
  }
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? String(value);
  let out = Array.isArray(value) ? "[" : "{";
  let first = true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && out.length < budget; i++) {
      out += (first ? "" : ",") + jsonPreview(value[i] ?? null, budget - out.length);
      first = false;
    }
  } else {
    for (const key in value) {
      if (out.length >= budget) break;
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      const entry = (value as JsonObject)[key];
      if (entry === undefined) continue;
      out += `${first ? "" : ","}${jsonPreview(key, budget - out.length)}:`;
      out += jsonPreview(entry, budget - out.length);
      first = false;
    }
  }
  return out.length < budget ? out + (Array.isArray(value) ? "]" : "}") : out;
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
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== "string") throw wrongType(`${keyPath(where, key)}[${i}]`, "a string", list[i]);
  }
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
