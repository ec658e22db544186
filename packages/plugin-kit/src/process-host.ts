// The process host every plugin installs before `plugin.main()`: @cni/skel reads stdin and checks the
// own-netns guard through it, and this one serves both from the addon (@cni/host-files over
// @cni/netlink's binary), which the plugin loads for its work anyway. node:fs is never loaded on the
// per-call path then (about 3 ms of start-up in a compiled plugin).
import { fileIdentity, isExecutableFile, readFd, writeFd } from "@cni/host-files";
import { configureAddonCopy, type AddonCopyOptions } from "@cni/netlink/addon";
import { MAX_STDIN_BYTES, setProcessHost, type FileIdentity, type ProcessHost } from "@cni/skel";

/** fd 0 */
const STDIN_FD = 0;

/** stdin and stdout/stderr through the addon (a non-blocking pipe is polled, not EAGAIN), file identity by stat(2). */
export const addonProcessHost: ProcessHost = {
  readStdin: (): Uint8Array => readFd(STDIN_FD, MAX_STDIN_BYTES),
  fileIdentity(path: string): FileIdentity | undefined {
    try {
      return fileIdentity(path);
    } catch {
      // missing or not stat'able: the guard treats it as not this process's namespace
      return undefined;
    }
  },
  writeOutput: (fd: 1 | 2, text: string): void => writeFd(fd, text),
  isExecutableFile,
};

/**
 * Where a plugin executable copies its embedded addon when $TMPDIR is noexec: the usual exec-capable
 * bases, then CNI's own state directory (present on every CNI node), then /var/tmp; one private
 * directory for every plugin of this project.
 */
export const PLUGIN_ADDON_COPY: AddonCopyOptions = {
  bases: ["/dev/shm", "/run", "/var/run", "/var/lib/cni", "/var/tmp"],
  directoryName: "cni-rtnetlink",
};

/** Make skel use the addon-backed host for this process, and the addon loader CNI's copy places. */
export function installAddonProcessHost(): void {
  configureAddonCopy(PLUGIN_ADDON_COPY);
  setProcessHost(addonProcessHost);
}
