// The CniError a call throws or a promise rejects with; the test fails when there is none.
import { expect } from "vitest";
import { CniError } from "@cni/skel";

export function cniErrorOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CniError);
    return error as CniError;
  }
  throw new Error("expected a CniError");
}

export async function cniRejection(promise: Promise<unknown>): Promise<CniError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(CniError);
  return outcome as CniError;
}
