// The parts every real-runtime test sets up the same way: the Debian packages, our plugins installed into a
// temp dir with capture wrappers in front, and a bridge network config served by them.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { GO_BIN_DIR, REPO_ROOT } from "../plugin.js";
import { writeCaptureWrappers } from "./capture.js";
import { ensurePackages, run } from "./common.js";

/** Install what is missing (apt-get); logs how long that took, so CI time stays visible. */
export function ensureRuntimePackages(packages: readonly string[]): void {
  const { installed, seconds } = ensurePackages(packages);
  if (installed.length > 0) process.stderr.write(`runtime tests: installed ${installed.join(" ")} in ${seconds.toFixed(1)} s\n`);
}

export interface PluginDirs {
  /** our multi-call executable and its links, as scripts/install.sh puts them */
  installed: string;
  /** capture wrappers of the same names: the CNI_PATH the runtime gets */
  wrappers: string;
  /** where the wrappers log each call */
  callLog: string;
}

/**
 * Install bin/ (made by ./build.sh) into `<dir>/installed` with scripts/install.sh, wrappers in front.
 * CNI_RUNTIME_TEST_GO_PLUGINS=1 installs Debian's Go plugins instead, to compare (not for CI).
 */
export function installOurPlugins(dir: string): PluginDirs {
  const installed = join(dir, "installed");
  const wrappers = join(dir, "wrappers");
  const callLog = join(dir, "calls");
  mkdirSync(installed, { recursive: true });
  let names: string[];
  if (process.env.CNI_RUNTIME_TEST_GO_PLUGINS === "1") {
    names = ["bridge", "host-local", "loopback"];
    for (const name of names) copyFileSync(join(GO_BIN_DIR, name), join(installed, name));
  } else {
    run(resolve(REPO_ROOT, "scripts/install.sh"), [installed]);
    names = run(join(installed, "cni-plugins"), ["--list"]).stdout.split("\n").filter((n) => n !== "");
  }
  writeCaptureWrappers(wrappers, installed, callLog, names);
  return { installed, wrappers, callLog };
}

export interface BridgeNetwork {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  dataDir: string;
}

/** A conflist of one bridge plugin (gateway, masquerade) with host-local IPAM keeping leases in `dataDir`. */
export function writeBridgeConflist(file: string, network: BridgeNetwork): void {
  writeFileSync(
    file,
    JSON.stringify({
      cniVersion: "1.0.0",
      name: network.name,
      plugins: [
        {
          type: "bridge",
          bridge: network.bridge,
          isGateway: true,
          ipMasq: true,
          ipam: {
            type: "host-local",
            dataDir: network.dataDir,
            ranges: [[{ subnet: network.subnet, gateway: network.gateway }]],
            routes: [{ dst: "0.0.0.0/0" }],
          },
        },
      ],
    }),
  );
}
