/**
 * Live tables and views of one database → manifest-shaped specs, normalised with the same
 * `normalizeTable` the diff uses, so a table created from a spec introspects equal to that spec.
 *
 * Reads system.tables / system.columns / system.data_skipping_indices and fills what they do not
 * hold (column TTL, table TTL, settings) from the CREATE text. Old servers (18.x) lack some
 * columns (codecs, positions, as_select, skipping indices); those parts are read when present.
 */
import type { ColumnSpec, IndexSpec, Manifest, MaterializedViewSpec, TableSpec, ViewSpec } from "../../manifest/types.js";
import { normalizeTable, splitTopLevel } from "../../diff/normalize.js";
import type { QueryParams } from "./driver.js";
import { quoteIdentifier, quoteString } from "./quote.js";

type Query = <T>(sql: string, params?: QueryParams) => Promise<T[]>;

export type LiveSchema = Pick<Manifest, "tables" | "views" | "materializedViews">;

interface TableRow {
  name: string;
  engine: string;
  engine_full: string;
  create_table_query: string;
  partition_key: string;
  sorting_key: string;
  primary_key: string;
  sampling_key: string;
  as_select?: string;
  dependencies_table: string[];
}

interface ColumnRow {
  table: string;
  name: string;
  type: string;
  default_kind: string;
  default_expression: string;
  comment: string;
  compression_codec?: string;
}

interface IndexRow {
  table: string;
  name: string;
  type: string;
  type_full?: string;
  expr: string;
  granularity: string | number;
}

/** Tables moose keeps for itself (journal, state, lock) and engine-internal ones. */
function isInternal(name: string): boolean {
  return name.startsWith("_moose_") || name.startsWith(".inner");
}

/** Index of `keyword` (surrounded by spaces) in `text` outside quotes and brackets, from `start`. */
function findTopLevel(text: string, keyword: string, start = 0): number {
  let depth = 0;
  const needle = ` ${keyword} `;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === "`" || ch === '"') {
      i = quotedEnd(text, i) - 1;
    } else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (depth === 0 && text.startsWith(needle, i)) return i;
  }
  return -1;
}

function quotedEnd(text: string, start: number): number {
  const quote = text[start]!;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** The text of a clause in `engine_full`-style text: from `keyword` to the next clause keyword. */
function clause(text: string, keyword: string, following: string[]): string | undefined {
  const at = findTopLevel(` ${text} `, keyword);
  if (at < 0) return undefined;
  const from = at + keyword.length + 2;
  const padded = ` ${text} `;
  let end = padded.length;
  for (const next of following) {
    const found = findTopLevel(padded, next, from - 1);
    if (found >= 0 && found < end) end = found;
  }
  return padded.slice(from, end).trim();
}

const TABLE_CLAUSES = ["PARTITION BY", "PRIMARY KEY", "ORDER BY", "SAMPLE BY", "TTL", "SETTINGS", "COMMENT"];

/** `toIntervalYear(1)` (how ClickHouse prints intervals) → `INTERVAL 1 YEAR` (how people write them). */
export function readableIntervals(expression: string): string {
  return expression.replace(/\btoInterval(Nanosecond|Microsecond|Millisecond|Second|Minute|Hour|Day|Week|Month|Quarter|Year)\((\d+)\)/g, (_, unit: string, count: string) => `INTERVAL ${count} ${unit.toUpperCase()}`);
}

/** 18.x prints a default of a Nullable column as `CAST(expr, 'Nullable(T)')`. */
function unwrapTypeCast(expression: string, type: string): string {
  const match = /^CAST\(([\s\S]*), '((?:[^'\\]|\\.)*)'\)$/.exec(expression.trim());
  if (match && match[2]!.replace(/\\'/g, "'") === type) return match[1]!.trim();
  return expression;
}

function parseEngine(engineFull: string, engine: string): { name: string; params: string[] } {
  const text = engineFull.trim();
  if (!text.startsWith(`${engine}(`)) return { name: engine, params: [] };
  let depth = 0;
  for (let i = engine.length; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === "`") i = quotedEnd(text, i) - 1;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) {
      const inner = text.slice(engine.length + 1, i).trim();
      return { name: engine, params: inner === "" ? [] : splitTopLevel(inner) };
    }
  }
  return { name: engine, params: [] };
}

function parseSettings(engineFull: string): Record<string, string> {
  const text = clause(engineFull, "SETTINGS", ["COMMENT"]);
  const settings: Record<string, string> = {};
  if (!text) return settings;
  for (const item of splitTopLevel(text)) {
    const eq = item.indexOf("=");
    if (eq > 0) settings[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return settings;
}

/** Column name → its TTL expression, from the column list of a CREATE TABLE statement. */
function columnTtls(createQuery: string): Map<string, string> {
  const ttls = new Map<string, string>();
  const open = createQuery.indexOf("(");
  if (open < 0) return ttls;
  let depth = 0;
  let close = -1;
  for (let i = open; i < createQuery.length && close < 0; i++) {
    const ch = createQuery[i]!;
    if (ch === "'" || ch === "`") i = quotedEnd(createQuery, i) - 1;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) close = i;
  }
  if (close < 0) return ttls;
  for (const definition of splitTopLevel(createQuery.slice(open + 1, close))) {
    const name = /^`((?:[^`\\]|\\.)*)`|^([A-Za-z_][A-Za-z0-9_]*)/.exec(definition);
    if (!name || /^(INDEX|PROJECTION|CONSTRAINT)\s/i.test(definition)) continue;
    const ttl = clause(definition, "TTL", ["SETTINGS", "COMMENT", "CODEC"]);
    if (ttl) ttls.set(name[1] !== undefined ? name[1].replace(/\\(.)/g, "$1") : name[2]!, ttl);
  }
  return ttls;
}

/** `db.table` / `` `db`.`table` `` → `table` for the connection's own database. */
function withoutDatabase(sql: string, database: string): string {
  const escaped = database.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`(?:\`${escaped.replace(/`/g, "\\\\`")}\`|(?<![\\w.\`])${escaped})\\.(?=[\`A-Za-z_])`, "g");
  let out = "";
  let last = 0;
  // Leave string literals alone.
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === "'") {
      const end = quotedEnd(sql, i);
      out += sql.slice(last, i).replace(pattern, "") + sql.slice(i, end);
      last = end;
      i = end - 1;
    }
  }
  return out + sql.slice(last).replace(pattern, "");
}

/** The SELECT of a view, from `as_select` or (old servers) from the CREATE text after `AS`. */
function viewSelect(row: TableRow, database: string): string {
  let select = row.as_select ?? "";
  if (!select) {
    const query = row.create_table_query;
    const at = findTopLevel(query, "AS");
    select = at >= 0 ? query.slice(at + 4).trim() : "";
  }
  return withoutDatabase(select, database).trim();
}

/** Tables and views of this database that the SELECT names after FROM / JOIN. */
function referencedTables(select: string, names: Set<string>): string[] {
  const found = new Set<string>();
  for (const match of select.matchAll(/\b(?:FROM|JOIN)\s+(`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*)/gi)) {
    const name = match[1]!.startsWith("`") ? match[1]!.slice(1, -1).replace(/\\(.)/g, "$1") : match[1]!;
    if (names.has(name)) found.add(name);
  }
  return [...found].sort();
}

function materializedViewTarget(row: TableRow & { target_table?: string }, database: string): string {
  if (row.target_table) return row.target_table;
  const match = / TO (`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_.]*)(?:\.(`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*))?/.exec(row.create_table_query);
  if (!match) return "";
  const unquote = (text: string) => (text.startsWith("`") ? text.slice(1, -1).replace(/\\(.)/g, "$1") : text);
  if (match[2]) return unquote(match[2]);
  const name = unquote(match[1]!);
  return name.startsWith(`${database}.`) ? name.slice(database.length + 1) : name;
}

/** Which of `tables` exist, each with its column names. */
export type TableColumns = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * One read of system.columns for several tables (of `database`, the session's current one when
 * omitted): whether each exists and which columns it has, which servers of different versions differ in.
 */
export async function columnsOfTables(query: Query, tables: readonly string[], database?: string): Promise<TableColumns> {
  const rows = await query<{ table: string; name: string }>(
    `SELECT table, name FROM system.columns WHERE database = ${database === undefined ? "currentDatabase()" : quoteString(database)} AND table IN (${tables.map(quoteString).join(", ")})`,
  );
  const columns = new Map<string, Set<string>>();
  for (const row of rows) {
    let names = columns.get(row.table);
    if (!names) columns.set(row.table, (names = new Set()));
    names.add(row.name);
  }
  return columns;
}

function buildColumn(row: ColumnRow, ttl: string | undefined): ColumnSpec {
  const column: ColumnSpec = { name: row.name, type: row.type, nullable: false };
  const expression = row.default_expression ? readableIntervals(unwrapTypeCast(row.default_expression, row.type)) : "";
  if (row.default_kind === "DEFAULT") column.default = expression;
  else if (row.default_kind === "MATERIALIZED") column.materialized = expression;
  else if (row.default_kind === "ALIAS") column.alias = expression;
  if (row.comment) column.comment = row.comment;
  if (row.compression_codec) column.codec = row.compression_codec;
  if (ttl) column.ttl = readableIntervals(ttl);
  return column;
}

/**
 * ClickHouse keeps a `Nested(a T, b U)` column as one array per field (`x.a Array(T)`, `x.b
 * Array(U)`, with flatten_nested, its default): they are read back as the one column the manifest
 * has. Only plain columns are regrouped (a default, codec, comment or TTL keeps its field apart).
 */
function nestedColumns(columns: ColumnSpec[]): ColumnSpec[] {
  const fieldOf = (column: ColumnSpec) => {
    const match = /^([^.]+)\.([^.]+)$/.exec(column.name);
    const element = /^Array\((.*)\)$/s.exec(column.type);
    const plain = Object.keys(column).every((key) => key === "name" || key === "type" || key === "nullable");
    return match && element && plain ? { parent: match[1]!, name: match[2]!, type: element[1]! } : undefined;
  };
  const result: ColumnSpec[] = [];
  for (let index = 0; index < columns.length; ) {
    const first = fieldOf(columns[index]!);
    let end = index + 1;
    while (first && end < columns.length && fieldOf(columns[end]!)?.parent === first.parent) end++;
    if (!first || columns.some((column) => column.name === first.parent)) {
      result.push(columns[index]!);
      index++;
      continue;
    }
    const fields = columns.slice(index, end).map((column) => fieldOf(column)!);
    result.push({ name: first.parent, type: `Nested(${fields.map((field) => `${quoteIdentifierIfNeeded(field.name)} ${field.type}`).join(", ")})`, nullable: false });
    index = end;
  }
  return result;
}

function quoteIdentifierIfNeeded(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdentifier(name);
}

function buildTable(row: TableRow, columns: ColumnRow[], indexes: IndexRow[]): TableSpec {
  const ttls = columnTtls(row.create_table_query);
  const split = (key: string) => (key.trim() === "" ? [] : splitTopLevel(key));
  const spec: TableSpec = {
    name: row.name,
    columns: nestedColumns(columns.map((column) => buildColumn(column, ttls.get(column.name)))),
    orderBy: split(row.sorting_key),
    engine: parseEngine(row.engine_full, row.engine),
    settings: parseSettings(row.engine_full),
    indexes: indexes.map(
      (index): IndexSpec => ({
        name: index.name,
        expression: index.expr,
        type: index.type_full || index.type,
        granularity: Number(index.granularity),
      }),
    ),
    lifeCycle: "FULLY_MANAGED",
  };
  if (row.primary_key.trim() !== "" && row.primary_key !== row.sorting_key) spec.primaryKey = split(row.primary_key);
  if (row.partition_key.trim() !== "") spec.partitionBy = row.partition_key;
  if (row.sampling_key.trim() !== "") spec.sampleBy = row.sampling_key;
  const ttl = clause(row.engine_full, "TTL", TABLE_CLAUSES.filter((keyword) => keyword !== "TTL"));
  if (ttl) spec.ttl = readableIntervals(ttl);
  return normalizeTable(spec);
}

/** The live schema of `database`, in manifest shape (moose's `_moose_*` tables left out). */
export async function introspectDatabase(query: Query, database: string): Promise<LiveSchema> {
  const system = await columnsOfTables(query, ["tables", "columns", "data_skipping_indices"], "system");
  const tableColumns = system.get("tables") ?? new Set();
  const columnColumns = system.get("columns") ?? new Set();
  const indexColumns = system.get("data_skipping_indices");
  const db = quoteString(database);
  const optional = (name: string, fallback: string) => (tableColumns.has(name) ? name : `${fallback} AS ${name}`);

  const tables = await query<TableRow & { target_table?: string }>(
    `SELECT name, engine, engine_full, create_table_query, partition_key, sorting_key, primary_key, sampling_key, dependencies_table,
       ${optional("as_select", "''")}, ${optional("target_table", "''")}
     FROM system.tables WHERE database = ${db} AND is_temporary = 0 ORDER BY name`,
  );
  const columns = await query<ColumnRow>(
    `SELECT table, name, type, default_kind, default_expression, comment,
       ${columnColumns.has("compression_codec") ? "compression_codec" : "'' AS compression_codec"}
     FROM system.columns WHERE database = ${db}${columnColumns.has("position") ? " ORDER BY table, position" : ""}`,
  );
  const indexes = indexColumns
    ? await query<IndexRow>(
        // Early versions of the table have no type_full.
        `SELECT table, name, type, ${indexColumns.has("type_full") ? "type_full" : "'' AS type_full"}, expr, granularity FROM system.data_skipping_indices WHERE database = ${db} ORDER BY table, name`,
      )
    : [];

  const names = new Set(tables.map((row) => row.name));
  const byTable = <R extends { table: string }>(rows: R[], table: string) => rows.filter((row) => row.table === table);
  const schema: LiveSchema = { tables: {}, views: {}, materializedViews: {} };
  for (const row of tables) {
    if (isInternal(row.name)) continue;
    if (row.engine === "View") {
      const sql = viewSelect(row, database);
      const view: ViewSpec = { name: row.name, sql, sourceTables: referencedTables(sql, names), lifeCycle: "FULLY_MANAGED" };
      schema.views[row.name] = view;
    } else if (row.engine === "MaterializedView") {
      const sources = tables.filter((source) => source.dependencies_table.includes(row.name)).map((source) => source.name);
      const sql = viewSelect(row, database);
      const view: MaterializedViewSpec = {
        name: row.name,
        sql,
        sourceTables: sources.length > 0 ? sources.sort() : referencedTables(sql, names),
        targetTable: materializedViewTarget(row, database),
        lifeCycle: "FULLY_MANAGED",
      };
      schema.materializedViews[row.name] = view;
    } else if (row.engine !== "Dictionary" && row.engine !== "LiveView" && row.engine !== "WindowView") {
      schema.tables[row.name] = buildTable(row, byTable(columns, row.name), byTable(indexes, row.name));
    }
  }
  return schema;
}
