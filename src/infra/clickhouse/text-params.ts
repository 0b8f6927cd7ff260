/**
 * `param_<name>` values arrive as ClickHouse's Escaped text (what the HTTP interface takes). chdb's
 * binder takes JS values and escapes strings itself, so the text is turned back into what the binder
 * expects: string-typed values are unescaped, null is `\N`, and the rare non-string value that holds
 * backslash escapes (e.g. `['a\'b']`) is bound as its text and CAST to the declared type.
 */

/**
 * `{name:Type}`. The type is everything up to the closing brace (a type holds no braces), trimmed
 * where it is used: a pattern that let spaces belong to the type or around it could try every split
 * of a long run of them (60 KB of SQL held the server for seconds).
 */
export const PLACEHOLDER = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:([^{}]+)\}/g;

const STRING_TYPE = /^(?:Nullable\()?(?:LowCardinality\()?(?:Nullable\()?(?:String|FixedString\(\d+\)|Identifier|UUID|Enum(?:8|16)?\(.*\))\)*$/;

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", v: "\v" };

/** Decodes ClickHouse Escaped text: `\n`, `\t`, `\\`, `\'`, `\xHH`, … */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9A-Fa-f]{2}|[\s\S])/g, (_, escape: string) => {
    if (escape.length === 3) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ESCAPES[escape] ?? escape;
  });
}

export interface BoundTextParams {
  sql: string;
  params: Record<string, string | null>;
}

/** The declared type of each `{name:Type}` placeholder in `sql`. */
export function placeholderTypes(sql: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of sql.matchAll(PLACEHOLDER)) types.set(match[1]!, match[2]!.trim());
  return types;
}

export function bindTextParams(sql: string, textParams: Record<string, string>): BoundTextParams {
  const types = placeholderTypes(sql);
  const params: Record<string, string | null> = {};
  const castAsText = new Set<string>();
  for (const [name, text] of Object.entries(textParams)) {
    const type = types.get(name);
    if (type === undefined) continue; // ClickHouse ignores parameters the query does not use
    if (text === "\\N") params[name] = null;
    else if (STRING_TYPE.test(type)) params[name] = unescapeText(text);
    else if (text.includes("\\")) {
      params[name] = text;
      castAsText.add(name);
    } else params[name] = text;
  }
  const rewritten =
    castAsText.size === 0
      ? sql
      : sql.replace(PLACEHOLDER, (whole, name: string, type: string) =>
          castAsText.has(name) ? `CAST({${name}:String} AS ${type.trim()})` : whole,
        );
  return { sql: rewritten, params };
}
