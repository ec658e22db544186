// The container interface's attributes: MAC, promisc, MTU, allmulti, txqueuelen. ADD sets them after
// keeping their old values in the backup file (backup.ts); DEL puts those back; CHECK compares them.
import { CniError, ErrorCode } from "@cni/skel";
import { IFF_ALLMULTI, type Link, type Netlink } from "@cni/netlink";
import { findLink, netlinkStep, type UndoStack } from "@cni/plugin-kit";
import type { LinkSettings } from "./config";
import type { SavedAttributes } from "./backup";

/** Whether the config sets any link attribute (only then does ADD need the link and a backup). */
export function changesLink(settings: LinkSettings): boolean {
  return settings.mac !== undefined || settings.promisc || settings.mtu !== undefined || settings.allmulti !== undefined || settings.txQLen !== undefined;
}

/** The container's interface; when it is not there, the reference's message for the verb. */
export function requireLink(container: Netlink, ifName: string, verb: "ADD" | "CHECK"): Link {
  const link = findLink(container, ifName);
  if (link !== undefined) return link;
  throw new CniError(ErrorCode.Internal, verb === "ADD" ? `failed to get "${ifName}": Link not found` : `Cannot find container link ${ifName}`);
}

/** Values the link itself cannot take, found before anything changes: code 7 naming the key. */
export function validateForLink(settings: LinkSettings, link: Link): void {
  const { mtu } = settings;
  if (mtu === undefined) return;
  const min = link.minMtu ?? 0;
  const max = link.maxMtu ?? Number.MAX_SAFE_INTEGER;
  if (mtu < min || mtu > max) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "mtu" ${mtu}: ${link.name} takes ${min} to ${max}`);
  }
}

/** The link's current values of the attributes the config changes: what DEL will put back. */
export function currentAttributes(link: Link, settings: LinkSettings): SavedAttributes {
  const saved: SavedAttributes = {};
  if (settings.mac !== undefined && link.mac !== "") saved.mac = link.mac;
  if (settings.promisc) saved.promisc = link.promisc;
  if (settings.mtu !== undefined) saved.mtu = link.mtu;
  if (settings.allmulti !== undefined) saved.allmulti = (link.flags & IFF_ALLMULTI) !== 0;
  if (settings.txQLen !== undefined && link.txqlen !== undefined) saved.txQLen = link.txqlen;
  return saved;
}

/** The reference's order: MAC, promisc on, MTU, allmulti, txqueuelen; each change undone on a later failure. */
export function applyLinkSettings(container: Netlink, link: Link, settings: LinkSettings, undo: UndoStack): void {
  const name = link.name;
  const { mac, mtu, allmulti, txQLen } = settings;
  if (mac !== undefined && mac !== link.mac) {
    undo.step(`MAC address of ${name}`, () => setMac(container, name, mac), () => setMac(container, name, link.mac));
  }
  if (settings.promisc && !link.promisc) {
    undo.step(`promiscuous mode of ${name}`, () => setPromisc(container, name, true), () => setPromisc(container, name, false));
  }
  if (mtu !== undefined && mtu !== link.mtu) {
    undo.step(`MTU of ${name}`, () => setMtu(container, name, mtu), () => setMtu(container, name, link.mtu));
  }
  const hadAllmulti = (link.flags & IFF_ALLMULTI) !== 0;
  if (allmulti !== undefined && allmulti !== hadAllmulti) {
    undo.step(`all-multicast mode of ${name}`, () => setAllmulti(container, name, allmulti), () => setAllmulti(container, name, hadAllmulti));
  }
  const oldTxQLen = link.txqlen;
  if (txQLen !== undefined && txQLen !== oldTxQLen) {
    undo.step(`transmit queue length of ${name}`, () => setTxQLen(container, name, txQLen), () => {
      if (oldTxQLen !== undefined) setTxQLen(container, name, oldTxQLen);
    });
  }
}

/**
 * Put back what the backup holds, in the reference's order (MTU, MAC, promisc, allmulti, txqueuelen).
 * Every attribute is tried; the failures come back as messages.
 */
export function restoreLinkAttributes(container: Netlink, ifName: string, saved: SavedAttributes): string[] {
  const failures: string[] = [];
  const attempt = (what: string, restore: () => void): void => {
    try {
      restore();
    } catch (thrown) {
      failures.push(`failed to restore ${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
  };
  const { mtu, mac, promisc, allmulti, txQLen } = saved;
  if (mtu !== undefined) attempt("MTU", () => setMtu(container, ifName, mtu));
  if (mac !== undefined) attempt("MAC address", () => setMac(container, ifName, mac));
  if (promisc !== undefined) attempt("promiscuous mode", () => setPromisc(container, ifName, promisc));
  if (allmulti !== undefined) attempt("all-multicast mode", () => setAllmulti(container, ifName, allmulti));
  if (txQLen !== undefined) attempt("transmit queue length", () => setTxQLen(container, ifName, txQLen));
  return failures;
}

/** Each configured attribute must hold; promisc unset means off. Messages as the reference's CHECK. */
export function checkLinkSettings(link: Link, settings: LinkSettings): void {
  const name = link.name;
  const fail = (message: string): CniError => new CniError(ErrorCode.Internal, message);
  if (settings.mac !== undefined && settings.mac !== link.mac) {
    throw fail(`Error: Tuning configured Ethernet of ${name} is ${settings.mac}, current value is ${link.mac}`);
  }
  if (settings.promisc !== link.promisc) {
    throw fail(`Error: Tuning link ${name} configured promisc is ${settings.promisc}, current value is ${link.promisc ? 1 : 0}`);
  }
  if (settings.mtu !== undefined && settings.mtu !== link.mtu) {
    throw fail(`Error: Tuning configured MTU of ${name} is ${settings.mtu}, current value is ${link.mtu}`);
  }
  const allmulti = (link.flags & IFF_ALLMULTI) !== 0;
  if (settings.allmulti !== undefined && settings.allmulti !== allmulti) {
    throw fail(`Error: Tuning configured all-multicast mode of ${name} is ${settings.allmulti}, current value is ${allmulti}`);
  }
  if (settings.txQLen !== undefined && settings.txQLen !== link.txqlen) {
    throw fail(`Error: Tuning configured Transmit Queue Length of ${name} is ${settings.txQLen}, current value is ${link.txqlen ?? "unknown"}`);
  }
}

function setMac(container: Netlink, name: string, mac: string): void {
  netlinkStep(`failed to set the MAC address of "${name}" to ${mac}`, () => container.linkSetMac(name, mac));
}
function setPromisc(container: Netlink, name: string, on: boolean): void {
  netlinkStep(`failed to set promiscuous mode of "${name}" ${on ? "on" : "off"}`, () => container.linkSetPromisc(name, on));
}
function setMtu(container: Netlink, name: string, mtu: number): void {
  netlinkStep(`failed to set the MTU of "${name}" to ${mtu}`, () => container.linkSetMtu(name, mtu));
}
function setAllmulti(container: Netlink, name: string, on: boolean): void {
  netlinkStep(`failed to set all-multicast mode of "${name}" ${on ? "on" : "off"}`, () => container.linkSetAllmulti(name, on));
}
function setTxQLen(container: Netlink, name: string, length: number): void {
  netlinkStep(`failed to set the transmit queue length of "${name}" to ${length}`, () => container.linkSetTxQLen(name, length));
}
