/**
 * Names a manifest may use, checked at build time so that a model ClickHouse or Kafka would refuse
 * never reaches a migration (which would then fail half-applied):
 *
 * - names are non-empty and hold no control characters or line separators (U+0085, U+2028, U+2029,
 *   which ClickHouse's parser reads as line breaks inside a quoted name);
 * - no field moose-ts writes is named `__proto__`: a JavaScript object cannot hold it as data, so
 *   the ingest API and inserts would drop its values (an EXTERNALLY_MANAGED table may have one: a
 *   model pulled from a database that has such a column still builds);
 * - an API or ingest API answers at a path a request can name: not empty, no `?` or `#`, no empty,
 *   `.` or `..` segment;
 * - table, view and column names fit ClickHouse's storage: it names files after them, escaping
 *   every byte other than [A-Za-z0-9_] as `%XX`, and file names stop at 255 bytes, with room
 *   kept for the suffixes ClickHouse and moose-ts's rebuild add;
 * - nothing takes a name from moose-ts's own namespace (`_moose…` tables, `…__moose_…` copies);
 * - a table has at least one column, setting names are plain names; a topic name is one Kafka accepts;
 * - a process reads a stream of the manifest and writes a table (sync) or stream (transform) of it,
 *   and its dead-letter queue is a stream of it.
 */
import type { SourceLocation } from "../errors.js";
import { REBUILD_SUFFIX, RESERVED_PREFIX } from "../steps/index.js";
import { parseSchedule } from "../workflows/schedule.js";
import { MULTI_DESTINATION, type Manifest } from "./types.js";

export interface RuleProblem {
  /** `table Users`, `column Users.name`, … */
  subject: string;
  message: string;
  location?: SourceLocation;
}

/** Longest escaped object name ClickHouse stores reliably (measured: renames fail a little past 200 bytes). */
const MAX_OBJECT_NAME_BYTES = 200;
const MAX_TABLE_NAME_BYTES = MAX_OBJECT_NAME_BYTES - REBUILD_SUFFIX.length;
const MAX_COLUMN_NAME_BYTES = 200;
/** Kafka's own limit and alphabet for topic names. */
const MAX_TOPIC_NAME_LENGTH = 249;
const TOPIC_NAME = /^[A-Za-z0-9._-]+$/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
/** Infix of moose-ts's temporary tables and columns (`__moose_new`, `__moose_old`, `__moose_converted`). */
const RESERVED_INFIX = "__moose_";

/** Length of a name once ClickHouse escapes it for the file system. */
export function escapedNameBytes(name: string): number {
  let bytes = 0;
  for (const byte of Buffer.from(name, "utf8")) bytes += /[A-Za-z0-9_]/.test(String.fromCharCode(byte)) ? 1 : 3;
  return bytes;
}

function nameProblem(name: string, maxBytes: number, reservedPrefix: boolean): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (CONTROL.test(name)) return "the name holds a control character or line separator (a line break, tab, U+2028, …)";
  if (reservedPrefix && name.toLowerCase().startsWith(RESERVED_PREFIX)) return `names starting with "${RESERVED_PREFIX}" are reserved for moose-ts's own tables`;
  if (name.toLowerCase().includes(RESERVED_INFIX)) return `names containing "${RESERVED_INFIX}" are reserved for moose-ts's temporary copies`;
  const bytes = escapedNameBytes(name);
  if (bytes > maxBytes) {
    return `the name is ${bytes} bytes once ClickHouse escapes it for its file names (every character other than A-Z, a-z, 0-9 and _ takes 3 bytes per UTF-8 byte); at most ${maxBytes} fit`;
  }
  return undefined;
}

function columnNameProblem(name: string): string | undefined {
  if (name === "__proto__") return "a field cannot be named __proto__: JavaScript objects do not hold it as data, so the ingest API and inserts would lose its values; rename the field";
  return nameProblem(name, MAX_COLUMN_NAME_BYTES, false);
}

/** Where an API answers (`name`, `name/version` or its `path` option): a path a request can name. */
function pathProblem(path: string): string | undefined {
  // A slash at either end is the server's to take (MooseStack's `path` options carry them).
  const inner = path.replace(/^\/|\/$/g, "");
  if (inner.length === 0) return "the name is empty: the API would answer at no path";
  if (CONTROL.test(path)) return "the path holds a control character or line separator";
  if (/[?#]/.test(path)) return `a request cannot name a path holding "?" or "#" (they start the query and the fragment)`;
  if (inner.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    return `its path has an empty, "." or ".." segment, which clients and proxies remove or resolve before the request arrives`;
  }
  return undefined;
}

export function checkManifestRules(manifest: Manifest): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (subject: string, message: string | undefined, location: SourceLocation | undefined) => {
    if (message !== undefined) problems.push({ subject, message, ...(location ? { location } : {}) });
  };
  for (const table of Object.values(manifest.tables)) {
    add(`table ${JSON.stringify(table.name)}`, nameProblem(table.name, MAX_TABLE_NAME_BYTES, true), table.source);
    if (table.columns.length === 0) add(`table ${table.name}`, "a table needs at least one column (the model has no fields)", table.source);
    for (const column of table.columns) {
      const problem = column.name === "__proto__" && table.lifeCycle === "EXTERNALLY_MANAGED" ? undefined : columnNameProblem(column.name);
      add(`column ${table.name}.${JSON.stringify(column.name)}`, problem, table.source);
    }
    for (const setting of Object.keys(table.settings)) {
      if (!SETTING_NAME.test(setting)) add(`setting ${table.name}.${JSON.stringify(setting)}`, "it is not a ClickHouse setting name (letters, digits and underscores)", table.source);
    }
    for (const index of table.indexes) add(`index ${table.name}.${JSON.stringify(index.name)}`, nameProblem(index.name, MAX_COLUMN_NAME_BYTES, false), table.source);
  }
  for (const view of [...Object.values(manifest.views), ...Object.values(manifest.materializedViews)]) {
    add(`view ${JSON.stringify(view.name)}`, nameProblem(view.name, MAX_OBJECT_NAME_BYTES, true), view.source);
  }
  for (const stream of Object.values(manifest.streams)) {
    const subject = `stream ${JSON.stringify(stream.name)}`;
    if (!TOPIC_NAME.test(stream.name) || stream.name.length > MAX_TOPIC_NAME_LENGTH || stream.name === "." || stream.name === "..") {
      add(subject, `Kafka topic names are 1 to ${MAX_TOPIC_NAME_LENGTH} characters of A-Z, a-z, 0-9, ".", "_" and "-"`, stream.source);
    } else if (stream.name.toLowerCase().startsWith(RESERVED_PREFIX)) {
      add(subject, `names starting with "${RESERVED_PREFIX}" are reserved for moose-ts`, stream.source);
    }
  }
  for (const [id, process] of Object.entries(manifest.processes)) {
    const subject = `process ${JSON.stringify(id)}`;
    const missing = (what: string, name: string) => `it ${what} ${JSON.stringify(name)}, which is not in the app (export it, or remove the process)`;
    if (!(process.source in manifest.streams)) add(subject, missing("reads stream", process.source), process.location);
    if (process.kind === "sync" && process.destination !== undefined && !(process.destination in manifest.tables)) {
      add(subject, missing("writes table", process.destination), process.location);
    }
    if (process.kind === "transform" && process.destination !== undefined && process.destination !== MULTI_DESTINATION && !(process.destination in manifest.streams)) {
      add(subject, missing("writes stream", process.destination), process.location);
    }
    if (process.deadLetterQueue !== undefined && !(process.deadLetterQueue in manifest.streams)) {
      add(subject, missing("sends failed records to dead-letter stream", process.deadLetterQueue), process.location);
    }
  }
  for (const api of Object.values(manifest.apis)) add(`API ${JSON.stringify(api.path)}`, pathProblem(api.path), api.source);
  for (const api of Object.values(manifest.ingestApis)) {
    add(`ingest API ${JSON.stringify(api.path)}`, pathProblem(api.path), api.source);
    for (const column of api.columns) if (column.name === "__proto__") add(`ingest API ${JSON.stringify(api.path)}`, columnNameProblem(column.name), api.source);
  }
  for (const workflow of Object.values(manifest.workflows)) {
    if (workflow.schedule === undefined) continue;
    const parsed = parseSchedule(workflow.schedule);
    if ("error" in parsed) add(`workflow ${workflow.name}`, `schedule ${parsed.error}`, workflow.source);
  }
  return problems;
}
