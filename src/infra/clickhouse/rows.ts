/** Row serialisation the drivers share (identifier/string quoting lives in ./ddl.ts). */
import type { ClickHouseDriver, CompactRows } from "./driver.js";
import { quoteIdentifier } from "./quote.js";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * A Date as ClickHouse's `YYYY-MM-DD hh:mm:ss[.sss]` in UTC (DateTime and DateTime64 columns).
 * `milliseconds: false` for servers before DateTime64 (< 20.1), whose DateTime rejects fractions.
 */
export function formatDateTime(date: Date, milliseconds = true): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    (milliseconds && date.getUTCMilliseconds() ? `.${pad(date.getUTCMilliseconds(), 3)}` : "")
  );
}

/** Rows as JSONEachRow text: bigint → digits, Date → `YYYY-MM-DD hh:mm:ss[.sss]` UTC. */
export function toJsonEachRow(rows: readonly Record<string, unknown>[], options: { milliseconds?: boolean } = {}): string {
  return rows
    .map((row) =>
      // A replacer makes JSON.stringify several times slower: only rows that need one get it.
      !needsReplacer(row) ? JSON.stringify(row) : JSON.stringify(row, function (this: Record<string, unknown>, key, value) {
        const original = this[key];
        if (original instanceof Date) return formatDateTime(original, options.milliseconds ?? true);
        if (typeof value === "bigint") return value.toString();
        return value;
      }),
    )
    .join("\n");
}

/** True when a Date or bigint is somewhere inside the value (what toJsonEachRow writes its own way). */
function needsReplacer(value: unknown): boolean {
  if (typeof value === "bigint" || value instanceof Date) return true;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (const element of value) if (needsReplacer(element)) return true;
    return false;
  }
  for (const key in value) if (needsReplacer((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** A JSONCompact answer; a statement that answers nothing (no rows, no columns) is empty. */
export function parseJsonCompact(text: string): CompactRows {
  if (text.trim() === "") return { columns: [], rows: [] };
  const { meta, data } = JSON.parse(text) as { meta: CompactRows["columns"]; data: unknown[][] };
  return { columns: meta.map(({ name, type }) => ({ name, type })), rows: data };
}

/** JSONEachRow text → rows. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() !== "") rows.push(JSON.parse(line) as T);
  }
  return rows;
}

/** How many rows `table` (of the driver's database) holds. */
export async function countRows(driver: ClickHouseDriver, table: string): Promise<number> {
  const [row] = await driver.query<{ rows: string | number }>(`SELECT count() AS rows FROM ${quoteIdentifier(table)}`);
  return Number(row?.rows ?? 0);
}
