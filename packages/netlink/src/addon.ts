// Loading the one Rust addon binary (packages/netlink/native -> rtnetlink.node), lazily on first use so
// that a plugin's VERSION never pays for it. @cni/netlink (native.ts) and @cni/host-files each declare the
// functions they call and get them from here: one `.node`, loaded once per process, whatever imports it.
//
// The literal `require("../rtnetlink.node")` matters: esbuild (--format=cjs --external:*.node) keeps it in
// the bundle, and `bun build --compile` then embeds build/rtnetlink.node. Under vitest (ESM) `require`
// is undefined (a ReferenceError) and createRequire resolves the same file relative to this module.
// What every caller of the addon wraps its calls in: a thrown addon error becomes a NetlinkError.
export { call } from "./errors";

let loaded: object | undefined;

/**
 * The addon's exports, loaded on first call, as the caller's declaration of the functions it uses
 * (`NetlinkNative`, `HostFilesNative`); test/addon-exports.test.ts in @cni/host-files checks that the
 * binary exports exactly the union of those declarations.
 */
export function loadedAddon<Functions extends object>(): Functions {
  loaded ??= loadAddon();
  return loaded as Functions;
}

function requireAddon(): object {
  // Not `typeof require === "function"`: in a Bun executable that test alone costs ~0.4 ms per start, as it
  // makes the runtime build a full `require` for the bundle. Under ESM the bare name is a ReferenceError.
  try {
    return require("../rtnetlink.node") as object;
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return esmRequire()("../rtnetlink.node") as object;
  }
}

// A Bun-compiled executable writes its embedded addon to $TMPDIR (read once at start-up, default /tmp) and
// dlopens it there. On nodes that mount /tmp noexec that fails (and Bun remembers the failed module, so
// requiring again is pointless). Then we copy the embedded file ourselves into a private directory under
// the first base directory that allows exec, and dlopen it from there.

/** Where a compiled executable may copy its embedded addon when dlopen from $TMPDIR fails. */
export interface AddonCopyOptions {
  /** base directories, tried in order; one that is missing, read-only or noexec is skipped */
  readonly bases: readonly string[];
  /** the private directory made in a base and holding the copy (one name per application: its executables share the copy) */
  readonly directoryName: string;
}

/** What the loader uses unless an application says otherwise (configureAddonCopy). */
export const DEFAULT_ADDON_COPY: AddonCopyOptions = { bases: ["/dev/shm", "/run", "/var/run", "/var/tmp"], directoryName: "rtnetlink-node" };

let copyOptions: AddonCopyOptions = DEFAULT_ADDON_COPY;

/** Set where the addon is copied when $TMPDIR is noexec (before the first addon call). */
export function configureAddonCopy(options: AddonCopyOptions): void {
  copyOptions = options;
}

interface BunRuntime {
  embeddedFiles?: ReadonlyArray<Blob & { name?: string }>;
}

function loadAddon(): object {
  try {
    return requireAddon();
  } catch (failure) {
    const bun = (globalThis as { Bun?: BunRuntime }).Bun;
    const embedded = bun?.embeddedFiles?.find((file) => file.name?.endsWith(".node") === true)?.name;
    if (embedded === undefined) throw failure;
    for (const base of copyOptions.bases) {
      try {
        return dlopenCopy(`/$bunfs/root/${embedded}`, `${base}/${copyOptions.directoryName}`, embedded);
      } catch {
        // not writable, noexec, or missing: next candidate
      }
    }
    throw failure;
  }
}

/**
 * Copy the embedded addon to `dir/name` and dlopen it. An existing copy of the same size is reused: Bun's
 * name for the embedded file carries a content hash.
 */
function dlopenCopy(embeddedPath: string, dir: string, name: string): object {
  // node:fs is fetched here, not imported: importing it costs a compiled executable ~3 ms at start-up.
  const fs = process.getBuiltinModule("node:fs");
  // Only the private leaf is created: a missing base directory rules the candidate out.
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
  // Some bases are world-writable (/dev/shm): a directory someone else made there, or could write into,
  // could hand us their library to dlopen (as root). Only a private directory of our own is trusted.
  const info = fs.lstatSync(dir);
  if (!info.isDirectory() || info.uid !== process.geteuid?.() || (info.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
  const target = `${dir}/${name}`;
  const bytes = fs.readFileSync(embeddedPath);
  let present = false;
  try {
    present = fs.statSync(target).size === bytes.length;
  } catch {
    // not there yet
  }
  if (!present) {
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, bytes, { mode: 0o700 });
    fs.renameSync(temporary, target);
  }
  const module: { exports: object } = { exports: {} };
  try {
    process.dlopen(module, target);
  } catch (failure) {
    fs.rmSync(target, { force: true });
    throw failure;
  }
  return module.exports;
}

/** `require` for ESM callers (vitest): node:module fetched on use, since importing it slows start-up. */
function esmRequire(): NodeJS.Require {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url);
}
