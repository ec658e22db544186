// CNI errors: the spec's code table and the object a plugin prints on stdout when it fails.

/** Error codes of the spec (docs/protocol.md §5). */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IOFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetNS: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

/** A CNI error: printed as `{cniVersion, code, msg, details?}` on stdout, exit 1. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details: string = "",
  ) {
    super(msg);
    this.name = "CniError";
  }
}

/**
 * True for a CniError, also one built by another copy of this module (a bundle may hold two);
 * anything else thrown by a handler is an internal error (code 999).
 */
export function isCniError(value: unknown): value is CniError {
  if (value instanceof CniError) return true;
  if (!(value instanceof Error) || value.name !== "CniError") return false;
  const { code, details } = value as Error & { code?: unknown; details?: unknown };
  return typeof code === "number" && (details === undefined || typeof details === "string");
}

/** Whatever was thrown, as a CniError: typed errors pass unchanged, the rest become code 999 with their message. */
export function toCniError(thrown: unknown): CniError {
  if (isCniError(thrown)) return thrown;
  if (thrown instanceof Error) return new CniError(ErrorCode.Internal, thrown.message || thrown.name);
  return new CniError(ErrorCode.Internal, String(thrown));
}

/** The error object as the spec shows it, indented like the Go plugins print it (no trailing newline). */
export function formatError(error: CniError, cniVersion: string): string {
  const body: { cniVersion: string; code: number; msg: string; details?: string } = {
    cniVersion,
    code: error.code,
    msg: error.message,
  };
  if (error.details) body.details = error.details;
  return goIndentedJson(body);
}

/**
 * JSON as Go's `json.MarshalIndent(v, "", "    ")` writes it: 4-space indent, and `<`, `>`, `&`,
 * U+2028, U+2029 escaped. Those characters only occur inside strings, so replacing them is safe.
 * Every ADD formats its result here: native indexOf scans first, so the usual text with none of them
 * costs no regex and no JavaScript loop over its characters (a loop that long makes the engine start
 * its JIT thread, which a fresh process pays for).
 */
export function goIndentedJson(value: unknown): string {
  const text = JSON.stringify(value, null, 4);
  if (
    text.indexOf("<") < 0 &&
    text.indexOf(">") < 0 &&
    text.indexOf("&") < 0 &&
    text.indexOf("\u2028") < 0 &&
    text.indexOf("\u2029") < 0
  ) {
    return text;
  }
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
