/**
 * Raw statement execution: SQL text in, the server's bytes out in any format. The local HTTP
 * endpoint needs this (clients pick the output format); the typed `ClickHouseDriver` methods don't.
 */
import type { ClickHouseDriver } from "./driver.js";

export interface RawQueryOptions {
  /** Output format when the SQL has no FORMAT clause (ClickHouse's `default_format`). Default TabSeparated. */
  format?: string;
  /** Database to run in; default the driver's. */
  database?: string;
  /** Values for `{name:Type}` placeholders, in ClickHouse's text (Escaped) form, as sent in `param_<name>`. */
  textParams?: Record<string, string>;
  /** Settings for this statement only. */
  settings?: Record<string, string>;
}

export interface RawQueryResult {
  body: Uint8Array;
  rowsRead: number;
  bytesRead: number;
  elapsedSeconds: number;
}

export interface RawClickHouseDriver extends ClickHouseDriver {
  raw(sql: string, options?: RawQueryOptions): Promise<RawQueryResult>;
}
