// The container's network namespace (CNI_NETNS) with the reference's errors, and the host's; always closed.
import { CniError, ErrorCode } from "@cni/skel";
import { Netlink, netns as namespaces } from "@cni/netlink";
import { isNetlinkCode, netlinkToCniError } from "./errors";

/**
 * A handle inside the namespace at `path`. A path that is missing or not a network namespace is a bad
 * CNI_NETNS: code 4 `failed to open netns "<path>": <reason>`. The caller closes it (or use withContainerNetns).
 */
export function openContainerNetns(path: string): Netlink {
  try {
    return Netlink.at(path);
  } catch (thrown) {
    throw netnsError(path, thrown);
  }
}

/**
 * Like openContainerNetns for DEL: no CNI_NETNS ("") or a path that no longer exists means the namespace is
 * already gone, and gives `undefined`; anything else wrong with the path is still code 4.
 */
export function openContainerNetnsIfPresent(path: string): Netlink | undefined {
  if (path === "") return undefined;
  try {
    return Netlink.at(path);
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENOENT")) return undefined;
    throw netnsError(path, thrown);
  }
}

/**
 * For a verb with nothing to do inside the namespace: the verdict openContainerNetns would give on CNI_NETNS
 * (code 4 unless it is a network namespace), without opening a socket there.
 */
export function checkContainerNetns(path: string): void {
  try {
    namespaces.check(path);
  } catch (thrown) {
    throw netnsError(path, thrown);
  }
}

/** checkContainerNetns for DEL: no CNI_NETNS ("") or a path that no longer exists is fine, as gone. */
export function checkContainerNetnsIfPresent(path: string): void {
  if (path === "") return;
  try {
    namespaces.check(path);
  } catch (thrown) {
    if (isNetlinkCode(thrown, "ENOENT")) return;
    throw netnsError(path, thrown);
  }
}

/** Open the namespace at `path`, run `body` with it, close it when `body` returns or its promise settles. */
export function withContainerNetns<T>(path: string, body: (netns: Netlink) => T): T {
  return closeAfter(openContainerNetns(path), body);
}

/** withContainerNetns for DEL: `undefined` without calling `body` when the namespace is already gone. */
export function withContainerNetnsIfPresent<T>(path: string, body: (netns: Netlink) => T): T | undefined {
  const netns = openContainerNetnsIfPresent(path);
  return netns === undefined ? undefined : closeAfter(netns, body);
}

/** A handle on the plugin's own (host) namespace, with a CNI error if even that cannot be opened. */
export function openHostNetns(): Netlink {
  try {
    return Netlink.current();
  } catch (thrown) {
    throw netlinkToCniError(thrown, "failed to open the host network namespace");
  }
}

/** Open the host namespace, run `body` with it, close it when `body` returns or its promise settles. */
export function withHostNetns<T>(body: (host: Netlink) => T): T {
  return closeAfter(openHostNetns(), body);
}

function netnsError(path: string, thrown: unknown): CniError {
  return netlinkToCniError(thrown, `failed to open netns "${path}"`, ErrorCode.InvalidEnvironment);
}

function closeAfter<T>(netns: Netlink, body: (netns: Netlink) => T): T {
  let result: T;
  try {
    result = body(netns);
  } catch (thrown) {
    netns.close();
    throw thrown;
  }
  if (result instanceof Promise) {
    // async body: the handle must stay open until it settles
    return result.finally(() => netns.close()) as T;
  }
  netns.close();
  return result;
}
