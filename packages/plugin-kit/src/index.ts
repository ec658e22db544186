// @cni/plugin-kit: what several plugins need, one owner per job (design.md). Plugins import it; it imports
// @cni/skel and @cni/netlink and never a plugin.
export {};
