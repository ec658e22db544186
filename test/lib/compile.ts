// Compile an entry point the way build.sh compiles bin/cni-plugins (esbuild bundle, then `bun build
// --compile` with the same flags and the rtnetlink addon embedded), for tests that need an executable
// build.sh does not ship, e.g. the multi-call executable with a test plugin registered.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "./plugin.js";

/** Flags of build.sh's compile step. */
export const COMPILE_FLAGS = ["--bytecode", "--minify", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];

/**
 * Bundle `entry` (relative to the repo) into `<workDir>/build/<name>/main.cjs` and compile it to
 * `<workDir>/<name>`; returns that path. The addon comes from build/ (./build.sh puts it there).
 */
export function compileExecutable(entry: string, workDir: string, name: string): string {
  const addon = resolve(REPO_ROOT, "build/rtnetlink.node");
  if (!existsSync(addon)) throw new Error(`${addon} missing: run ./build.sh first`);
  const bundleDir = join(workDir, "build", name);
  mkdirSync(bundleDir, { recursive: true });
  // the bundle keeps `require("../rtnetlink.node")`: the addon goes beside the bundle's parent
  copyFileSync(addon, join(workDir, "build", "rtnetlink.node"));
  const bundle = join(bundleDir, "main.cjs");
  execFileSync(resolve(REPO_ROOT, "node_modules/.bin/esbuild"), [
    resolve(REPO_ROOT, entry), "--bundle", "--platform=node", "--format=cjs", "--target=node20",
    "--external:*.node", "--log-level=error", `--outfile=${bundle}`,
  ]);
  const executable = join(workDir, name);
  execFileSync(resolve(REPO_ROOT, "node_modules/.bin/bun"), ["build", "--compile", ...COMPILE_FLAGS, bundle, "--outfile", executable], {
    stdio: "ignore",
  });
  return executable;
}
