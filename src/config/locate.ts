/**
 * Finds the line of a key in TOML text, for error messages. smol-toml reports positions only for
 * syntax errors, so this scans the (already valid) document: table headers set the current table,
 * `a.b = …` lines add dotted keys. Multi-line strings that look like keys can fool it; the result
 * is only ever used to point at a line.
 */

/** 1-based line of `path` (e.g. ["clickhouse_config", "host_port"]); for a table, its header line. */
export function findKeyLine(toml: string, path: readonly string[]): number | undefined {
  let table: string[] = [];
  let firstUnderPath: number | undefined;
  const lines = toml.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[\[?(.+?)\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      table = splitKey(header[1]);
      if (samePath(table, path)) return index + 1;
      if (startsWith(table, path)) firstUnderPath ??= index + 1;
      continue;
    }
    const equals = keyEnd(line);
    if (equals === undefined) continue;
    const full = [...table, ...splitKey(line.slice(0, equals))];
    if (samePath(full, path)) return index + 1;
    if (startsWith(full, path)) firstUnderPath ??= index + 1;
  }
  return firstUnderPath;
}

/** Index of the `=` that ends the key part of a key/value line, skipping quoted key segments. */
function keyEnd(line: string): number | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "=") {
      return i;
    }
  }
  return undefined;
}

/** `a."b.c" . d` → ["a", "b.c", "d"]. */
function splitKey(key: string): string[] {
  const segments: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  for (let match = pattern.exec(key); match && match[0] !== ""; match = pattern.exec(key)) {
    segments.push(match[1] ?? match[2] ?? match[3]);
  }
  return segments;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}
