// bin/portmap alone.
import { plugin as portmap } from "@cni/plugin-portmap";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["portmap", portmap]]));
