// @cni/multicall — one executable for every plugin: name dispatch and in-process IPAM delegation.
export { EXECUTABLE_NAME, LIST_OPTION, invokedName, runMulticall, usage, type MulticallOptions } from "./multicall";
export {
  baseName,
  inProcessDelegate,
  runInProcess,
  runningExecutableCheck,
  type ExecutableCheck,
  type FileIdentityOf,
} from "./in-process";
export { PLUGINS } from "./plugins";
export { COMMANDS } from "./commands";
export type { CommandRegistry, PluginRegistry } from "./registry";
