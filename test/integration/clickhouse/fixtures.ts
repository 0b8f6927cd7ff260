/** Specs and operations for the ClickHouse integration tests. */
import { withRisk, type UnassessedOperation } from "../../../src/diff/risk.js";
import type { Operation } from "../../../src/diff/operations.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";

// The manifest builders of the diff tests; one set of defaults for every test.
export { column, table } from "../../unit/diff/builders.js";

export function op(unassessed: UnassessedOperation): Operation {
  return withRisk(unassessed);
}

export interface LiveColumn {
  name: string;
  type: string;
  default_kind: string;
  default_expression: string;
  comment: string;
}

export function liveColumns(driver: ClickHouseDriver, tableName: string): Promise<LiveColumn[]> {
  return driver.query<LiveColumn>(
    "SELECT name, type, default_kind, default_expression, comment FROM system.columns WHERE database = currentDatabase() AND table = {table:String} ORDER BY position",
    { table: tableName },
  );
}

export async function liveTable(driver: ClickHouseDriver, tableName: string): Promise<{ engine: string; sorting_key: string; create_table_query: string } | undefined> {
  const [row] = await driver.query<{ engine: string; sorting_key: string; create_table_query: string }>(
    "SELECT engine, sorting_key, create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {table:String}",
    { table: tableName },
  );
  return row;
}

export async function rowCount(driver: ClickHouseDriver, tableName: string): Promise<number> {
  const [row] = await driver.query<{ n: string }>(`SELECT count() AS n FROM \`${tableName.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``);
  return Number(row!.n);
}
