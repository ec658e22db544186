// bin/loopback alone.
import { plugin as loopback } from "@cni/plugin-loopback";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["loopback", loopback]]));
