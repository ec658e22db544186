// @cni/libcni — what a container runtime does with CNI plugins (Go libcni, go-cni); cnitool is @cni/cnitool.
export { AttachmentExistsError, CniConfig, MultiError, NetworkPluginError, PluginNotFoundError, pluginConfig, type CniConfigOptions, type GcAttachment, type RuntimeConf } from "./api";
export {
  CACHE_KIND,
  CacheTrustError,
  DEFAULT_CACHE_DIR,
  cacheFile,
  deleteCache,
  isEntryFor,
  listCachedAttachments,
  parseCache,
  readCache,
  readCacheSlot,
  trustedResultsDir,
  writeCache,
  type AttachmentKey,
  type CachedAttachment,
} from "./cache";
export {
  ConfigError,
  LIBRARY_VERSION,
  confFiles,
  confListFromBytes,
  confListFromConf,
  loadAllConfLists,
  loadConfFile,
  loadConfList,
  type NetworkConfigList,
  type PluginConf,
} from "./conf";
export { DEFAULT_TIMEOUT_MS, PluginExecError, cniArgsText, execPlugin, findInPath, type ExecOptions, type PluginInvocation, type PluginOutput } from "./exec";
export {
  Cni,
  capabilities,
  groupResults,
  type FacadeNetwork,
  type InterfaceConfig,
  type NamespaceOptions,
  type PortMapping,
  type SetupResult,
} from "./facade";
