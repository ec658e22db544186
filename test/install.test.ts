// scripts/install.sh against temporary directories (never /opt/cni/bin): one executable plus a hard link
// per plugin, put in place by rename; files it did not install are neither replaced (without --force)
// nor removed. Most cases install a small stand-in executable that answers `--list` like cni-plugins;
// the last one installs the real bin/cni-plugins and runs a plugin from the installed links.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT, ourPlugin, runPlugin } from "./lib/plugin";

const INSTALL = resolve(REPO_ROOT, "scripts/install.sh");
const MANIFEST = ".cni-plugins.manifest";

let work: string;
let target: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "cni-install-"));
  target = join(work, "opt", "cni", "bin");
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function install(...args: string[]): Run {
  const r = spawnSync(INSTALL, args, { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stand-in multi-call executable: `--list` prints `plugins`, otherwise it says which version runs as which name. */
function fakeExecutable(version: string, plugins: string[]): string {
  const dir = join(work, `src-${version}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "cni-plugins");
  const list = plugins.map((p) => `${p}\\n`).join("");
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = --list ]; then printf '${list}'; exit 0; fi\necho "${version} as \${0##*/}"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** name -> inode of every entry in the directory (temporaries included, so leftovers show). */
function listing(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of readdirSync(dir).sort()) out[name] = statSync(join(dir, name)).ino;
  return out;
}
function runs(path: string): string {
  return spawnSync(path, [], { encoding: "utf8" }).stdout.trim();
}

describe("scripts/install.sh", () => {
  it("installs the executable and a hard link per plugin, with a manifest of its own files; again is a no-op", () => {
    const v1 = fakeExecutable("v1", ["host-local", "loopback"]);
    const first = install("--from", v1, target);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const installed = listing(target);
    expect(Object.keys(installed)).toEqual([MANIFEST, "cni-plugins", "host-local", "loopback"]);
    expect(installed["host-local"]).toBe(installed["cni-plugins"]);
    expect(installed.loopback).toBe(installed["cni-plugins"]);
    expect(statSync(join(target, "cni-plugins")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(target, "cni-plugins"), "utf8")).toBe(readFileSync(v1, "utf8"));
    expect(runs(join(target, "loopback"))).toBe("v1 as loopback");
    expect(readFileSync(join(target, MANIFEST), "utf8")).toContain("name host-local\nname loopback\n");

    expect(install("--from", v1, target).code).toBe(0);
    expect(listing(target)).toEqual(installed);
  });

  it("upgrades by rename: a process holding the old file keeps it whole; plugins no longer held are removed", () => {
    const v1 = fakeExecutable("v1", ["host-local", "loopback"]);
    expect(install("--from", v1, target).code).toBe(0);
    const held = join(work, "held-by-a-runtime");
    linkSync(join(target, "loopback"), held); // stands in for a runtime executing the old file

    const v2 = fakeExecutable("v2", ["bridge", "host-local"]);
    const upgrade = install("--from", v2, target);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain("removed loopback");
    const after = listing(target);
    expect(Object.keys(after)).toEqual([MANIFEST, "bridge", "cni-plugins", "host-local"]);
    expect(after.bridge).toBe(after["cni-plugins"]);
    expect(after["host-local"]).toBe(after["cni-plugins"]);
    expect(runs(join(target, "host-local"))).toBe("v2 as host-local");
    expect(readFileSync(held, "utf8")).toBe(readFileSync(v1, "utf8")); // never written in place
  });

  it("refuses to replace a file it did not install, changing nothing; --force replaces it", () => {
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, "host-local"), "someone else's host-local");
    const before = listing(target);
    const v1 = fakeExecutable("v1", ["host-local", "loopback"]);

    const refused = install("--from", v1, target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`not replacing files it did not install: ${join(target, "host-local")}`);
    expect(refused.stderr).toContain("--force");
    expect(listing(target)).toEqual(before);

    expect(install("--force", "--from", v1, target).code).toBe(0);
    expect(runs(join(target, "host-local"))).toBe("v1 as host-local");
  });

  it("a file someone put in place of one of its own since is no longer its own", () => {
    const v1 = fakeExecutable("v1", ["host-local", "loopback"]);
    expect(install("--from", v1, target).code).toBe(0);
    const replacement = join(work, "go-host-local");
    writeFileSync(replacement, "go's host-local");
    renameSync(replacement, join(target, "host-local"));

    const again = install("--from", fakeExecutable("v2", ["host-local", "loopback"]), target);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(join(target, "host-local"));

    const removed = install("--uninstall", target);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain(`left ${join(target, "host-local")}`);
    expect(Object.keys(listing(target))).toEqual(["host-local"]);
    expect(readFileSync(join(target, "host-local"), "utf8")).toBe("go's host-local");
  });

  it("--uninstall removes only its own files, and is a no-op where it installed nothing", () => {
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, "portmap"), "another plugin");
    expect(install("--from", fakeExecutable("v1", ["host-local", "loopback"]), target).code).toBe(0);
    const removed = install("--uninstall", target);
    expect(removed.code).toBe(0);
    expect(Object.keys(listing(target))).toEqual(["portmap"]);
    const nothing = install("--uninstall", target);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain("nothing installed");
  });

  it("wrong arguments: usage and exit 2; a missing or wrong executable: exit 1, nothing created", () => {
    for (const args of [["--bogus"], [target, join(work, "other")], ["--from"], ["--uninstall", "--force", target]]) {
      const r = install(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain("usage: scripts/install.sh");
    }
    const help = install("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--uninstall");

    const missing = install("--from", join(work, "nope"), target);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(work, "nope"));
    const notMulticall = join(work, "not-multicall");
    writeFileSync(notMulticall, "#!/bin/sh\nexit 3\n");
    chmodSync(notMulticall, 0o755);
    const wrong = install("--from", notMulticall, target);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("--list failed");
    expect(existsSync(target)).toBe(false);
  });

  // skipped only for a bin/ made by `./build.sh --separate`, which has no multi-call executable
  const separateBuild = !existsSync(join(REPO_ROOT, "bin", "cni-plugins")) && existsSync(join(REPO_ROOT, "bin", "loopback"));
  it.skipIf(separateBuild)("installs the real bin/cni-plugins: each installed name runs as that plugin", () => {
    const executable = ourPlugin("cni-plugins");
    const r = install("--from", executable, target);
    expect(r.code).toBe(0);
    const installed = listing(target);
    for (const name of ["host-local", "loopback"]) {
      expect(installed[name]).toBe(installed["cni-plugins"]);
      const about = runPlugin(join(target, name), {});
      expect(about.stderr).toContain(`CNI ${name} plugin`);
    }
    expect(install("--uninstall", target).code).toBe(0);
    expect(readdirSync(target)).toEqual([]);
  });
});
