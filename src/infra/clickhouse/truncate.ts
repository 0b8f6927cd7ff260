/**
 * `moose truncate`: empties tables of the local database, or deletes their newest rows, as
 * MooseStack's `moose truncate` does. The tables are the database's own (what it has now, not what
 * the code says), never moose-ts's bookkeeping tables (`_moose…`) nor views. "Newest" is by the
 * table's sorting key, read from the database: the rows whose key is among its `rows` greatest.
 */
import { ExitCode, MooseError } from "../../errors.js";
import type { TableSpec } from "../../manifest/types.js";
import { RESERVED_PREFIX } from "../../steps/index.js";
import type { ClickHouseDriver } from "./driver.js";
import { quoteIdentifier } from "./quote.js";
import { countRows } from "./rows.js";

/** The tables `names` picks (`all`: every table but moose-ts's own), refusing a name the database lacks or one of moose-ts's. */
export function truncateTargets(live: Record<string, TableSpec>, names: string[] | "all"): TableSpec[] {
  const own = (name: string) => name.toLowerCase().startsWith(RESERVED_PREFIX);
  if (names === "all") return Object.values(live).filter((table) => !own(table.name)).sort((a, b) => a.name.localeCompare(b.name));
  return names.map((name) => {
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
}

/** The statement deleting the `rows` newest rows of `table` by its sorting key (rows tied with the last one go too). */
export function deleteNewestRowsSql(table: TableSpec, rows: number): string {
  if (table.orderBy.length === 0) {
    throw new MooseError("TRUNCATE_NO_ORDER", `${table.name} has no sorting key (ORDER BY tuple()): which of its rows are the newest cannot be told`, {
      exitCode: ExitCode.usage,
      hint: `truncate it whole (\`moose truncate ${table.name}\`), or delete the rows you mean with an ALTER TABLE … DELETE through the local ClickHouse endpoint`,
    });
  }
  const key = table.orderBy.length === 1 ? table.orderBy[0]! : `(${table.orderBy.join(", ")})`;
  const name = quoteIdentifier(table.name);
  return `ALTER TABLE ${name} DELETE WHERE ${key} IN (SELECT ${key} FROM ${name} ORDER BY ${table.orderBy.map((item) => `${item} DESC`).join(", ")} LIMIT ${rows})`;
}

export interface TruncatedTable {
  table: string;
  /** Rows before and after. */
  before: number;
  after: number;
}

/** Empties each table (or deletes its `rows` newest rows), one after another; the rows each had before and has after. */
export async function truncateTables(driver: ClickHouseDriver, tables: TableSpec[], rows?: number): Promise<TruncatedTable[]> {
  const statements = tables.map((table) => (rows === undefined ? `TRUNCATE TABLE ${quoteIdentifier(table.name)}` : deleteNewestRowsSql(table, rows)));
  const done: TruncatedTable[] = [];
  for (const [index, table] of tables.entries()) {
    const before = await countRows(driver, table.name);
    await driver.exec(statements[index]!);
    done.push({ table: table.name, before, after: await countRows(driver, table.name) });
  }
  return done;
}
