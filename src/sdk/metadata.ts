/**
 * What the build plugin injects into SDK constructors: the caller's source location and the
 * columns / JSON Schemas resolved from the type arguments. The plugin appends it as an extra
 * constructor argument; constructors recognise it by its marker key.
 */
import type { SourceLocation } from "../errors.js";
import type { ColumnSpec, JsonSchema } from "../manifest/types.js";

export const METADATA_MARKER = "__mooseMetadata";

export interface InjectedMetadata {
  [METADATA_MARKER]: 1;
  source: SourceLocation;
  /** Columns of the row / payload type argument. */
  columns?: ColumnSpec[];
  /** The row type has an index signature (a stream's or ingest API's): records may carry fields beyond the columns. */
  extraFields?: true;
  /** JSON Schema of the row / payload / API params type argument. */
  schema?: JsonSchema;
  /** JSON Schema of an Api's result type argument. */
  resultSchema?: JsonSchema;
  /**
   * Where the row type has a JavaScript `Date`, as steps into a record (`["at"]`, `["visits", "[]",
   * "at"]`; `[]` each element of an array, `{}` each value of a map): a stream's functions get Date
   * objects there, as MooseStack's runner gives them.
   */
  dateFields?: string[][];
}

/**
 * How the plugin passes it: a JSON string (one string literal is far cheaper for the bundler and
 * the JavaScript parser than the same data as an object literal), or the object itself.
 */
export type InjectedArgument = InjectedMetadata | string;

const STRING_PREFIX = `{"${METADATA_MARKER}":1`;

export function isInjectedMetadata(value: unknown): value is InjectedArgument {
  if (typeof value === "string") return value.startsWith(STRING_PREFIX);
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[METADATA_MARKER] === 1;
}

/** The metadata from an injected argument; undefined when the plugin did not run. */
export function readMetadata(argument: unknown): InjectedMetadata | undefined {
  if (!isInjectedMetadata(argument)) return undefined;
  return typeof argument === "string" ? (JSON.parse(argument) as InjectedMetadata) : argument;
}

/** The injected metadata among a constructor's arguments, if the plugin ran. */
export function findMetadata(args: readonly unknown[]): InjectedMetadata | undefined {
  for (let i = args.length - 1; i >= 0; i--) if (isInjectedMetadata(args[i])) return readMetadata(args[i]);
  return undefined;
}
