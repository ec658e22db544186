// scripts/install.sh against temporary directories (never /opt/cni/bin): one executable plus a hard link
// per plugin, put in place by rename; files it did not install are neither replaced (without --force)
// nor removed. Most cases install a small stand-in executable that answers `--list` like cni-plugins;
// the last one installs the real bin/cni-plugins and runs a plugin from the installed links.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
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
/** install.sh ARGS, with the runtimes looked up under `root` (default: an empty one, so none is found). */
function install(...args: string[]): Run {
  return installUnder(join(work, "no-runtimes"), ...args);
}
function installUnder(root: string, ...args: string[]): Run {
  const r = spawnSync(INSTALL, args, { encoding: "utf8", timeout: 60_000, env: { PATH: process.env.PATH, CNI_INSTALL_ROOT: root } });
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

// skipped only for a bin/ made by `./build.sh --separate`, which has no multi-call executable
const separateBuild = !existsSync(join(REPO_ROOT, "bin", "cni-plugins")) && existsSync(join(REPO_ROOT, "bin", "loopback"));

/** name -> inode of every entry in the directory (temporaries included, so leftovers show; links not followed). */
function listing(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of readdirSync(dir).sort()) out[name] = lstatSync(join(dir, name)).ino;
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

  it("a private directory a killed run left in DIR is removed by the next run", () => {
    const leftover = join(target, ".cni-plugins.tmp.AbCdEf12");
    mkdirSync(leftover, { recursive: true, mode: 0o700 });
    writeFileSync(join(leftover, "cni-plugins"), "half a copy");
    expect(install("--from", fakeExecutable("v1", ["loopback"]), target).code).toBe(0);
    expect(Object.keys(listing(target))).toEqual([MANIFEST, "cni-plugins", "loopback"]);
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

// ------------------------------------------------------------------------------------------------
// A hostile neighbour (issue 16, item 4): root runs install.sh; another user (nobody, via setpriv) can
// write some directory. Nothing may be written through what that user planted.

const NOBODY = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];
/** A shell script run as nobody; its exit status must be 0. */
function asNobody(script: string): void {
  const r = spawnSync("setpriv", [...NOBODY, "sh", "-c", script], { encoding: "utf8" });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
}
const NOBODY_UID = Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim());

/** Root-only files an attacker would like root to overwrite: path -> content. */
function plantVictims(): Record<string, string> {
  const victims: Record<string, string> = {};
  for (const name of ["shadow-a", "shadow-b"]) {
    const path = join(work, name);
    writeFileSync(path, `root's ${name}\n`, { mode: 0o600 });
    victims[path] = `root's ${name}\n`;
  }
  return victims;
}
function expectVictimsUntouched(victims: Record<string, string>): void {
  for (const [path, content] of Object.entries(victims)) {
    expect(readFileSync(path, "utf8")).toBe(content);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  }
}

/** Symlinks at every name the old install.sh wrote through: its fixed names and `<name>.<pid>.tmp` for pids about to come. */
const SPRAY = `
  next=$(( $(cat /proc/sys/kernel/ns_last_pid) + 1 ))
  for name in .cni-plugins.manifest bridge host-local loopback cni-plugins; do ln -s "$VICTIM_A" "$DIR/$name"; done
  for pid in $(seq "$next" $((next + 400))); do
    for name in .cni-plugins.manifest .cni-plugins .host-local .loopback; do ln -s "$VICTIM_B" "$DIR/$name.$pid.tmp"; done
  done`;

describe("scripts/install.sh and a directory another user can write (item 4)", () => {
  beforeEach(() => chmodSync(work, 0o755)); // nobody may walk to the directories below

  it("DIR writable by others: refused before anything is written, nothing written through the planted links", () => {
    const victims = plantVictims();
    const [victimA, victimB] = Object.keys(victims);
    mkdirSync(target, { recursive: true, mode: 0o755 });
    chmodSync(target, 0o777);
    asNobody(`DIR=${target} VICTIM_A=${victimA} VICTIM_B=${victimB}; ${SPRAY}`);
    const planted = listing(target);

    const r = install("--from", fakeExecutable("v1", ["bridge", "host-local", "loopback"]), target);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing ${target}: ${target} is writable by group or others (mode 777)`);
    expectVictimsUntouched(victims);
    expect(listing(target)).toEqual(planted);

    const removal = install("--uninstall", target);
    expect(removal.code).toBe(1);
    expectVictimsUntouched(victims);
  });

  it("DIR owned by another user: refused", () => {
    mkdirSync(target, { recursive: true, mode: 0o755 });
    chownSync(target, NOBODY_UID, 0);
    const r = install("--from", fakeExecutable("v1", ["loopback"]), target);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing ${target}: ${target} is owned by uid ${NOBODY_UID}, not root`);
    expect(readdirSync(target)).toEqual([]);
  });

  it("a directory above DIR writable by others (not sticky): refused, also when DIR does not exist yet (nothing made)", () => {
    const parent = join(work, "shared");
    mkdirSync(parent, { mode: 0o755 });
    chmodSync(parent, 0o777);
    for (const dir of [join(parent, "bin"), join(parent, "new", "bin")]) {
      if (dir === join(parent, "bin")) mkdirSync(dir, { mode: 0o755 });
      const r = install("--from", fakeExecutable("v1", ["loopback"]), dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refusing ${dir}: ${parent} is writable by group or others (mode 777)`);
    }
    expect(readdirSync(parent)).toEqual(["bin"]);
    expect(readdirSync(join(parent, "bin"))).toEqual([]);
  });

  it("DIR named through a symbolic link another user owns: refused; a sticky root-owned parent (as /tmp) is fine", () => {
    const sticky = join(work, "tmp");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const real = join(sticky, "bin");
    mkdirSync(real, { mode: 0o755 });
    const link = join(sticky, "link");
    asNobody(`ln -s ${real} ${link}`);
    const refused = install("--from", fakeExecutable("v1", ["loopback"]), link);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${link}: ${link} is owned by uid ${NOBODY_UID}, not root`);
    expect(readdirSync(real)).toEqual([]);

    const accepted = install("--from", fakeExecutable("v1", ["loopback"]), real);
    expect(accepted.stderr).toBe("");
    expect(accepted.code).toBe(0);
    expect(Object.keys(listing(real))).toEqual([MANIFEST, "cni-plugins", "loopback"]);
  });
});

// ------------------------------------------------------------------------------------------------
// Item 5: "ours" is the inode and the bytes. `rm DIR/*` frees the installed inode; a Go plugin copied in
// gets it again (ext4 hands the freed inode out next; the manifest is set to that inode to make it certain).

describe("scripts/install.sh and a reused inode (item 5)", () => {
  it("a foreign file on the inode its own file had is neither removed by --uninstall nor replaced without --force", () => {
    expect(install("--from", fakeExecutable("v1", ["bridge", "loopback"]), target).code).toBe(0);
    const manifest = readFileSync(join(target, MANIFEST), "utf8");
    const installedInode = statSync(join(target, "bridge")).ino;
    for (const name of ["bridge", "cni-plugins", "loopback"]) rmSync(join(target, name));
    writeFileSync(join(target, "bridge"), "go's bridge\n", { mode: 0o755 });
    const goInode = statSync(join(target, "bridge")).ino;
    writeFileSync(join(target, MANIFEST), manifest.replace(`:${installedInode} `, `:${goInode} `));
    expect(readFileSync(join(target, MANIFEST), "utf8")).toContain(`:${goInode} `);

    const again = install("--from", fakeExecutable("v2", ["bridge", "loopback"]), target);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`not replacing files it did not install: ${join(target, "bridge")}`);

    const removed = install("--uninstall", target);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain(`left ${join(target, "bridge")}: not the file install.sh installed`);
    expect(readFileSync(join(target, "bridge"), "utf8")).toBe("go's bridge\n");
    expect(Object.keys(listing(target))).toEqual(["bridge"]);
  });

  it("a manifest of an older install.sh (no hash): its files are not taken for its own", () => {
    expect(install("--from", fakeExecutable("v1", ["loopback"]), target).code).toBe(0);
    const manifest = readFileSync(join(target, MANIFEST), "utf8");
    writeFileSync(join(target, MANIFEST), manifest.replace(/^(file \S+) [0-9a-f]{64}$/m, "$1"));
    const removed = install("--uninstall", target);
    expect(removed.stderr).toContain(`left ${join(target, "loopback")}`);
    expect(existsSync(join(target, "loopback"))).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Item 13: --force keeps what it replaces and --uninstall puts it back; --from takes any file name.

describe("scripts/install.sh --force, --uninstall and --from (item 13)", () => {
  function goPlugins(names: string[]): Record<string, number> {
    mkdirSync(target, { recursive: true });
    const inodes: Record<string, number> = {};
    for (const name of names) {
      writeFileSync(join(target, name), `go's ${name}\n`, { mode: 0o755 });
      inodes[name] = statSync(join(target, name)).ino;
    }
    return inodes;
  }

  it("--force keeps each file it replaces in DIR/.cni-plugins.replaced; --uninstall puts them back, the same files", () => {
    const go = goPlugins(["bridge", "host-local", "portmap"]);
    const forced = install("--force", "--from", fakeExecutable("v1", ["bridge", "host-local", "loopback"]), target);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`replaced bridge host-local (kept in ${target}/.cni-plugins.replaced/)`);
    expect(runs(join(target, "bridge"))).toBe("v1 as bridge");
    expect(listing(join(target, ".cni-plugins.replaced"))).toEqual({ bridge: go.bridge, "host-local": go["host-local"] });

    const removed = install("--uninstall", target);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("put back the files --force replaced: bridge host-local");
    expect(listing(target)).toEqual(go);
    for (const name of Object.keys(go)) expect(readFileSync(join(target, name), "utf8")).toBe(`go's ${name}\n`);
  });

  it("an upgrade that drops a plugin puts back the file --force replaced under that name", () => {
    const go = goPlugins(["loopback"]);
    expect(install("--force", "--from", fakeExecutable("v1", ["bridge", "loopback"]), target).code).toBe(0);
    const upgrade = install("--from", fakeExecutable("v2", ["bridge"]), target);
    expect(upgrade.code).toBe(0);
    expect(statSync(join(target, "loopback")).ino).toBe(go.loopback);
    expect(Object.keys(listing(target))).toEqual([MANIFEST, "bridge", "cni-plugins", "loopback"]);
  });

  it("--force over a name whose earlier replaced file is still kept: refused, nothing changed", () => {
    goPlugins(["bridge"]);
    expect(install("--force", "--from", fakeExecutable("v1", ["bridge"]), target).code).toBe(0);
    const other = join(work, "other-bridge");
    writeFileSync(other, "another bridge\n", { mode: 0o755 });
    renameSync(other, join(target, "bridge"));
    const before = listing(target);
    const r = install("--force", "--from", fakeExecutable("v2", ["bridge"]), target);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${target}/.cni-plugins.replaced/bridge already keeps a file an earlier --force replaced`);
    expect(listing(target)).toEqual(before);
    expect(readFileSync(join(target, ".cni-plugins.replaced", "bridge"), "utf8")).toBe("go's bridge\n");
  });

  it.skipIf(separateBuild)("--from a build saved under another name (cni-plugins-next) installs it", () => {
    const next = join(work, "cni-plugins-next");
    symlinkSync(ourPlugin("cni-plugins"), next); // what matters is the name it is run by
    const r = install("--from", next, target);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Object.keys(listing(target))).toEqual(expect.arrayContaining(["cni-plugins", "ptp", "veth", "bridge"]));
    expect(runPlugin(join(target, "ptp"), {}).stderr).toContain("CNI veth plugin");
  });
});

// ------------------------------------------------------------------------------------------------
// Item 12: which copy each runtime will run. The runtimes' programs, configs and plugin dirs are looked up
// under CNI_INSTALL_ROOT: a fake machine in the temp dir (never this machine's /usr/lib/cni or /opt/cni/bin).

describe("scripts/install.sh says which copy the runtimes will run (item 12)", () => {
  let root: string;
  beforeEach(() => {
    root = join(work, "root");
  });

  /** Files of the fake machine: path under root -> content (an executable when it starts with #!). */
  function machine(files: Record<string, string>): void {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), content, { mode: content.startsWith("#!") ? 0o755 : 0o644 });
    }
  }
  const GO_PLUGIN = "#!/bin/sh\necho go\n";
  /** Debian bookworm: containerd's config names /usr/lib/cni, podman's default order finds Go's plugins there first. */
  const DEBIAN = {
    "usr/bin/containerd": "#!/bin/sh\nexit 1\n",
    "etc/containerd/config.toml": 'version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri".cni]\n    bin_dir = "/usr/lib/cni"\n    conf_dir = "/etc/cni/net.d"\n',
    "usr/bin/podman": "#!/bin/sh\nexit 1\n",
    "usr/share/containers/containers.conf": '[network]\n#cni_plugin_dirs = [\n#  "/usr/local/libexec/cni",\n#]\n#network_backend = ""\n',
    "usr/lib/cni/bridge": GO_PLUGIN,
    "usr/lib/cni/host-local": GO_PLUGIN,
    "usr/lib/cni/ptp": GO_PLUGIN,
  };

  it("Debian's layout into /opt/cni/bin: warns that containerd reads only /usr/lib/cni and podman finds Go's plugins there first", () => {
    machine(DEBIAN);
    const dir = join(root, "opt/cni/bin");
    const r = installUnder(root, "--from", fakeExecutable("v1", ["bridge", "host-local", "loopback", "ptp", "cnitool"]), dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `install.sh: warning: containerd runs plugins from ${root}/usr/lib/cni (bin_dir in /etc/containerd/config.toml), not from ${dir}: it will not run these (scripts/install.sh ${root}/usr/lib/cni installs them there)`,
    );
    expect(r.stderr).toContain(
      `install.sh: warning: podman will run ${root}/usr/lib/cni/bridge ${root}/usr/lib/cni/host-local ${root}/usr/lib/cni/ptp instead (another copy earlier in its search order: ` +
        `${root}/usr/local/libexec/cni ${root}/usr/libexec/cni ${root}/usr/local/lib/cni ${root}/usr/lib/cni ${root}/opt/cni/bin; podman's default)`,
    );
    expect(r.stdout).toContain(`install.sh: podman will run these from ${dir}: loopback (its search order:`);
    expect(r.stdout).not.toContain("cnitool (");
  });

  it("into the runtimes' own dirs: each runs the installed copy (bin_dirs lists, multi-line arrays, later files override)", () => {
    machine({
      ...DEBIAN,
      "etc/containerd/config.toml": "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = ['/opt/cni/bin'] # ours\n",
      "etc/containers/containers.conf": '[network]\ncni_plugin_dirs = [\n  "/opt/cni/bin",\n  "/usr/lib/cni",\n]\n',
      "etc/crio/crio.conf": '[crio.network]\nplugin_dirs = [\n\t"/opt/cni/bin/",\n]\n',
    });
    const dir = join(root, "opt/cni/bin");
    const r = installUnder(root, "--from", fakeExecutable("v1", ["bridge", "host-local"]), dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`install.sh: containerd will run these from ${dir}: bridge host-local (its search order: ${dir}; bin_dir in /etc/containerd/config.toml)`);
    expect(r.stdout).toContain(`install.sh: podman will run these from ${dir}: bridge host-local (its search order: ${dir} ${root}/usr/lib/cni; cni_plugin_dirs in containers.conf)`);
    expect(r.stdout).toContain(`install.sh: cri-o will run these from ${dir}: bridge host-local (its search order: ${dir}; plugin_dirs in crio.conf)`);
  });

  it("containerd without bin_dir in its config: its built-in default (containerd config default); podman on netavark: no CNI plugins", () => {
    machine({
      "usr/bin/containerd": `#!/bin/sh\n[ "$1 $2" = "config default" ] || exit 1\nprintf '[plugins."io.containerd.grpc.v1.cri".cni]\\n  bin_dir = "/usr/libexec/cni"\\n'\n`,
      "etc/containerd/config.toml": "version = 2\n",
      "etc/containers/containers.conf": '[network]\nnetwork_backend = "netavark"\n',
    });
    const dir = join(root, "usr/libexec/cni");
    const r = installUnder(root, "--from", fakeExecutable("v1", ["bridge"]), dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`install.sh: containerd will run these from ${dir}: bridge (its search order: ${dir}; containerd's default)`);
    expect(r.stdout).toContain("install.sh: podman: network_backend netavark: podman runs no CNI plugins");
  });

  it("no runtime here: nothing said about runtimes", () => {
    const r = installUnder(root, "--from", fakeExecutable("v1", ["bridge"]), join(work, "bin"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`install.sh: ${join(work, "bin")}/cni-plugins with links bridge\n`);
  });
});
