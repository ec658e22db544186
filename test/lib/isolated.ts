// A throwaway "machine" for scripts that act on the machine's own network and CNI state (cnitool,
// priv-net-run.sh, exec-plugins.sh): its own network and mount namespaces (`unshare --mount --net`), with
// tmpfs over the given state directories, so nothing they create reaches this machine's own.
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "./plugin";

/** Kills a run that hangs; far above what one takes, not a timing check. */
const HANG_GUARD_MS = 60_000;

export interface IsolatedRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a bash script (cwd: the repo, exactly `env`) on a throwaway machine with `tmpfsDirs` empty. */
export function runIsolated(script: string, tmpfsDirs: readonly string[], env: Record<string, string | undefined>): IsolatedRun {
  const setup = `set -u; for d in ${tmpfsDirs.join(" ")}; do mkdir -p $d; mount -t tmpfs tmpfs $d; done; ip link set lo up;`;
  const r = spawnSync("unshare", ["--mount", "--net", "--propagation", "private", "bash", "--norc", "--noprofile", "-c", `${setup}\n${script}`], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env,
    timeout: HANG_GUARD_MS,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
