// The CmdArgs of an ADD call whose stdin is `raw` (cniVersion, name and type filled in): what a plugin's
// config readers take, without running a plugin.
import { parseNetConf, type CmdArgs } from "@cni/skel";

export function addCmdArgs(type: string, raw: Record<string, unknown>, cniArgs = ""): CmdArgs {
  const config = parseNetConf({ cniVersion: "1.1.0", name: "n", type, ...raw });
  return { command: "ADD", containerId: "c", netns: "/x", ifName: "eth0", args: cniArgs, path: [], stdinData: Buffer.from(""), config, env: {} };
}
