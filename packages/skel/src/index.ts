// @cni/skel — the CNI protocol for plugin authors: environment, stdin config, versions, result types
// and conversion, errors and codes, CNI_ARGS, delegation to IPAM via CNI_PATH, and definePlugin().
// This file is the package's contract; the code lives in the modules it re-exports.

export { ALL_VERSIONS, CURRENT_VERSION, compareVersions, type SpecVersion } from "./versions";
export { CniError, ErrorCode, isCniError, toCniError, formatError } from "./errors";
export type { Interface, IPConfig, Route, DNS, Result, NetConf, Command, CmdArgs, PluginSpec, PluginIO, Plugin, Attachment } from "./types";
export { parseResult, formatResult, resultToVersion, validateInterfaceIndexes, decodeRoutes, readDNSFields } from "./result";
export { getKey, readKey, isJsonObject, wrongType, parseJson, MAX_JSON_DEPTH, type JsonObject } from "./json";
export { parseNetConf, validAttachments, VALID_ATTACHMENTS_KEY, LEGACY_ATTACHMENTS_KEY } from "./config";
export { parseCniArgs } from "./cniargs";
export {
  parseIP,
  parseCIDR,
  formatIP,
  formatCIDR,
  ipToBytes,
  ipFromBytes,
  nextIP,
  prevIP,
  networkOf,
  lastAddressOf,
  cidrContains,
  compareIP,
  sameIP,
  familyBits,
  type Family,
  type IPAddr,
  type CIDR,
} from "./ip";
export { validateContainerId, validateIfName, isValidName } from "./env";
export { definePlugin } from "./plugin";
export {
  runPluginProcess,
  PluginSpawnError,
  DELEGATE_BUSY_RETRY_MS,
  MAX_PLUGIN_OUTPUT_BYTES,
  type PluginProcessOptions,
  type PluginProcessOutput,
} from "./invoke";
export { setProcessHost, MAX_STDIN_BYTES, type ProcessHost, type FileIdentity } from "./host";
export {
  delegate,
  delegateAdd,
  delegateDel,
  delegateCheck,
  delegateStatus,
  delegateGC,
  findPlugin,
  absolutePath,
  parsePluginError,
  delegationDepth,
  setInProcessDelegate,
  DELEGATION_DEPTH_ENV,
  MAX_DELEGATION_DEPTH,
  type PluginErrorOutput,
  type DelegateRequest,
  type DelegateResponse,
  type InProcessDelegate,
} from "./delegate";
