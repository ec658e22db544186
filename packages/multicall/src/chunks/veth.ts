// bin/veth and bin/ptp (the reference's name for its job), with host-local beside them: the IPAM call
// runs in-process.
import { plugin as hostLocal } from "@cni/plugin-host-local";
import { plugin as veth } from "@cni/plugin-veth";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["host-local", hostLocal], ["ptp", veth], ["veth", veth]]));
