// bin/cnitool: the runtime side (libcni), which runs plugins as processes and so holds none.
import { COMMANDS } from "../commands";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map(), COMMANDS);
