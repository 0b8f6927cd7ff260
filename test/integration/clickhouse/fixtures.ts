/** Specs and operations for the ClickHouse integration tests. */
import { withRisk, type UnassessedOperation } from "../../../src/diff/risk.js";
import type { Operation } from "../../../src/diff/operations.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import type { ColumnSpec, TableSpec } from "../../../src/manifest/types.js";

export function column(name: string, type: string, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return { name, type, nullable: false, ...extra };
}

export function table(name: string, columns: ColumnSpec[], extra: Partial<TableSpec> = {}): TableSpec {
  return {
    name,
    columns,
    orderBy: [columns[0]!.name],
    engine: { name: "MergeTree", params: [] },
    settings: {},
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
    ...extra,
  };
}

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
