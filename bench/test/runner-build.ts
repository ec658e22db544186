// The native runner for the kernel tests: built once (cargo is quick when nothing changed).
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const RUNNER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "runner");
export const RUNNER = join(RUNNER_DIR, "target", "release", "cni-bench-runner");

export function buildRunner(): void {
  const cargo = process.env.HOME !== undefined ? join(process.env.HOME, ".cargo", "bin", "cargo") : "cargo";
  const built = spawnSync(cargo, ["build", "--release", "--quiet", "--manifest-path", join(RUNNER_DIR, "Cargo.toml")], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`cargo build: ${built.stderr}`);
}
