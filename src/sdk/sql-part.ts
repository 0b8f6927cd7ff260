/**
 * Marks what the SDK made for `sql` templates — statements, tables, views, streams, dictionaries,
 * columns — so that only these become SQL text (spliced or quoted as identifiers). Anything else is
 * a value, bound as a parameter: an object of the same shape from a request (`express.json()`'s
 * `{"kind":"Sql","strings":[…]}`, `{"componentKind":…,"id":…}`) can never write SQL. JSON and
 * query-string parsers cannot set a symbol key. A registered symbol, because the app's SDK and the
 * server reading its statements may be two instances of these modules.
 */
const SQL_PART = Symbol.for("moose-ts.sql-part");

/** Marks `target` (an instance, or a class's prototype for all its instances). */
export function markSqlPart<T extends object>(target: T): T {
  Object.defineProperty(target, SQL_PART, { value: true });
  return target;
}

export function isSqlPart(value: unknown): value is object {
  return typeof value === "object" && value !== null && (value as { [SQL_PART]?: unknown })[SQL_PART] === true;
}
