// prevResult: what the plugins before this one in a chain reported. CHECK needs it to verify against,
// and the chained plugins (portmap, firewall, tuning) need it on ADD too: they read the container's
// interfaces and IPs from it and print it on. skel has already parsed it by its own `cniVersion` (the
// config's only when it declares none; docs/protocol.md §4) into the current shape, as
// `args.config.prevResult`; what is here is the rest of what a chained plugin does with it.
import { CniError, ErrorCode, resultToVersion, validateInterfaceIndexes, type CmdArgs, type JsonObject, type Result } from "@cni/skel";

/** The reference's words for a CHECK (and tuning's ADD) without prevResult. */
export const PREV_RESULT_MISSING = "Required prevResult missing";

/**
 * The prevResult ADD or CHECK must work from, its `ips[].interface` indexes checked against its
 * `interfaces`. Without one: code 7 (the configuration lacks a field the verb needs) with `missing`,
 * which names what is missing in the plugin's words (portmap's ADD says `must be called as chained
 * plugin`); the Go plugins say the same with code 999. A bad index: code 7 naming the field.
 */
export function requirePrevResult(args: CmdArgs, missing: string = PREV_RESULT_MISSING): Result {
  const prevResult = args.config.prevResult;
  if (prevResult === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, missing);
  validateInterfaceIndexes(prevResult, "prevResult");
  return prevResult;
}

/**
 * prevResult as the config's `cniVersion` prints it: what a chained plugin's ADD outputs. Converting
 * first lets a plugin fail before it changes anything when the config's version cannot hold the result
 * (code 1 `cannot convert: no valid IP addresses` for 0.1.0/0.2.0 without an IP).
 */
export function prevResultInConfigVersion(args: CmdArgs, missing: string = PREV_RESULT_MISSING): JsonObject {
  return resultToVersion(requirePrevResult(args, missing), args.config.cniVersion);
}

/**
 * ADD of a chained plugin that changes nothing in the result (portmap without mappings, firewall): the
 * prevResult as it came, which skel prints in the config's `cniVersion`. Checked to convert, so that
 * an unprintable result fails before the plugin's own work, not after it.
 */
export function passPrevResultThrough(args: CmdArgs, missing: string = PREV_RESULT_MISSING): Result {
  const prevResult = requirePrevResult(args, missing);
  resultToVersion(prevResult, args.config.cniVersion);
  return prevResult;
}
