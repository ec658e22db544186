// Checking real addon results against the field records declared next to their types (`Shape<T>` in
// src/types.ts): every returned field declared, with the declared JS type; every required field present;
// every declared field seen at least once across the objects given. Used by the boundary tests here and
// in @cni/host-files.
import { expect } from "vitest";
import type { FieldDescription } from "../src/types";

type Fields = Readonly<Record<string, FieldDescription>>;

/** Problems of `value` against `fields`; records each field seen under `prefix` in `seen`. */
function problems(value: unknown, fields: Fields, prefix: string, seen: Set<string>): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${prefix}: not a plain object`];
  const found: string[] = [];
  const record = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(record)) {
    const declared = fields[key];
    const path = `${prefix}.${key}`;
    if (declared === undefined) {
      found.push(`${path}: returned by the addon but not declared`);
      continue;
    }
    seen.add(path);
    found.push(...kindProblems(field, declared, path, seen));
  }
  for (const [key, declared] of Object.entries(fields)) {
    if (!declared.optional && !(key in record)) found.push(`${prefix}.${key}: required but missing`);
  }
  return found;
}

function kindProblems(field: unknown, declared: FieldDescription, path: string, seen: Set<string>): string[] {
  switch (declared.kind) {
    case "object":
      // an object field without a shape holds bytes (a Buffer)
      if (declared.shape === undefined) return field instanceof Uint8Array ? [] : [`${path}: expected bytes, got ${typeof field}`];
      return problems(field, declared.shape, path, seen);
    case "array": {
      if (!Array.isArray(field)) return [`${path}: expected an array, got ${typeof field}`];
      const found: string[] = [];
      for (const item of field as unknown[]) found.push(...problems(item, declared.items ?? {}, `${path}[]`, seen));
      return found;
    }
    default:
      return typeof field === declared.kind ? [] : [`${path}: expected ${declared.kind}, got ${typeof field}`];
  }
}

/** All field paths a record declares ("Link.bridgePort.state", "Route.multipath[].gateway"). */
function declaredPaths(fields: Fields, prefix: string): string[] {
  const paths: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const path = `${prefix}.${key}`;
    paths.push(path);
    if (field.shape !== undefined) paths.push(...declaredPaths(field.shape, path));
    if (field.items !== undefined) paths.push(...declaredPaths(field.items, `${path}[]`));
  }
  return paths;
}

/** Check every object, then that every declared field (but those listed as not producible) was seen. */
export function expectBoundary(objects: unknown[], fields: Fields, name: string, notProducible: Record<string, string> = {}): void {
  expect(objects.length).toBeGreaterThan(0);
  const seen = new Set<string>();
  const found: string[] = [];
  for (const object of objects) found.push(...problems(object, fields, name, seen));
  expect(found).toEqual([]);
  const unseen = declaredPaths(fields, name).filter((path) => !seen.has(path) && notProducible[path] === undefined);
  expect(unseen).toEqual([]);
}
