// Every plugin and command: what `cni-plugins --list`/`--help` print and a name that is none of them runs.
import { COMMANDS } from "../commands";
import { PLUGINS } from "../plugins";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(PLUGINS, COMMANDS);
