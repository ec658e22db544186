// bin/bridge, with host-local beside it: the bridge's IPAM call runs in-process.
import { plugin as bridge } from "@cni/plugin-bridge";
import { plugin as hostLocal } from "@cni/plugin-host-local";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["bridge", bridge], ["host-local", hostLocal]]));
