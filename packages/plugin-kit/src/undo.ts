// The ADD undo stack: every step that creates something is one `undo.step(what, create, remove)`, the
// only way to register a removal; when a later step fails, the removals run newest first before the
// error is printed, so a failed ADD leaves nothing behind (docs/protocol.md §6). A step's `create` is
// all or nothing: when it throws it has left nothing behind (or cleaned up itself), so nothing is
// registered for it.
import { CniError, toCniError } from "@cni/skel";

/** Removes one thing an ADD step created. May be async (e.g. IPAM DEL through delegation). */
export type UndoAction = () => void | Promise<void>;

interface Registered {
  what: string;
  action: UndoAction;
}

export class UndoStack {
  readonly #registered: Registered[] = [];

  /**
   * Run `create`, then register `remove` for what it made (given its value); `what` names the removal in
   * a cleanup failure. When `create` throws or rejects, nothing is registered: it is the step's own job
   * to leave nothing half-made. A promise from `create` is returned as is, with `remove` registered once
   * it resolves.
   */
  step<T>(what: string, create: () => T, remove: (created: Awaited<T>) => void | Promise<void>): T {
    const made = create();
    if (made instanceof Promise) {
      return made.then((value: Awaited<T>) => {
        this.#register(what, () => remove(value));
        return value;
      }) as T;
    }
    const value = made as Awaited<T>;
    this.#register(what, () => remove(value));
    return made;
  }

  #register(what: string, action: UndoAction): void {
    this.#registered.push({ what, action });
  }

  /** How many undos are registered. */
  get size(): number {
    return this.#registered.length;
  }

  /**
   * Run every registered undo, newest first, and forget them. One failing does not stop the others;
   * the failures come back as "<what>: <message>".
   */
  async unwind(): Promise<string[]> {
    const failures: string[] = [];
    for (let i = this.#registered.length - 1; i >= 0; i--) {
      const { what, action } = this.#registered[i] as Registered;
      try {
        await action();
      } catch (thrown) {
        failures.push(`${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      }
    }
    this.#registered.length = 0;
    return failures;
  }
}

/**
 * Run an ADD's steps with an undo stack. On success the registered undos are dropped; on failure they
 * run (newest first) and the original error is rethrown — as a CniError whose details list any undo
 * that failed too, so nothing is silently left behind.
 */
export async function withUndo<T>(body: (undo: UndoStack) => T | Promise<T>): Promise<T> {
  const undo = new UndoStack();
  try {
    return await body(undo);
  } catch (thrown) {
    const failures = await undo.unwind();
    if (failures.length === 0) throw thrown;
    const error = toCniError(thrown);
    const cleanup = `cleanup after the failure also failed: ${failures.join("; ")}`;
    throw new CniError(error.code, error.message, error.details ? `${error.details}; ${cleanup}` : cleanup);
  }
}
