// The container namespace's sysctls: written (ADD) or compared (CHECK) on one trip into the namespace
// each, through @cni/netlink's sysctlExchange / sysctlGetMany, not a thread per key.
import { CniError, ErrorCode } from "@cni/skel";
import { NetlinkError, type Netlink } from "@cni/netlink";
import { netlinkToCniError, type UndoStack } from "@cni/plugin-kit";
import type { SysctlSetting } from "./config";

/**
 * Write every setting, in the config's order. All or nothing: a value the kernel refuses puts back the
 * ones written before it. On success the undo puts back every value changed (newest first).
 */
export function applySysctls(container: Netlink, settings: readonly SysctlSetting[], undo: UndoStack): void {
  if (settings.length === 0) return;
  undo.step(
    "sysctls",
    () => exchangeSysctls(container, settings),
    (restore) => {
      if (restore.length > 0) container.sysctlExchange(restore);
    },
  );
}

/** Write every setting in one trip; returns what puts back the values changed (newest first). */
function exchangeSysctls(container: Netlink, settings: readonly SysctlSetting[]): Array<readonly [string, string]> {
  let previous: (string | null)[];
  try {
    previous = container.sysctlExchange(settings.map((s) => [s.path, s.value] as const));
  } catch (thrown) {
    throw sysctlError(thrown, settings, "set");
  }
  const restore: Array<readonly [string, string]> = [];
  for (let i = settings.length - 1; i >= 0; i--) {
    const old = previous[i];
    const setting = settings[i] as SysctlSetting;
    if (old !== null && old !== undefined && !sameValue(old, setting.value)) restore.push([setting.path, old]);
  }
  return restore;
}

/** Every setting must hold its value (compared as the kernel prints it: whitespace-separated words). */
export function checkSysctls(container: Netlink, settings: readonly SysctlSetting[]): void {
  if (settings.length === 0) return;
  let current: string[];
  try {
    current = container.sysctlGetMany(settings.map((s) => s.path));
  } catch (thrown) {
    throw sysctlError(thrown, settings, "read");
  }
  for (let i = 0; i < settings.length; i++) {
    const setting = settings[i] as SysctlSetting;
    const value = current[i] as string;
    if (!sameValue(value, setting.value)) {
      throw new CniError(ErrorCode.Internal, `Error: Tuning configured value of /proc/sys/${setting.path} is ${setting.value}, current value is ${value}`);
    }
  }
}

/**
 * Whether two sysctl values are the same setting: the kernel prints multi-number values tab-separated
 * (tcp_rmem `4096\t131072\t6291456`) whatever separator was written, and ends them with a newline.
 */
function sameValue(a: string, b: string): boolean {
  return words(a) === words(b);
}

function words(value: string): string {
  return value.trim().split(/\s+/).join(" ");
}

/** A refused key (missing: code 7) or value (EINVAL: code 7), named as the config wrote it; else 999. */
function sysctlError(thrown: unknown, settings: readonly SysctlSetting[], doing: "set" | "read"): CniError {
  if (!(thrown instanceof NetlinkError)) return netlinkToCniError(thrown, `failed to ${doing} the sysctls`);
  const setting = settings.find((s) => s.path === thrown.subject);
  const name = setting === undefined ? "the sysctls" : `sysctl ${JSON.stringify(setting.key)} (/proc/sys/${setting.path})`;
  if (thrown.code === "ENOENT") {
    return new CniError(ErrorCode.InvalidNetworkConfig, `failed to ${doing} ${name}: no such sysctl in the container's namespace`, thrown.message);
  }
  if (thrown.code === "EINVAL" && doing === "set" && setting !== undefined) {
    return new CniError(ErrorCode.InvalidNetworkConfig, `failed to set ${name} to ${JSON.stringify(setting.value)}: the kernel refused the value`, thrown.message);
  }
  return netlinkToCniError(thrown, `failed to ${doing} ${name}`);
}
