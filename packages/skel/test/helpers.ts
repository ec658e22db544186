// Runs a plugin in-process with a fake environment and stdin, capturing what it prints.
import { definePlugin, type CmdArgs, type Plugin, type PluginSpec, type Result } from "../src/index";

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON */
  json: any;
  /** how many times stdin was read */
  stdinReads: number;
}

export interface Invocation {
  env?: Record<string, string | undefined>;
  /** object -> JSON text; string/Buffer as is */
  stdin?: unknown;
  /** make reading stdin fail with this error */
  stdinError?: Error;
}

export async function invoke(plugin: Plugin, inv: Invocation): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  let stdinReads = 0;
  const stdin =
    inv.stdin === undefined ? Buffer.alloc(0)
    : Buffer.isBuffer(inv.stdin) ? inv.stdin
    : Buffer.from(typeof inv.stdin === "string" ? inv.stdin : JSON.stringify(inv.stdin));
  const code = await plugin.run({
    env: inv.env ?? {},
    readStdin: () => {
      stdinReads++;
      if (inv.stdinError) throw inv.stdinError;
      return stdin;
    },
    writeStdout: (t) => (stdout += t),
    writeStderr: (t) => (stderr += t),
  });
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json, stdinReads };
}

/** A plugin that records which handler ran with which args; ADD returns `addResult`. */
export function recordingPlugin(overrides: Partial<PluginSpec> = {}): { plugin: Plugin; calls: Array<[string, CmdArgs]> } {
  const calls: Array<[string, CmdArgs]> = [];
  const addResult: Result = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:01", sandbox: "/var/run/netns/x" }],
    ips: [{ interface: 0, address: "10.1.2.3/24", gateway: "10.1.2.1" }],
  };
  const plugin = definePlugin({
    about: "CNI test plugin v9",
    add: (a) => (calls.push(["ADD", a]), addResult),
    del: (a) => void calls.push(["DEL", a]),
    check: (a) => void calls.push(["CHECK", a]),
    status: (a) => void calls.push(["STATUS", a]),
    gc: (a) => void calls.push(["GC", a]),
    ...overrides,
  });
  return { plugin, calls };
}

export const ALL = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** A full, valid environment for ADD/DEL/CHECK (the netns path does not exist, so the own-netns guard passes). */
export function envFor(command: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "ctr-1",
    CNI_NETNS: "/var/run/netns/does-not-exist-skel-test",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    ...extra,
  };
}

export const CONF = { cniVersion: "1.1.0", name: "testnet", type: "test" };
