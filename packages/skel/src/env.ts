// The environment of one invocation: which variables each verb needs, and the checks on their values
// (protocol.md §2).
import { CniError, ErrorCode } from "./errors";
import { VALID_NAME } from "./config";
import type { Command } from "./types";

/** Every command, VERSION included. */
export const COMMANDS = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"] as const;
export type AnyCommand = (typeof COMMANDS)[number];

export function isCommand(value: string): value is AnyCommand {
  return (COMMANDS as readonly string[]).includes(value);
}

/** Variables in the order a "missing" message lists them, with the verbs that require each. */
const REQUIRED: ReadonlyArray<[name: string, verbs: readonly Command[]]> = [
  ["CNI_CONTAINERID", ["ADD", "DEL", "CHECK"]],
  ["CNI_NETNS", ["ADD", "CHECK"]],
  ["CNI_IFNAME", ["ADD", "DEL", "CHECK"]],
  // Optional for the other verbs (spec); a plugin that must delegate fails then (code 4 naming CNI_PATH).
  ["CNI_PATH", ["GC"]],
];

/** All required variables that are unset or empty, reported together (code 4). */
export function requireEnv(command: Command, env: Record<string, string | undefined>): void {
  const missing = REQUIRED.filter(([name, verbs]) => verbs.includes(command) && !env[name]).map(([name]) => name);
  if (missing.length > 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(",")}] missing`);
  }
}

/** CNI_CONTAINERID: non-empty, `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`. */
export function validateContainerId(containerId: string): void {
  if (containerId === "") throw new CniError(ErrorCode.UnknownContainer, "missing containerID");
  if (!VALID_NAME.test(containerId)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", containerId);
  }
}

const MAX_IFNAME_BYTES = 15; // IFNAMSIZ - 1

/** Whitespace as Go's unicode.IsSpace sees it. */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** CNI_IFNAME: what the kernel accepts as a link name (net/core/dev.c dev_valid_name). Code 4. */
export function validateIfName(ifName: string): void {
  const fail = (msg: string, details: string): never => {
    throw new CniError(ErrorCode.InvalidEnvironment, msg, details);
  };
  if (ifName === "") fail("interface name is empty", "CNI_IFNAME must name the interface to create");
  const bytes = Buffer.byteLength(ifName, "utf8");
  if (bytes > MAX_IFNAME_BYTES) {
    fail("interface name is too long", `${JSON.stringify(ifName)} is ${bytes} bytes; interface name should be less than ${MAX_IFNAME_BYTES + 1} characters`);
  }
  if (ifName === "." || ifName === "..") fail("interface name is . or ..", JSON.stringify(ifName));
  if (ifName.includes("/") || ifName.includes(":") || SPACE.test(ifName)) {
    fail("interface name contains / or : or whitespace characters", JSON.stringify(ifName));
  }
}
