/**
 * The type-mapping contract: one TypeMapper per kind of TypeScript type (scalars, enums, arrays,
 * maps, nested objects, …). Each is asked in turn whether it handles a field's type; the first
 * that does turns it into ClickHouse type text. Errors carry the field's node and path.
 */
import type ts from "../typescript.js";
import type { Brands } from "./brands.js";

/** The field being mapped: its dotted path from the row type, and the node to report errors at. */
export interface FieldSite {
  path: string;
  node: ts.Node;
  /**
   * Where the field's value sits in a record, key by key below the row (`[]` each element of an
   * array, `{}` each value of a map); null below an aggregate state's argument, which no record holds.
   */
  steps?: readonly string[] | null;
}

export class MappingError extends Error {
  constructor(
    message: string,
    readonly site: FieldSite,
    readonly hint?: string,
    readonly code = "UNSUPPORTED_TYPE",
  ) {
    super(message);
  }
}

/**
 * A field type with `null`/`undefined` removed and brands split off: `members` are the remaining
 * union members (one for non-unions), each without its brand intersections.
 */
export interface Shape {
  members: ts.Type[];
  brands: Brands;
  /** The type as written, for messages. */
  original: ts.Type;
}

export interface MappedType {
  /** ClickHouse type text without Nullable. */
  type: string;
  /** Array/Map/Nested/Tuple-like types can never be Nullable in ClickHouse. */
  container: boolean;
}

export interface MappingContext {
  readonly checker: ts.TypeChecker;
  readonly site: FieldSite;
  /** ClickHouse text of a type inside a container (array element, map value, tuple item), Nullable included. */
  innerType(type: ts.Type, pathSuffix: string): string;
  /** `name Type` pairs for the fields of a nested object type. */
  objectFields(type: ts.Type): Array<{ name: string; type: string }>;
  fail(message: string, hint?: string): never;
}

export interface TypeMapper {
  readonly name: string;
  matches(shape: Shape, context: MappingContext): boolean;
  map(shape: Shape, context: MappingContext): MappedType;
}
