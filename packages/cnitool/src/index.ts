// @cni/cnitool — Go's cnitool on @cni/libcni, with `cnitool netns` on @cni/netlink (bin/cnitool is a
// link to the multi-call executable, whose command registry points here).
export { GC_ALL_OPTION, USAGE, cnitoolContainerId, cnitoolMain, liveAttachments, parseArgsText, runCnitool, type ToolIO } from "./cnitool";
export { EXIT_CANNOT_EXEC, EXIT_NO_NAMESPACE, netnsExecCommand } from "./netns-tool";
