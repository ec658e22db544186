// CNI spec versions: the list, comparison, and the minimum version of each verb (docs/protocol.md §1).

/** Every spec version, oldest first. */
export const ALL_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type SpecVersion = (typeof ALL_VERSIONS)[number];

/** The spec version this library implements; VERSION reports it as `cniVersion`. */
export const CURRENT_VERSION: SpecVersion = "1.1.0";

/** A config without `cniVersion` (or with "") is 0.1.0. */
export const DEFAULT_CONFIG_VERSION: SpecVersion = "0.1.0";

export function isSpecVersion(version: string): version is SpecVersion {
  for (const known of ALL_VERSIONS) if (known === version) return true;
  return false;
}

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DOT = 0x2e;

/**
 * `major.minor.patch` (missing parts are 0, as Go's version.ParseVersion); undefined when not numeric.
 * A loop over char codes: this runs per call (CHECK/GC/STATUS), where a regex's first use costs start-up.
 */
export function parseVersion(version: string): [number, number, number] | undefined {
  const parts: [number, number, number] = [0, 0, 0];
  let part = 0;
  let digits = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === CHAR_DOT) {
      if (digits === 0 || part === 2) return undefined;
      part++;
      digits = 0;
    } else if (c >= CHAR_0 && c <= CHAR_9) {
      parts[part] = parts[part]! * 10 + (c - CHAR_0);
      digits++;
    } else {
      return undefined;
    }
  }
  return digits === 0 ? undefined : parts;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; undefined if either is not a version. */
export function compareVersions(a: string, b: string): number | undefined {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va === undefined || vb === undefined) return undefined;
  for (let i = 0; i < 3; i++) {
    const diff = (va[i] ?? 0) - (vb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The oldest config version that allows each verb that has one (CHECK 0.4.0, GC/STATUS 1.1.0). */
export const MIN_VERSION_FOR_COMMAND: Readonly<Record<string, SpecVersion>> = {
  CHECK: "0.4.0",
  GC: "1.1.0",
  STATUS: "1.1.0",
};
