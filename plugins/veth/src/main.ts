// Executable entry point when veth is built on its own (build.sh --separate); the multi-call executable
// imports ./veth through packages/multicall instead. As loopback's: no node:* module loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./veth";

installAddonProcessHost();
void plugin.main();
