/**
 * A column of a table or stream as user code sees it (`table.columns.userId`, MooseStack's
 * `OlapTable.columns`): its name and ClickHouse type. Interpolated into a `sql` template it becomes
 * the quoted column name.
 */
import type { ColumnSpec } from "../manifest/types.js";
import { isSqlPart, markSqlPart } from "./sql-part.js";

export interface Column {
  readonly kind: "Column";
  /** The column name, as in ClickHouse. */
  readonly name: string;
  /** The ClickHouse type without Nullable, e.g. `String`, `DateTime('UTC')`. */
  readonly data_type: string;
  /** false when the column is Nullable (an optional field). */
  readonly required: boolean;
  readonly unique: false;
  /** Part of the primary/order key (a `Key<>` field). */
  readonly primary_key: boolean;
  /** The DEFAULT expression, or null. */
  readonly default: string | null;
  readonly materialized: string | null;
  readonly alias: string | null;
  readonly ttl: string | null;
  readonly codec: string | null;
  readonly comment: string | null;
}

/** A column the SDK made (./sql-part.ts). */
export function isColumn(value: unknown): value is Column {
  return isSqlPart(value) && (value as { kind?: unknown }).kind === "Column" && typeof (value as { name?: unknown }).name === "string";
}

/** `{ [field]: Column }` for a row type's columns. */
export function columnsRecord<T>(columns: readonly ColumnSpec[]): { [K in keyof Required<T>]: Column } {
  const record: Record<string, Column> = {};
  for (const column of columns) {
    record[column.name] = Object.freeze(markSqlPart<Column>({
      kind: "Column",
      name: column.name,
      data_type: column.type,
      required: !column.nullable,
      unique: false,
      primary_key: column.primaryKey === true,
      default: column.default ?? null,
      materialized: column.materialized ?? null,
      alias: column.alias ?? null,
      ttl: column.ttl ?? null,
      codec: column.codec ?? null,
      comment: column.comment ?? null,
    }));
  }
  return record as { [K in keyof Required<T>]: Column };
}
