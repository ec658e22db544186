// The tools the executable holds beside the plugins: bin/cnitool is a link to it like bin/<plugin>.
import { cnitoolMain } from "@cni/cnitool";
import type { CommandRegistry } from "./registry";

export const COMMANDS: CommandRegistry = new Map<string, () => Promise<void>>([["cnitool", cnitoolMain]]);
