// The environment of one invocation: which variables each verb needs, and the checks on their values
// (docs/protocol.md §2). Plain loops and char codes, no regexes or Buffer: this runs on every call, and the
// first use of each builtin costs a fresh process start-up time.
import { CniError, ErrorCode } from "./errors";
import type { Command } from "./types";

/** Every command, VERSION included. */
export const COMMANDS = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"] as const;
export type AnyCommand = (typeof COMMANDS)[number];

export function isCommand(value: string): value is AnyCommand {
  switch (value) {
    case "ADD":
    case "DEL":
    case "CHECK":
    case "STATUS":
    case "GC":
    case "VERSION":
      return true;
    default:
      return false;
  }
}

/** Variables in the order a "missing" message lists them, with the verbs that require each. */
const REQUIRED: ReadonlyArray<readonly [name: string, verbs: readonly Command[]]> = [
  ["CNI_CONTAINERID", ["ADD", "DEL", "CHECK"]],
  ["CNI_NETNS", ["ADD", "CHECK"]],
  ["CNI_IFNAME", ["ADD", "DEL", "CHECK"]],
  // Optional for the other verbs (spec); a plugin that must delegate fails then (code 4 naming CNI_PATH).
  ["CNI_PATH", ["GC"]],
];

/** All required variables that are unset or empty, reported together (code 4). */
export function requireEnv(command: Command, env: Record<string, string | undefined>): void {
  let missing = "";
  for (const [name, verbs] of REQUIRED) {
    if (env[name] || !hasVerb(verbs, command)) continue;
    missing = missing === "" ? name : `${missing},${name}`;
  }
  if (missing !== "") throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing}] missing`);
}

function hasVerb(verbs: readonly Command[], command: Command): boolean {
  for (const verb of verbs) if (verb === command) return true;
  return false;
}

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_UPPER_A = 0x41;
const CHAR_UPPER_Z = 0x5a;
const CHAR_LOWER_A = 0x61;
const CHAR_LOWER_Z = 0x7a;
const CHAR_UNDERSCORE = 0x5f;
const CHAR_DOT = 0x2e;
const CHAR_HYPHEN = 0x2d;

function isAlphanumeric(c: number): boolean {
  return (c >= CHAR_0 && c <= CHAR_9) || (c >= CHAR_UPPER_A && c <= CHAR_UPPER_Z) || (c >= CHAR_LOWER_A && c <= CHAR_LOWER_Z);
}

/** `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$` as a loop: container ids and network names (a directory name in host-local). */
export function isValidName(name: string): boolean {
  if (name === "" || !isAlphanumeric(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAlphanumeric(c) && c !== CHAR_UNDERSCORE && c !== CHAR_DOT && c !== CHAR_HYPHEN) return false;
  }
  return true;
}

/** CNI_CONTAINERID: non-empty, `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`. */
export function validateContainerId(containerId: string): void {
  if (containerId === "") throw new CniError(ErrorCode.UnknownContainer, "missing containerID");
  if (!isValidName(containerId)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", containerId);
  }
}

const MAX_IFNAME_BYTES = 15; // IFNAMSIZ - 1

/** Whitespace as Go's unicode.IsSpace sees it. */
function isGoSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Bytes of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of U+FFFD, as Buffer.byteLength). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

const CHAR_SLASH = 0x2f;
const CHAR_COLON = 0x3a;

/** CNI_IFNAME: what the kernel accepts as a link name (net/core/dev.c dev_valid_name). Code 4. */
export function validateIfName(ifName: string): void {
  if (ifName === "") throw ifNameError("interface name is empty", "CNI_IFNAME must name the interface to create");
  const bytes = utf8Length(ifName);
  if (bytes > MAX_IFNAME_BYTES) {
    throw ifNameError(
      "interface name is too long",
      `${JSON.stringify(ifName)} is ${bytes} bytes; interface name should be less than ${MAX_IFNAME_BYTES + 1} characters`,
    );
  }
  if (ifName === "." || ifName === "..") throw ifNameError("interface name is . or ..", JSON.stringify(ifName));
  for (let i = 0; i < ifName.length; i++) {
    const c = ifName.charCodeAt(i);
    if (c === CHAR_SLASH || c === CHAR_COLON || isGoSpace(c)) {
      throw ifNameError("interface name contains / or : or whitespace characters", JSON.stringify(ifName));
    }
  }
}

function ifNameError(msg: string, details: string): CniError {
  return new CniError(ErrorCode.InvalidEnvironment, msg, details);
}
