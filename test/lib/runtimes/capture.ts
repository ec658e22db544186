// What a runtime sends to the plugins: a wrapper per plugin name on the runtime's CNI_PATH logs the call
// (environment, stdin, stdout, exit status) to a directory, then runs our plugin of that name. Delegated
// IPAM calls go through the wrappers too, since the plugins find IPAM on the same CNI_PATH.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CapturedCall {
  /** which plugin name the runtime executed */
  plugin: string;
  /** the executable the wrapper ran */
  executable: string;
  env: Record<string, string>;
  stdin: string;
  stdout: string;
  exitStatus: number;
}

/**
 * Write a wrapper for each of `plugins` into `wrapperDir`, each running `<realDir>/<name>` and logging into
 * `logDir` (one file set per call, named by a sequence number so the order survives).
 */
export function writeCaptureWrappers(wrapperDir: string, realDir: string, logDir: string, plugins: readonly string[]): void {
  mkdirSync(wrapperDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  for (const plugin of plugins) {
    const script = `#!/bin/bash
# capture wrapper (test/lib/runtimes/capture.ts): log this call, then run the real plugin
real=${JSON.stringify(join(realDir, plugin))}
log=${JSON.stringify(logDir)}/$(date +%s%N)-$$
cat >"$log.stdin"
env -0 >"$log.env"
echo "$real" >"$log.exe"
"$real" "$@" <"$log.stdin" >"$log.stdout"
status=$?
echo "$status" >"$log.status"
cat "$log.stdout"
exit "$status"
`;
    const path = join(wrapperDir, plugin);
    writeFileSync(path, script);
    chmodSync(path, 0o755);
  }
}

/** The calls logged in `logDir`, oldest first. */
export function readCapturedCalls(logDir: string): CapturedCall[] {
  if (!existsSync(logDir)) return [];
  const stems = new Set<string>();
  for (const file of readdirSync(logDir)) if (file.endsWith(".status")) stems.add(file.slice(0, -".status".length));
  const calls: CapturedCall[] = [];
  for (const stem of [...stems].sort()) {
    const base = join(logDir, stem);
    const env: Record<string, string> = {};
    for (const pair of readFileSync(`${base}.env`, "utf8").split("\0")) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const executable = readFileSync(`${base}.exe`, "utf8").trim();
    calls.push({
      plugin: executable.slice(executable.lastIndexOf("/") + 1),
      executable,
      env,
      stdin: readFileSync(`${base}.stdin`, "utf8"),
      stdout: readFileSync(`${base}.stdout`, "utf8"),
      exitStatus: Number(readFileSync(`${base}.status`, "utf8").trim()),
    });
  }
  return calls;
}

/** One line per call: what was sent and what came back, for the report. */
export function summarizeCalls(calls: readonly CapturedCall[]): string[] {
  const lines: string[] = [];
  for (const call of calls) {
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(call.stdin) as Record<string, unknown>;
    } catch {
      // not JSON: reported as such below
    }
    let answer = "";
    try {
      const out = JSON.parse(call.stdout) as Record<string, unknown>;
      answer = "code" in out ? `error ${String(out.code)} ${String(out.msg)}` : `result cniVersion=${String(out.cniVersion)} keys=${Object.keys(out).join(",")}`;
    } catch {
      answer = call.stdout === "" ? "(no output)" : "(not JSON)";
    }
    const cniEnv = Object.keys(call.env)
      .filter((k) => k.startsWith("CNI_"))
      .sort()
      .map((k) => `${k}=${call.env[k]}`)
      .join(" ");
    lines.push(
      `${call.plugin} ${cniEnv} | config cniVersion=${String(config.cniVersion)} keys=${Object.keys(config).join(",")}` +
        ` | exit ${call.exitStatus} ${answer}`,
    );
  }
  return lines;
}
