/** Row serialisation the drivers share (identifier/string quoting lives in ./ddl.ts). */

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
      JSON.stringify(row, function (this: Record<string, unknown>, key, value) {
        const original = this[key];
        if (original instanceof Date) return formatDateTime(original, options.milliseconds ?? true);
        if (typeof value === "bigint") return value.toString();
        return value;
      }),
    )
    .join("\n");
}

/** JSONEachRow text → rows. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() !== "") rows.push(JSON.parse(line) as T);
  }
  return rows;
}
