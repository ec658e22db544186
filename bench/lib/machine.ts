// The facts a reader needs to judge the figures: machine, kernel, versions, load, commit.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

function output(command: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(command, args, { encoding: "utf8", cwd });
  return r.status === 0 ? r.stdout.trim() : "";
}

function cpuModel(): string {
  try {
    for (const line of readFileSync("/proc/cpuinfo", "utf8").split("\n")) {
      if (line.startsWith("model name")) return line.slice(line.indexOf(":") + 1).trim();
    }
  } catch {
    // fall through to os.cpus()
  }
  return cpus()[0]?.model ?? "unknown CPU";
}

/** The 1-minute load average: runnable tasks plus tasks waiting in the kernel, averaged. */
export function loadAverageOneMinute(): number {
  return loadavg()[0]!;
}

export function coreCount(): number {
  return cpus().length;
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

export function machineFacts(repoRoot: string, bunPath: string): Array<[string, string]> {
  const commit = output("git", ["rev-parse", "--short=12", "HEAD"], repoRoot);
  const dirty = output("git", ["status", "--porcelain", "--untracked-files=no"], repoRoot) !== "";
  const goVersion = output("dpkg-query", ["-W", "-f=${Version}", "containernetworking-plugins"]);
  const memGiB = (totalmem() / 1024 ** 3).toFixed(0);
  return [
    ["date", new Date().toISOString().replace(/\.\d+Z$/, "Z")],
    ["machine", `${cpus().length} cores, ${cpuModel()}, ${memGiB} GiB`],
    ["kernel", release()],
    ["Go plugins", goVersion === "" ? "not installed" : `containernetworking-plugins ${goVersion} (Debian)`],
    ["Bun", output(bunPath, ["--version"]) || "unknown"],
    ["commit", commit === "" ? "unknown" : `${commit}${dirty ? " + uncommitted changes" : ""}`],
  ];
}
