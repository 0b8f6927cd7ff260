/**
 * ClickHouse failures as MooseErrors. Both drivers report a failed statement the same way, so the
 * runner, the CLI and the local HTTP endpoint can read the server's error code from `details`.
 */
import { MooseError } from "../../errors.js";

/** ClickHouse's error code for a statement refused as a write under `readonly`. */
export const READONLY = 164;

/** `Code: 62. DB::Exception: Syntax error … (SYNTAX_ERROR)` (new) or `Code: 193, e.displayText() = DB::Exception: …` (18.x). */
const CLICKHOUSE_MESSAGE = /^\s*Code:\s*(\d+)[.,]\s*(?:e\.displayText\(\)\s*=\s*)?(?:DB::Exception:\s*)?([\s\S]*?)\s*$/;

export interface ParsedClickHouseError {
  code: number | undefined;
  /** The message without the `Code: N. DB::Exception:` prefix. */
  message: string;
}

export function parseClickHouseError(text: string, code?: number): ParsedClickHouseError {
  const match = CLICKHOUSE_MESSAGE.exec(text);
  if (!match) return { code, message: text.trim() };
  const message = match[2]!
    .replace(/,\s*e\.what\(\)\s*=\s*DB::Exception\s*$/, "")
    .replace(/\s*\(version [^)]*\)\s*$/, "")
    .trim();
  return { code: code ?? Number(match[1]), message };
}

/** A statement the server rejected. `details.clickhouseCode` is ClickHouse's numeric error code. */
export function clickHouseQueryError(text: string, sql: string, code?: number, cause?: unknown): MooseError {
  const parsed = parseClickHouseError(text, code);
  const firstLine = sql.trim().split("\n")[0]!;
  return new MooseError("CLICKHOUSE_QUERY_FAILED", `ClickHouse rejected a statement: ${parsed.message}`, {
    hint: `The statement was: ${firstLine.length > 200 ? `${firstLine.slice(0, 200)}…` : firstLine}`,
    details: { clickhouseCode: parsed.code, clickhouseMessage: parsed.message, sql },
    cause,
  });
}

/** The ClickHouse error code carried by an error from either driver, if any. */
export function clickHouseCodeOf(error: unknown): number | undefined {
  if (error instanceof MooseError) {
    const code = error.details?.clickhouseCode;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}
