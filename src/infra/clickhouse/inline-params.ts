/**
 * Client-side binding of `{name:Type}` placeholders, for servers older than query parameters
 * (ClickHouse < 19.x, e.g. Debian's 18.16). Values become literals of the declared type.
 */
import { MooseError } from "../../errors.js";
import type { QueryParams } from "./driver.js";
import { quoteIdentifier, quoteString } from "./quote.js";
import { formatDateTime } from "./rows.js";
import { PLACEHOLDER, placeholderTypes } from "./text-params.js";

/** A number's text with a space before a minus: after a `-` in the statement (`10-{p:Int64}`) it would start a `--` comment. */
export function numberLiteral(text: string): string {
  return text.startsWith("-") ? ` ${text}` : text;
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return quoteString(value);
  if (typeof value === "bigint") return numberLiteral(value.toString());
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot bind non-finite number ${value}`);
    return numberLiteral(String(value));
  }
  if (typeof value === "boolean") return value ? "1" : "0";
  // Servers this binds for predate DateTime64: no fractional seconds.
  if (value instanceof Date) return quoteString(formatDateTime(value, false));
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value instanceof Map) return `map(${[...value].map(([k, v]) => `${literal(k)}, ${literal(v)}`).join(", ")})`;
  throw new Error(`cannot bind a value of type ${typeof value}`);
}

export function inlineParams(sql: string, params: QueryParams): string {
  const types = placeholderTypes(sql);
  for (const name of types.keys()) {
    if (!(name in params)) {
      throw new MooseError("CLICKHOUSE_MISSING_PARAM", `The statement uses {${name}:…} but no value was given for "${name}".`, {
        hint: "This is a bug in the code building the statement: pass every placeholder's value.",
        details: { sql },
      });
    }
  }
  return sql.replace(PLACEHOLDER, (_whole, name: string, type: string) => {
    const value = params[name];
    if (type.trim() === "Identifier") return quoteIdentifier(String(value));
    return literal(value);
  });
}
