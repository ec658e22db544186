// Executable entry point when bridge is built on its own (build.sh --separate); the multi-call executable
// imports ./bridge through packages/multicall instead. As loopback's: no node:* module loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./bridge";

installAddonProcessHost();
void plugin.main();
