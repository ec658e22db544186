// bin/firewall alone.
import { plugin as firewall } from "@cni/plugin-firewall";
import { defineChunk } from "../run-chunk";

export const chunk = defineChunk(new Map([["firewall", firewall]]));
