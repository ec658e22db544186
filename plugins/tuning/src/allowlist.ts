// The administrator's allowlist of sysctls, /etc/cni/tuning/allowlist.conf, as Go's tuning (HEAD) reads it:
// one regular expression per line (trimmed, blank lines skipped), each matched unanchored against a key as
// the config writes it (IFNAME not yet replaced). With no file, every net sysctl is allowed. ADD only.
//
// The expressions are Go's (RE2). JavaScript's RegExp reads the same text the same way for what allowlists
// use (literals, classes, anchors, repeats, groups); what differs is translated: a leading `(?flags)`
// (i, m, s), `(?P<name>`, `\A` and `\z`, and POSIX classes such as `[[:digit:]]`. An expression that is
// still not valid is an error naming the file and line, not a silent mismatch.
import { CniError, ErrorCode } from "@cni/skel";
import { readTextFileIfExists } from "@cni/host-files";
import { netlinkToCniError } from "@cni/plugin-kit";

export const ALLOWLIST_PATH = "/etc/cni/tuning/allowlist.conf";
const MAX_ALLOWLIST_BYTES = 1024 * 1024;

export interface Allowlist {
  /** the lines as written, for the message */
  patterns: string[];
  expressions: RegExp[];
}

/** The allowlist, or undefined when the file does not exist. */
export function readAllowlist(path: string = ALLOWLIST_PATH): Allowlist | undefined {
  let text: string | undefined;
  try {
    text = readTextFileIfExists(path, MAX_ALLOWLIST_BYTES);
  } catch (thrown) {
    throw netlinkToCniError(thrown, `failed to read the sysctl allowlist ${path}`, ErrorCode.IOFailure);
  }
  if (text === undefined) return undefined;
  return parseAllowlist(text, path);
}

export function parseAllowlist(text: string, path: string): Allowlist {
  const patterns: string[] = [];
  const expressions: RegExp[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const pattern = (lines[i] as string).trim();
    if (pattern === "") continue;
    patterns.push(pattern);
    expressions.push(compileGoRegexp(pattern, `${path} line ${i + 1}`));
  }
  return { patterns, expressions };
}

/** Code 7 unless one of the allowlist's expressions matches `key` (somewhere in it, as Go's MatchString). */
export function requireAllowed(allowlist: Allowlist, key: string): void {
  for (const expression of allowlist.expressions) if (expression.test(key)) return;
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `Sysctl ${key} is not allowed. Only the following sysctls are allowed: [${allowlist.patterns.join(" ")}]`,
    `the allowlist is ${ALLOWLIST_PATH}`,
  );
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** A Go (RE2) expression as a RegExp with the same meaning; code 999 naming `where` when it is not one. */
export function compileGoRegexp(pattern: string, where: string): RegExp {
  let source = pattern;
  let flags = "";
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading !== null) {
    const goFlags = leading[1] as string;
    if (goFlags.includes("U")) throw badExpression(pattern, where, "the U (ungreedy) flag has no JavaScript equivalent");
    flags = goFlags;
    source = source.slice(leading[0].length);
  }
  source = source
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "(?<![\\s\\S])")
    .replace(/\\z/g, "(?![\\s\\S])")
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole: string, negated: string, name: string) => {
      const members = POSIX_CLASSES[name];
      if (members === undefined || negated !== "") return whole;
      return members;
    });
  try {
    return new RegExp(source, flags);
  } catch (thrown) {
    throw badExpression(pattern, where, thrown instanceof Error ? thrown.message : String(thrown));
  }
}

function badExpression(pattern: string, where: string, why: string): CniError {
  return new CniError(ErrorCode.Internal, `invalid sysctl allowlist expression ${JSON.stringify(pattern)} (${where})`, why);
}
