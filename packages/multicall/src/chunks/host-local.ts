// bin/host-local alone.
import { plugin as hostLocal } from "@cni/plugin-host-local";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["host-local", hostLocal]]));
