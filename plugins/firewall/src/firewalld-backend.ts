// firewalld. The reference puts each container address into a firewalld zone (`trusted`) over the system
// D-Bus (org.fedoraproject.FirewallD1.zone addSource/removeSource/querySource). This plugin has no D-Bus
// client yet (it could not be tested here: no firewalld, no system bus), so `backend: "firewalld"` is a
// code-7 error naming what is missing, and an unset backend on a host where firewalld runs is one too
// (iptables rules of ours would not override firewalld's own forward filtering). README.md, "firewalld".

import { pathExists } from "@cni/host-files";
import { CniError, ErrorCode } from "@cni/skel";

/** The system bus socket the reference dials (/var/run is a link to /run). */
export const SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket";
/** firewalld's runtime directory, present while it runs. */
export const FIREWALLD_RUN_DIR = "/run/firewalld";

/**
 * Whether firewalld runs, without starting a process or speaking D-Bus: the system bus socket and
 * firewalld's runtime directory both exist. (The reference asks the bus who owns
 * org.fedoraproject.FirewallD1.)
 */
export function firewalldRunning(): boolean {
  return pathExists(SYSTEM_BUS_SOCKET) && pathExists(FIREWALLD_RUN_DIR);
}

/** `backend: "firewalld"` on ADD, CHECK, STATUS. */
export function firewalldBackendError(): CniError {
  const missing = !pathExists(SYSTEM_BUS_SOCKET)
    ? `no system D-Bus (${SYSTEM_BUS_SOCKET} does not exist), which firewalld needs`
    : !pathExists(FIREWALLD_RUN_DIR)
      ? `firewalld is not running (${FIREWALLD_RUN_DIR} does not exist)`
      : "this plugin has no firewalld (D-Bus) client";
  return new CniError(
    ErrorCode.InvalidNetworkConfig,
    `"backend": "firewalld" cannot be used: ${missing}; use "backend": "iptables" or "nftables"`,
  );
}

/** `backend` unset while firewalld runs. */
export function firewalldRunningError(): CniError {
  return new CniError(
    ErrorCode.InvalidNetworkConfig,
    `"backend" is unset and firewalld is running (${FIREWALLD_RUN_DIR}), but this plugin has no firewalld (D-Bus) client: ` +
      `set "backend" to "iptables" or "nftables" if firewalld's zones forward the containers' traffic`,
  );
}
