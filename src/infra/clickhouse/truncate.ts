/**
 * `moose truncate`: empties tables of the local database, or deletes their newest rows, as
 * MooseStack's `moose truncate` does. The tables are the database's own (what it has now, not what
 * the code says), never moose-ts's bookkeeping tables (`_moose…`) nor views. "Newest" is by the
 * table's sorting key, read from the database: the rows whose key is at least the `rows`-th greatest.
 * That key is read first and written into the DELETE as a value: a mutation runs its subqueries
 * again for each part it rewrites, so a `key IN (SELECT … LIMIT n)` would take n rows per part.
 */
import { ExitCode, MooseError } from "../../errors.js";
import type { TableSpec } from "../../manifest/types.js";
import { RESERVED_PREFIX } from "../../steps/index.js";
import type { ClickHouseDriver } from "./driver.js";
import { quoteIdentifier } from "./quote.js";
import { countRows } from "./rows.js";

/** Engines whose rows TRUNCATE empties, and those whose rows a DELETE mutation removes (`--rows`). */
const TRUNCATABLE = /MergeTree$|^(Memory|Log|TinyLog|StripeLog|Set|Join|Null)$/;
const DELETABLE = /MergeTree$/;

/**
 * The tables `names` picks (`all`: every table but moose-ts's own whose engine the operation works
 * on), refusing a name the database lacks, one of moose-ts's, or an engine the operation does not
 * work on — before any table is touched.
 */
export function truncateTargets(live: Record<string, TableSpec>, names: string[] | "all", rows?: number): TableSpec[] {
  const own = (name: string) => name.toLowerCase().startsWith(RESERVED_PREFIX);
  const supported = (table: TableSpec) => (rows === undefined ? TRUNCATABLE : DELETABLE).test(table.engine.name);
  if (names === "all") return Object.values(live).filter((table) => !own(table.name) && supported(table)).sort((a, b) => a.name.localeCompare(b.name));
  const tables = names.map((name) => {
    if (own(name)) throw new MooseError("TRUNCATE_RESERVED", `${name} is one of moose-ts's own tables (its journal, state or lock): it is never truncated`, { exitCode: ExitCode.usage });
    const table = live[name];
    if (table === undefined) {
      const known = Object.keys(live).filter((candidate) => !own(candidate)).sort();
      throw new MooseError("TRUNCATE_UNKNOWN_TABLE", `the local database has no table named ${JSON.stringify(name)}`, {
        exitCode: ExitCode.usage,
        hint: known.length > 0 ? `its tables: ${known.join(", ")}` : "it has no tables yet (run `moose dev`, or `moose migrate up --embedded`)",
      });
    }
    return table;
  });
  for (const table of tables) {
    if (!supported(table)) {
      throw new MooseError("TRUNCATE_UNSUPPORTED_ENGINE", `${table.name} is a ${table.engine.name} table: ${rows === undefined ? "TRUNCATE does not empty it" : "a DELETE cannot remove some of its rows"}`, { exitCode: ExitCode.usage });
    }
    if (rows !== undefined) sortingKey(table);
  }
  return tables;
}

/** The table's sorting key as one expression (a tuple for several), refusing a table without one. */
function sortingKey(table: TableSpec): string {
  if (table.orderBy.length === 0) {
    throw new MooseError("TRUNCATE_NO_ORDER", `${table.name} has no sorting key (ORDER BY tuple()): which of its rows are the newest cannot be told`, {
      exitCode: ExitCode.usage,
      hint: `truncate it whole (\`moose truncate ${table.name}\`), or delete the rows you mean with an ALTER TABLE … DELETE through the local ClickHouse endpoint`,
    });
  }
  return table.orderBy.length === 1 ? table.orderBy[0]! : `(${table.orderBy.join(", ")})`;
}

/** The query reading the sorting key of `table`'s `rows`-th newest row, as a SQL value (`('u4')`, `('2026-01-01', 7)`). */
export function newestBoundSql(table: TableSpec, rows: number): string {
  sortingKey(table);
  const descending = table.orderBy.map((item) => `${item} DESC`).join(", ");
  return `SELECT formatRowNoNewline('Values', ${table.orderBy.join(", ")}) AS bound FROM ${quoteIdentifier(table.name)} ORDER BY ${descending} LIMIT 1 OFFSET ${rows - 1}`;
}

/** The statement deleting every row whose sorting key is at least `bound` (the value newestBoundSql read). */
export function deleteFromBoundSql(table: TableSpec, bound: string): string {
  return `ALTER TABLE ${quoteIdentifier(table.name)} DELETE WHERE ${sortingKey(table)} >= ${bound}`;
}

export interface TruncatedTable {
  table: string;
  /** Rows before and after. */
  before: number;
  after: number;
}

/** Empties each table (or deletes its `rows` newest rows), one after another; the rows each had before and has after. */
export async function truncateTables(driver: ClickHouseDriver, tables: TableSpec[], rows?: number): Promise<TruncatedTable[]> {
  const done: TruncatedTable[] = [];
  for (const table of tables) {
    const before = await countRows(driver, table.name);
    if (rows === undefined || before <= rows) await driver.exec(`TRUNCATE TABLE ${quoteIdentifier(table.name)}`);
    else {
      const [row] = await driver.query<{ bound: string }>(newestBoundSql(table, rows));
      await driver.exec(deleteFromBoundSql(table, row!.bound));
    }
    done.push({ table: table.name, before, after: await countRows(driver, table.name) });
  }
  return done;
}
