/**
 * Text that arrives over HTTP, checked before any route sees it: request bodies must be valid
 * UTF-8, JSON strings must be well-formed Unicode (JSON's `\ud800` escapes can spell a lone
 * surrogate, which no UTF-8 text can hold and ClickHouse refuses), and query strings must decode
 * to valid UTF-8 (URLSearchParams would silently turn bad bytes into U+FFFD).
 */
import type { FieldError } from "./params.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of `bytes`, or undefined when they are not valid UTF-8 (a leading BOM is dropped). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A string with no lone surrogates: `String.prototype.isWellFormed` (Node 20; ES2024, so not in our typings). */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** True when every string and key inside a parsed JSON value is well-formed (no allocation: the common case). */
function wellFormedThroughout(value: unknown): boolean {
  if (typeof value === "string") return isWellFormed(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    for (const element of value) if (!wellFormedThroughout(element)) return false;
    return true;
  }
  for (const key in value) if (!isWellFormed(key) || !wellFormedThroughout((value as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * Every string and object key in a parsed JSON value that is not well-formed Unicode, named like
 * the ingest field errors (`[1].page`, `tags[0]`); a key is named by its position (`page.<key>`).
 */
export function malformedStrings(value: unknown): FieldError[] {
  return wellFormedThroughout(value) ? [] : namedMalformedStrings(value, "");
}

function namedMalformedStrings(value: unknown, path: string): FieldError[] {
  if (typeof value === "string") return isWellFormed(value) ? [] : [{ field: path, message: "contains a lone surrogate (\\ud800-\\udfff): not valid Unicode" }];
  if (Array.isArray(value)) return value.flatMap((element, index) => namedMalformedStrings(element, `${path}[${index}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, element]) => {
    const child = path ? `${path}.${key}` : key;
    if (!isWellFormed(key)) return [{ field: path ? `${path}.<key>` : "<key>", message: "has a field name with a lone surrogate (\\ud800-\\udfff): not valid Unicode" }];
    return namedMalformedStrings(element, child);
  });
}

export type QueryResult = { ok: true; query: URLSearchParams } | { ok: false; errors: FieldError[] };

/**
 * A raw query string (`?a=1&b=%C3%A9`) → URLSearchParams, decoding `+` and percent escapes like
 * URLSearchParams does, but refusing escapes that do not form valid UTF-8 (named by parameter).
 */
export function parseQueryString(search: string): QueryResult {
  const query = new URLSearchParams();
  const errors: FieldError[] = [];
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const rawName = equals < 0 ? part : part.slice(0, equals);
    const rawValue = equals < 0 ? "" : part.slice(equals + 1);
    const name = percentDecode(rawName);
    const value = percentDecode(rawValue);
    if (name === undefined) {
      errors.push({ field: "", message: `a parameter name (${JSON.stringify(rawName.slice(0, 40))}) is not valid UTF-8 after percent-decoding` });
    } else if (value === undefined) {
      errors.push({ field: name, message: "is not valid UTF-8 after percent-decoding" });
    } else query.append(name, value);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, query };
}

/** Percent-decodes to bytes, then UTF-8. `text` comes from a WHATWG URL's `search`, so it is ASCII. */
function percentDecode(text: string): string | undefined {
  const bytes: number[] = [];
  const plain = text.replace(/\+/g, " ");
  for (let index = 0; index < plain.length; index++) {
    const char = plain[index]!;
    if (char === "%" && /^[0-9a-fA-F]{2}$/.test(plain.slice(index + 1, index + 3))) {
      bytes.push(parseInt(plain.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(char, "utf8"));
    }
  }
  return decodeUtf8(Uint8Array.from(bytes));
}
