// Which node:* builtins a plugin's code loads: its entry bundled as build.sh lays it out, run under Node
// with a recorder preloaded (--require). Used by the start-up test (loopback, bridge) and host-local's own test.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { expect } from "vitest";

/** Kills a call that hangs; far above what one takes, not a timing check. */
const HANG_GUARD_MS = 30_000;
const RECORD_MARKER = "\nBUILTINS ";

/**
 * Records every builtin the code after it loads, through require or process.getBuiltinModule, and prints
 * the list on stderr at exit. It stands in for Bun.write (the writer skel uses under Bun) with node:fs,
 * loaded here before recording starts, so the bundle takes the same path it takes in a compiled plugin.
 */
const RECORDER = `
const fs = require("node:fs");
const Module = require("node:module");
const loaded = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (Module.isBuiltin(request)) loaded.push(request);
  return load.call(this, request, ...rest);
};
const getBuiltinModule = process.getBuiltinModule;
process.getBuiltinModule = (id) => (loaded.push(id), getBuiltinModule(id));
globalThis.Bun = {
  stdout: { fd: 1 },
  stderr: { fd: 2 },
  write: (destination, text) => Promise.resolve(fs.writeSync(destination.fd, text)),
};
process.on("exit", () => fs.writeSync(2, ${JSON.stringify(RECORD_MARKER)} + JSON.stringify(loaded) + "\\n"));
`;

/** One recorded run: exit code, stdout, stderr without the record, and the builtins loaded in order. */
export interface RecordedCall {
  code: number | null;
  stdout: string;
  stderr: string;
  builtins: string[];
}

/** Where and as what a recorded bundle runs. */
export interface RunHow {
  argv0?: string;
  netns?: string;
}

/** A plugin bundle with the recorder beside it, in a throwaway directory. */
export interface RecordingBundle {
  /** The throwaway directory (callers may put their own files in it); remove() deletes it. */
  readonly workDir: string;
  /**
   * Run the bundle (or `script`, via node -e) with exactly `env` and `stdin`; `how.argv0` is the name the
   * process is invoked by (a multi-call chunk picks its plugin by it), `how.netns` a namespace to run it in.
   */
  run(env: Record<string, string>, stdin: string, script?: string, how?: RunHow): RecordedCall;
  remove(): void;
}

/**
 * Bundle `entry` to `<workDir>/<name>/main.cjs` with `addon` copied to `<workDir>/rtnetlink.node`, as
 * build.sh lays it out (the bundle keeps require("../rtnetlink.node")), and write the recorder.
 */
export async function bundleWithRecorder(entry: string, name: string, addon: string): Promise<RecordingBundle> {
  if (!existsSync(addon)) throw new Error(`${addon} missing: run ./build.sh first`);
  const workDir = mkdtempSync(join(tmpdir(), `cni-builtins-${name}-`));
  const bundle = join(workDir, name, "main.cjs");
  const recorder = join(workDir, "recorder.cjs");
  try {
    mkdirSync(join(workDir, name));
    copyFileSync(addon, join(workDir, "rtnetlink.node"));
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      external: ["*.node"],
      outfile: bundle,
      logLevel: "silent",
    });
    writeFileSync(recorder, RECORDER);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    workDir,
    run(env: Record<string, string>, stdin: string, script?: string, how: RunHow = {}): RecordedCall {
      const target = script === undefined ? [bundle] : ["-e", script];
      let argv = [process.execPath, "--require", recorder, ...target];
      // bash's `exec -a` sets argv[0] through ip netns exec, which spawnSync's argv0 cannot reach
      if (how.argv0 !== undefined) argv = ["bash", "--norc", "--noprofile", "-c", 'exec -a "$0" "$@"', how.argv0, ...argv];
      if (how.netns !== undefined) argv = ["ip", "netns", "exec", how.netns, ...argv];
      const r = spawnSync(argv[0]!, argv.slice(1), { env, input: stdin, encoding: "utf8", timeout: HANG_GUARD_MS });
      const marker = r.stderr.lastIndexOf(RECORD_MARKER);
      expect(marker, `no record; stderr: ${r.stderr}`).toBeGreaterThanOrEqual(0);
      const builtins = JSON.parse(r.stderr.slice(marker + RECORD_MARKER.length)) as string[];
      return { code: r.status, stdout: r.stdout, stderr: r.stderr.slice(0, marker), builtins };
    },
    remove(): void {
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
