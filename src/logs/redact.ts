/**
 * Secrets never reach the log: values under secret-looking keys are replaced, and strings are
 * scrubbed of anything shaped like our bearer tokens, `Bearer …` credentials, URL passwords and
 * `password=…`-style assignments. Applied to every event before it is written.
 */

export const REDACTED = "[redacted]";

const SECRET_KEY = /(token|password|passwd|pwd|secret|api[_-]?key|authorization|cookie|credential|private[_-]?key)/i;

const STRING_SCRUBBERS: Array<[RegExp, string]> = [
  // our bearer token format: hex(16 bytes) "." hex(16 bytes) — also catches other hex.hex secrets
  [/\b[0-9a-f]{16,}\.[0-9a-f]{16,}\b/gi, REDACTED],
  // `Bearer xyz`, `Basic xyz`: credentials carry digits or symbols; prose ("Bearer token missing") is kept
  [/\b(Bearer|Basic)\s+(?=[^\s"',;]*[0-9+/=._~-])[^\s"',;]{6,}/gi, `$1 ${REDACTED}`],
  // a whole `Authorization: <scheme> <credentials>` header line, whatever the scheme
  [/\b(authorization\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s"',;]+(?:[ \t]+[^\s"',;]+)?)/gi, `$1${REDACTED}`],
  // scheme://user:password@host, the password up to the authority's last `@` as a URL parser reads
  // it (a raw `/` or `@` in it too), unless what follows the colon is a port and a path. Scheme and
  // password are bounded: unbounded, `a.a.a.…` and a line of `a://b:` without an `@` took quadratic time.
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@?#]*:)(?!\d+\/)[^\s?#]{0,512}@/gi, `$1${REDACTED}@`],
  // … and a password holding a raw `?` or `#` (hand-written connection strings), up to its first `@`.
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@?#]*:)[^\s@/]*@/gi, `$1${REDACTED}@`],
  // password=…, token: …, api_key=… in free text and query strings
  [/\b((?:[a-z_]*_)?(?:token|password|passwd|secret|api[_-]?key)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;]+)/gi, `$1${REDACTED}`],
];

/**
 * Logged strings are cut to this length before they are scrubbed: a log line is not the place for a
 * megabyte of a request, and scrubbing it would hold the server's thread.
 */
const MAX_LOGGED_CHARACTERS = 16 * 1024;

/**
 * Scrubbed beyond the cut, and never kept: a secret across the cut is recognised whole, and one
 * across the end of what was scrubbed (seen in part, so not recognised) is dropped, however much
 * scrubbing before it shortened the text.
 */
const SCRUB_MARGIN = 1024;

export function redactString(text: string): string {
  const long = text.length > MAX_LOGGED_CHARACTERS;
  let result = long ? text.slice(0, MAX_LOGGED_CHARACTERS + SCRUB_MARGIN) : text;
  for (const [pattern, replacement] of STRING_SCRUBBERS) result = result.replace(pattern, replacement);
  return long ? `${result.slice(0, Math.min(MAX_LOGGED_CHARACTERS, result.length - SCRUB_MARGIN))}… [cut: ${text.length} characters in all]` : result;
}

/** A deep copy of `value` with secrets removed. Cycles and depth are bounded so a bad event cannot hang the logger. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? value.toString() : value;
  if (depth > 12) return "[too deep]";
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), ...(redact({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] = SECRET_KEY.test(key) && item !== undefined && item !== "" && item !== null ? REDACTED : redact(item, depth + 1);
  }
  return result;
}
