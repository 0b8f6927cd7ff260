/**
 * Quoting for ClickHouse SQL text: identifiers read as plain names where that is safe, and no name
 * or string can break out of its quotes. Shared by the DDL builders, the drivers and the SDK's `sql` tag.
 */
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };

function escape(text: string, quote: string): string {
  let out = "";
  for (const ch of text) out += ch === quote ? `\\${quote}` : (ESCAPES[ch] ?? ch);
  return out;
}

// Names that are SQL keywords stay quoted even when they look like plain identifiers.
const KEYWORDS = new Set(
  (
    "add after alias all alter and any array as asc between by case cast check codec column comment create cross " +
    "database default delete desc distinct drop else end engine exists false final first format from full global " +
    "group having if ilike in index inner insert interval into is join key left like limit materialized modify not " +
    "null offset on or order outer over partition prewhere primary rename replace right sample select set settings " +
    "table then to true ttl union update using values view when where with " +
    // not reserved in ClickHouse's grammar, but still misread bare in some positions (found by trying them all)
    "constraint function inf infinity nan projection top"
  ).split(" "),
);

/**
 * An identifier as it reads best in DDL: bare when it is a plain name (`Users`, `user_id`), otherwise
 * `` `quoted` `` with backslashes, backticks and control characters escaped, so no name can break out.
 */
export function quoteIdentifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toLowerCase())) return name;
  return `\`${escape(name, "`")}\``;
}

/** `'text'` with backslashes, quotes and control characters escaped. */
export function quoteString(text: string): string {
  return `'${escape(text, "'")}'`;
}
