/**
 * One ClickHouse interface, two implementations: embedded (chdb, `.moose/clickhouse`) and remote
 * (@clickhouse/client). Statements never name the database: the driver's connection database applies.
 */
import type { Manifest } from "../../manifest/types.js";

export type QueryParams = Record<string, unknown>;

export interface InsertOptions {
  /**
   * `insert_deduplication_token`: a block inserted again with the same token is dropped by engines
   * that deduplicate (Replicated*MergeTree; MergeTree with `non_replicated_deduplication_window` > 0).
   */
  deduplicationToken?: string;
}

/** ClickHouse's JSONCompact answer: `rows[i][j]` is the value of `columns[j]`. */
export interface CompactRows {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface ClickHouseDriver {
  readonly kind: "embedded" | "remote";
  /** The database every statement runs in. */
  readonly database: string;
  /** A DDL/DML statement; `{name:Type}` placeholders bound from params. */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /**
   * A statement whose answer is rows but which takes no FORMAT clause (an ON CLUSTER statement's
   * per-host status): the rows as TabSeparated cells. Remote servers only.
   */
  execRows?(sql: string): Promise<string[][]>;
  /**
   * A SELECT; rows as objects (JSONEachRow semantics: 64-bit integers come back as strings).
   * `settings`: ClickHouse settings for this statement only (a row-policy scoped query's).
   */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, settings?: Record<string, string>): Promise<T[]>;
  /** A SELECT's rows as arrays, with its columns' names and ClickHouse types (64-bit integers and decimals as strings). */
  queryCompact(sql: string, params?: QueryParams): Promise<CompactRows>;
  /** Rows as JSONEachRow; date-times are read with `best_effort` (ISO 8601 with its zone is exact on any server time zone). */
  insert(table: string, rows: Record<string, unknown>[], options?: InsertOptions): Promise<void>;
  /** Live tables and views of `database` in manifest shape (moose's own `_moose_*` tables excluded). */
  introspect(): Promise<Pick<Manifest, "tables" | "views" | "materializedViews">>;
  close(): Promise<void>;
}
