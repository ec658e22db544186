// Executable entry point (bundled by build.sh into bin/loopback). stdin and the own-netns guard go
// through the addon the plugin loads anyway, so no node:* module is loaded on a call.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./loopback";

installAddonProcessHost();
void plugin.main();
