/**
 * The order of a JSON Schema's `enum` values from a literal union (`"paid" | "refunded"`,
 * `Literal["paid", "refunded"]`). TypeScript lists a union's members by when each literal type was
 * first created, which differs from one program to another (a property of the same name earlier in
 * a file is enough), so both extractors sort them: numbers first, ascending, then strings. The diff
 * compares schemas with their `enum` values in this order too, so a manifest written in another
 * order plans no change.
 */
import type { JsonSchema } from "./types.js";

export function compareEnumValues(a: unknown, b: unknown): number {
  const aString = typeof a === "string";
  const bString = typeof b === "string";
  if (aString !== bString) return aString ? 1 : -1;
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

/** `schema` with every `enum` (at any depth) in compareEnumValues order. */
export function withOrderedEnums(schema: JsonSchema): JsonSchema {
  return ordered(schema) as JsonSchema;
}

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, key === "enum" && Array.isArray(item) ? [...item].sort(compareEnumValues) : ordered(item)]),
  );
}
