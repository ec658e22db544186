// bin/tuning alone.
import { plugin as tuning } from "@cni/plugin-tuning";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["tuning", tuning]]));
