// Executable entry point (bundled by build.sh into bin/host-local). stdin and the own-netns guard go
// through the addon the plugin loads anyway (for its lock), not through node:fs.
import { installAddonProcessHost } from "@cni/plugin-kit";
import { plugin } from "./host-local";

installAddonProcessHost();
void plugin.main();
