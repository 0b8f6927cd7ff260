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

/**
 * How deep arrays and objects may nest in a request body or a record. Every walk over a value
 * (these checks, the column checks, conversion, serialisation) recurses, and a value a few thousand
 * levels deep (a few kilobytes of `[[[…`) would exhaust the stack: deeper values are refused here,
 * before any of them runs.
 */
export const MAX_NESTING = 100;

/**
 * At most this many field errors are named for one request or record. The checks stop after one
 * more, so that a caller can tell "the first 100" from exactly 100.
 */
export const MAX_FIELD_ERRORS = 100;

/** Field names in errors keep at most this many characters of each key (a key can be megabytes long). */
const MAX_KEY_CHARACTERS = 64;

/** `key` as a field name shows it: cut to MAX_KEY_CHARACTERS. */
export function shownKey(key: string): string {
  return key.length > MAX_KEY_CHARACTERS ? `${key.slice(0, MAX_KEY_CHARACTERS)}…` : key;
}

const WELL_FORMED = 0;
const MALFORMED = 1;
const TOO_DEEP = 2;

/** Whether every string and key inside a parsed JSON value is well-formed and it nests at most MAX_NESTING deep (no allocation: the common case). */
function scan(value: unknown, depth: number): typeof WELL_FORMED | typeof MALFORMED | typeof TOO_DEEP {
  if (typeof value === "string") return isWellFormed(value) ? WELL_FORMED : MALFORMED;
  if (typeof value !== "object" || value === null) return WELL_FORMED;
  if (depth === MAX_NESTING) return TOO_DEEP;
  let found: typeof WELL_FORMED | typeof MALFORMED | typeof TOO_DEEP = WELL_FORMED;
  if (Array.isArray(value)) {
    for (const element of value) {
      const inner = scan(element, depth + 1);
      if (inner === TOO_DEEP) return TOO_DEEP;
      if (inner === MALFORMED) found = MALFORMED;
    }
    return found;
  }
  for (const key in value) {
    if (!isWellFormed(key)) found = MALFORMED;
    const inner = scan((value as Record<string, unknown>)[key], depth + 1);
    if (inner === TOO_DEEP) return TOO_DEEP;
    if (inner === MALFORMED) found = MALFORMED;
  }
  return found;
}

/** Whether arrays and objects nest more than MAX_NESTING deep in a parsed JSON value (checked without recursing deeper). */
export function nestedTooDeep(value: unknown): boolean {
  return scan(value, 0) === TOO_DEEP;
}

/**
 * What makes a parsed JSON value unfit before any check of its fields: arrays and objects nested
 * more than MAX_NESTING deep (one error; with `recordsInArray`, below the array holding the
 * records), or strings and object keys that are not well-formed Unicode, named like the ingest field errors (`[1].page`, `tags[0]`; a key is named by its
 * position, `page.<key>`), at most MAX_FIELD_ERRORS + 1 of them (see MAX_FIELD_ERRORS).
 */
export function malformedStrings(value: unknown, options: { recordsInArray?: boolean } = {}): FieldError[] {
  // The array of an ingest body holding its records does not count: a record nests as deep in one as alone.
  const found = scan(value, options.recordsInArray ? -1 : 0);
  if (found === WELL_FORMED) return [];
  if (found === TOO_DEEP) return [{ field: "", message: `nests arrays and objects more than ${MAX_NESTING} levels deep` }];
  const errors: FieldError[] = [];
  namedMalformedStrings(value, "", errors);
  return errors;
}

function namedMalformedStrings(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value === "string") {
    if (!isWellFormed(value)) errors.push({ field: path, message: "contains a lone surrogate (\\ud800-\\udfff): not valid Unicode" });
    return;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length && errors.length <= MAX_FIELD_ERRORS; index++) namedMalformedStrings(value[index], `${path}[${index}]`, errors);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, element] of Object.entries(value)) {
    if (errors.length > MAX_FIELD_ERRORS) return;
    if (!isWellFormed(key)) {
      errors.push({ field: path ? `${path}.<key>` : "<key>", message: "has a field name with a lone surrogate (\\ud800-\\udfff): not valid Unicode" });
      continue;
    }
    namedMalformedStrings(element, path ? `${path}.${shownKey(key)}` : shownKey(key), errors);
  }
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
