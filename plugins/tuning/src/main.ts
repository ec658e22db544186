// Executable entry point when tuning is built on its own (build.sh --separate); the multi-call executable
// imports ./tuning through packages/multicall instead. As loopback's: no node:* module loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./tuning";

installAddonProcessHost();
void plugin.main();
