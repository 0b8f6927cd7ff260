/** View SQL as compared: formatting never makes a view look changed. */
import { normalizeSpacing, quotedEnd } from "./normalize.js";

/** SQL keywords lowercased for comparison; identifiers keep their case (ClickHouse is case-sensitive). */
const SQL_KEYWORDS = new Set(
  (
    "select from where group by order having limit offset as join inner left right full outer cross on using and or not in " +
    "is null distinct union all with case when then else end asc desc between like ilike array prewhere final settings format interval"
  ).split(" "),
);

/**
 * View SQL as compared: comments removed, spacing collapsed, keywords lowercased, a trailing `;`
 * dropped. Quoted strings and identifiers are untouched.
 */
export function normalizeSql(sql: string): string {
  let stripped = "";
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = quotedEnd(sql, i);
      stripped += sql.slice(i, end);
      i = end - 1;
    } else if (ch === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      stripped += " ";
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 1;
      stripped += " ";
    } else stripped += ch;
  }
  let spaced = normalizeSpacing(stripped.trim());
  while (spaced.endsWith(";")) spaced = spaced.slice(0, -1).trimEnd();
  let out = "";
  for (let i = 0; i < spaced.length; i++) {
    const ch = spaced[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = quotedEnd(spaced, i);
      const quoted = spaced.slice(i, end);
      // `PageView` and PageView name the same table: ClickHouse stores view SQL with its own quoting.
      out += ch === "`" && /^`[A-Za-z_][A-Za-z0-9_]*`$/.test(quoted) ? quoted.slice(1, -1) : quoted;
      i = end - 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < spaced.length && /[A-Za-z0-9_]/.test(spaced[j]!)) j++;
      const word = spaced.slice(i, j);
      out += SQL_KEYWORDS.has(word.toLowerCase()) ? word.toLowerCase() : word;
      i = j - 1;
    } else if (ch === " " && (OPERATOR_CHARS.has(out[out.length - 1] ?? "") || OPERATOR_CHARS.has(spaced[i + 1] ?? ""))) {
      // `a=b`, `a = b`: spacing around operators does not matter.
      continue;
    } else out += ch;
  }
  return out;
}

const OPERATOR_CHARS = new Set(["=", "<", ">", "!", "+", "*", "/", "%"]);
