// @cni/skel — the CNI protocol for plugin authors: environment, stdin config, versions, result types
// and conversion, errors and codes, CNI_ARGS, delegation to IPAM via CNI_PATH, and definePlugin().
// This file is the package's contract; the code lives in the modules it re-exports.

export { ALL_VERSIONS, CURRENT_VERSION, compareVersions, type SpecVersion } from "./versions";
export { CniError, ErrorCode, isCniError, toCniError, formatError } from "./errors";
export type { Interface, IPConfig, Route, DNS, Result, NetConf, Command, CmdArgs, PluginSpec, PluginIO, Plugin, Attachment } from "./types";
export { parseResult, formatResult, resultToVersion } from "./result";
export { getKey, readKey, type JsonObject } from "./json";
export { parseNetConf, validAttachments, VALID_NAME, VALID_ATTACHMENTS_KEY, LEGACY_ATTACHMENTS_KEY } from "./config";
export { parseCniArgs } from "./cniargs";
export { parseIP, formatIP, ipFamily, type IPBytes } from "./ip";
export { validateContainerId, validateIfName } from "./env";
export { definePlugin } from "./plugin";
export {
  delegate,
  delegateAdd,
  delegateDel,
  delegateCheck,
  delegateStatus,
  delegateGC,
  findPlugin,
  setInProcessDelegate,
  type DelegateRequest,
  type DelegateResponse,
  type InProcessDelegate,
} from "./delegate";
