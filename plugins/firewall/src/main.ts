// Executable entry point when firewall is built on its own (build.sh --separate); the multi-call executable
// imports ./firewall through packages/multicall instead. As loopback's: no node:* module loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./firewall";

installAddonProcessHost();
void plugin.main();
