// Namespace bookkeeping for kernel tests: every namespace a test makes (named <prefix>-<random>) is
// removed again, also when the test fails, with the handle opened in it closed first.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { netns } from "../src/index";

export interface OpenedNamespace<Handle> {
  name: string;
  path: string;
  handle: Handle;
}

export class TestNamespaces<Handle extends { close(): void }> {
  readonly #created = new Set<string>();
  readonly #handles: Handle[] = [];

  /** `open` makes the handle each namespace comes with (Netlink.at, Nftables.at). */
  constructor(
    private readonly prefix: string,
    private readonly open: (path: string) => Handle,
  ) {}

  create(): OpenedNamespace<Handle> {
    const name = `${this.prefix}-${randomBytes(4).toString("hex")}`;
    const path = netns.create(name);
    this.#created.add(name);
    const handle = this.open(path);
    this.#handles.push(handle);
    return { name, path, handle };
  }

  /** A namespace the test deleted itself: not to be deleted again. */
  forget(name: string): void {
    this.#created.delete(name);
  }

  /** Close every handle and delete every namespace (through iproute2 when netns.delete fails). */
  removeAll(): void {
    for (const handle of this.#handles.splice(0)) handle.close();
    for (const name of [...this.#created]) {
      try {
        netns.delete(name);
      } catch {
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      }
      this.#created.delete(name);
    }
  }

  /** removeAll, then no namespace with the prefix may be listed (for afterAll). */
  removeAllAndCheckNoneLeft(): void {
    this.removeAll();
    const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    expect(left).not.toMatch(new RegExp(`^${this.prefix}-`, "m"));
  }
}

/** Whether this kernel has bridge VLAN filtering, asked of iproute2 in a throwaway namespace. */
export function kernelHasVlanFiltering(prefix: string): boolean {
  const name = `${prefix}-probe-${randomBytes(4).toString("hex")}`;
  execFileSync("ip", ["netns", "add", name]);
  try {
    execFileSync("ip", ["netns", "exec", name, "ip", "link", "add", "br0", "type", "bridge", "vlan_filtering", "1"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync("ip", ["netns", "del", name]);
  }
}
