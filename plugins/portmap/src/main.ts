// Executable entry point when portmap is built on its own (build.sh --separate); the multi-call executable
// imports ./portmap through packages/multicall instead. As loopback's: no node:* module loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./portmap";

installAddonProcessHost();
void plugin.main();
