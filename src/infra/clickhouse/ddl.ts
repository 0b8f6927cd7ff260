/**
 * Pure ClickHouse SQL builders, one per operation. Every identifier goes through `quoteIdentifier`
 * (a name holding a backtick, quote or backslash cannot end the identifier early), every string
 * literal through `quoteString`; statements are idempotent (`IF [NOT] EXISTS`) so a resumed
 * migration can run one again; no database name is written (the connection's database applies).
 * An object on a cluster gets `ON CLUSTER <name>` (the name is a plain identifier, checked where it
 * is declared): every host of the cluster runs the statement (distributed DDL).
 *
 * Types, default/TTL/codec expressions, ORDER BY expressions and view SELECTs are SQL text by
 * design (they come from model code) and are written as given.
 */
import { createHash } from "node:crypto";
import { MooseError } from "../../errors.js";
import { quoteIdentifier, quoteString } from "./quote.js";
import { engineText, isInsertable, type ColumnSpec, type IndexSpec, type MaterializedViewSpec, type TableSpec, type ViewSpec } from "../../manifest/types.js";
import { fullColumnType } from "../../diff/normalize.js";
import type { ColumnPosition } from "../../diff/operations.js";
import { rebuildCopyName, type RebuildPhase, type RemovableProperty } from "../../steps/index.js";

export { fullColumnType };

/** `name Type [DEFAULT|MATERIALIZED|ALIAS expr] [COMMENT '…'] [CODEC(…)] [TTL expr]`, in ClickHouse's order. */
export function columnDefinition(column: ColumnSpec): string {
  const parts = [quoteIdentifier(column.name), fullColumnType(column)];
  if (column.default !== undefined) parts.push(`DEFAULT ${column.default}`);
  else if (column.materialized !== undefined) parts.push(`MATERIALIZED ${column.materialized}`);
  else if (column.alias !== undefined) parts.push(`ALIAS ${column.alias}`);
  if (column.comment !== undefined) parts.push(`COMMENT ${quoteString(column.comment)}`);
  if (column.codec !== undefined) parts.push(`CODEC(${column.codec})`);
  if (column.ttl !== undefined) parts.push(`TTL ${column.ttl}`);
  return parts.join(" ");
}

/** An ORDER BY / PRIMARY KEY item: a column name is quoted, anything else is an expression. */
function keyItem(item: string, columns: ColumnSpec[]): string {
  return columns.some((column) => column.name === item) ? quoteIdentifier(item) : item;
}

function keyList(items: string[], columns: ColumnSpec[]): string {
  return items.length === 0 ? "tuple()" : `(${items.map((item) => keyItem(item, columns)).join(", ")})`;
}

function checkSettingName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new MooseError("INVALID_SETTING_NAME", `table setting name ${JSON.stringify(name)} is not a ClickHouse setting name`, {
      hint: "setting names are letters, digits and underscores (e.g. index_granularity)",
    });
  }
  return name;
}

function indexDefinition(index: IndexSpec): string {
  return `INDEX ${quoteIdentifier(index.name)} ${index.expression} TYPE ${index.type} GRANULARITY ${index.granularity}`;
}

/** ` ON CLUSTER name` for an object on a cluster, nothing otherwise. */
function onCluster(cluster: string | undefined): string {
  return cluster === undefined ? "" : ` ON CLUSTER ${quoteIdentifier(cluster)}`;
}

function isMergeTree(table: TableSpec): boolean {
  return table.engine.name.endsWith("MergeTree");
}

/**
 * A rebuild's copy of a Replicated table gets a Keeper path of its own, fixed in the statement: with the
 * table's own path (`…/{table}` expands to the copy's name) the copy the swap brings in keeps
 * `…/<table>__moose_new`, and the next rebuild's copy would be created on that same path. The suffix is
 * a hash of the rebuild (from → to), which always differs from the previous rebuild's.
 */
function copyTable(from: TableSpec, to: TableSpec): TableSpec {
  const [path, ...rest] = to.engine.params;
  if (!to.engine.name.startsWith("Replicated") || path === undefined || !/^'(?:[^'\\]|\\.)*'$/.test(path)) return to;
  const suffix = createHash("sha256").update(JSON.stringify([from, to])).digest("hex").slice(0, 8);
  const inside = path.slice(1, -1).replaceAll("{table}", quoteString(to.name).slice(1, -1));
  return { ...to, engine: { ...to.engine, params: [`'${inside}${rebuildCopyName("")}_${suffix}'`, ...rest] } };
}

/** `CREATE TABLE IF NOT EXISTS`; `name` overrides the table's own (used for a rebuild's new table). */
export function createTableSql(table: TableSpec, name: string = table.name): string {
  const body = [...table.columns.map(columnDefinition), ...table.indexes.map(indexDefinition)];
  const lines = [`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(name)}${onCluster(table.cluster)}`, "(", body.map((line) => `    ${line}`).join(",\n"), ")"];
  lines.push(`ENGINE = ${engineText(table.engine)}`);
  if (isMergeTree(table)) {
    if (table.partitionBy !== undefined) lines.push(`PARTITION BY ${table.partitionBy}`);
    if (table.primaryKey !== undefined) lines.push(`PRIMARY KEY ${keyList(table.primaryKey, table.columns)}`);
    lines.push(`ORDER BY ${keyList(table.orderBy, table.columns)}`);
    if (table.sampleBy !== undefined) lines.push(`SAMPLE BY ${table.sampleBy}`);
    if (table.ttl !== undefined) lines.push(`TTL ${table.ttl}`);
  }
  const settings = Object.keys(table.settings).sort();
  if (settings.length > 0) lines.push(`SETTINGS ${settings.map((key) => `${checkSettingName(key)} = ${table.settings[key]}`).join(", ")}`);
  return lines.join("\n");
}

export function dropTableSql(name: string, cluster?: string): string {
  return `DROP TABLE IF EXISTS ${quoteIdentifier(name)}${onCluster(cluster)}`;
}

function alter(table: string, command: string, cluster: string | undefined): string {
  return `ALTER TABLE ${quoteIdentifier(table)}${onCluster(cluster)} ${command}`;
}

export function addColumnSql(table: string, column: ColumnSpec, position?: ColumnPosition, cluster?: string): string {
  const where = position === undefined ? "" : position.after === null ? " FIRST" : ` AFTER ${quoteIdentifier(position.after)}`;
  return alter(table, `ADD COLUMN IF NOT EXISTS ${columnDefinition(column)}${where}`, cluster);
}

export function dropColumnSql(table: string, column: string, cluster?: string): string {
  return alter(table, `DROP COLUMN IF EXISTS ${quoteIdentifier(column)}`, cluster);
}

export function renameColumnSql(table: string, from: string, to: string, cluster?: string): string {
  return alter(table, `RENAME COLUMN IF EXISTS ${quoteIdentifier(from)} TO ${quoteIdentifier(to)}`, cluster);
}

const REMOVABLE = [
  ["default", "DEFAULT"],
  ["materialized", "MATERIALIZED"],
  ["alias", "ALIAS"],
  ["codec", "CODEC"],
  ["ttl", "TTL"],
  ["comment", "COMMENT"],
] as const;

/**
 * Statements that turn column `from` into `to`. ClickHouse keeps a column's default, codec, TTL
 * and comment across a `MODIFY COLUMN` that does not mention them, so a property that goes away
 * gets its own `REMOVE`; everything else is one `MODIFY COLUMN` with the full new definition (or a
 * `COMMENT COLUMN` when only the comment changed). `convertsType` marks the statement that
 * converts stored values (the one to check existing rows against first).
 */
/**
 * `convertsType`: the statement converts stored values; `givesDefault`: it declares a DEFAULT, which
 * ClickHouse stores for NULLs; `materializes`: it stores the computed values of the rows that hold
 * none (materializeColumnSql), which comes first whenever the DEFAULT or MATERIALIZED expression
 * changes or goes: rows from before the column was added only read it, and would read the new one.
 */
export function modifyColumnSql(
  table: string,
  from: ColumnSpec,
  to: ColumnSpec,
  cluster?: string,
): Array<{ sql: string; convertsType: boolean; givesDefault: boolean; removes?: RemovableProperty; materializes?: ComputedProperty }> {
  const statements: Array<{ sql: string; convertsType: boolean; givesDefault: boolean; removes?: RemovableProperty; materializes?: ComputedProperty }> = [];
  const column = quoteIdentifier(to.name);
  for (const property of ["default", "materialized"] as const) {
    if (from[property] !== undefined && to[property] !== from[property]) {
      statements.push({ sql: materializeColumnSql(table, to.name, property, cluster), convertsType: false, givesDefault: false, materializes: property });
    }
  }
  for (const [property] of REMOVABLE) {
    if (from[property] !== undefined && to[property] === undefined) {
      statements.push({ sql: removeColumnPropertySql(table, to.name, property, cluster), convertsType: false, givesDefault: false, removes: property });
    }
  }
  const typeChanged = fullColumnType(from) !== fullColumnType(to);
  const valueChanged = (["default", "materialized", "alias", "codec", "ttl"] as const).some(
    (property) => to[property] !== undefined && from[property] !== to[property],
  );
  // ClickHouse turns NULLs into a DEFAULT when a column stops being Nullable, and insists on one:
  // lend it the type's default for the conversion, then take it away again.
  const needsTemporaryDefault =
    from.nullable && !to.nullable && to.default === undefined && to.materialized === undefined && to.alias === undefined;
  if (needsTemporaryDefault) {
    const lent = { ...to, default: `defaultValueOfTypeName(${quoteString(to.type)})` };
    statements.push({ sql: alter(table, `MODIFY COLUMN IF EXISTS ${columnDefinition(lent)}`, cluster), convertsType: true, givesDefault: true });
    statements.push({ sql: removeColumnPropertySql(table, to.name, "default", cluster), convertsType: false, givesDefault: false, removes: "default" });
  } else if (typeChanged || valueChanged) {
    statements.push({ sql: alter(table, `MODIFY COLUMN IF EXISTS ${columnDefinition(to)}`, cluster), convertsType: typeChanged, givesDefault: to.default !== undefined });
  } else if (to.comment !== undefined && from.comment !== to.comment) {
    statements.push({ sql: alter(table, `COMMENT COLUMN IF EXISTS ${column} ${quoteString(to.comment)}`, cluster), convertsType: false, givesDefault: false });
  }
  return statements;
}

type ComputedProperty = "default" | "materialized";

/**
 * Stores a column's computed values in the rows that hold none. A DEFAULT column's are written by
 * `UPDATE c = c` (a row without the column reads its default; any server has it); ClickHouse refuses
 * to UPDATE a MATERIALIZED column, which `MATERIALIZE COLUMN` recomputes (21.10 on). A mutation:
 * the runner waits for it.
 */
export function materializeColumnSql(table: string, column: string, property: ComputedProperty, cluster?: string): string {
  const name = quoteIdentifier(column);
  return alter(table, property === "default" ? `UPDATE ${name} = ${name} WHERE 1` : `MATERIALIZE COLUMN ${name}`, cluster);
}

/** `MODIFY COLUMN IF EXISTS c REMOVE <property>` (ClickHouse keeps a property a MODIFY COLUMN does not mention). */
export function removeColumnPropertySql(table: string, column: string, property: RemovableProperty, cluster?: string): string {
  const keyword = REMOVABLE.find(([name]) => name === property)![1];
  return alter(table, `MODIFY COLUMN IF EXISTS ${quoteIdentifier(column)} REMOVE ${keyword}`, cluster);
}

export function modifyTtlSql(table: string, ttl: string | undefined, cluster?: string): string {
  return alter(table, ttl === undefined ? "REMOVE TTL" : `MODIFY TTL ${ttl}`, cluster);
}

export function modifySettingsSql(table: string, settings: Record<string, string>, cluster?: string): string {
  const keys = Object.keys(settings).sort();
  return alter(table, `MODIFY SETTING ${keys.map((key) => `${checkSettingName(key)} = ${settings[key]}`).join(", ")}`, cluster);
}

export function resetSettingsSql(table: string, keys: string[], cluster?: string): string {
  return alter(table, `RESET SETTING ${[...keys].sort().map(checkSettingName).join(", ")}`, cluster);
}

export function addIndexSql(table: string, index: IndexSpec, cluster?: string): string {
  return alter(table, `ADD INDEX IF NOT EXISTS ${quoteIdentifier(index.name)} ${index.expression} TYPE ${index.type} GRANULARITY ${index.granularity}`, cluster);
}

export function dropIndexSql(table: string, index: string, cluster?: string): string {
  return alter(table, `DROP INDEX IF EXISTS ${quoteIdentifier(index)}`, cluster);
}

/** Columns a rebuild copies: in both tables, and stored (ALIAS/MATERIALIZED columns are computed). */
export function copiedColumns(from: TableSpec, to: TableSpec): ColumnSpec[] {
  const fromNames = new Set(from.columns.map((column) => column.name));
  return to.columns.filter((column) => fromNames.has(column.name) && isInsertable(column));
}

/**
 * Rebuild `from` as `to` keeping its rows: create the new table beside it, copy the rows (columns
 * matched by name, converted with accurateCast where the type changed, so a value that would not
 * convert exactly fails the copy and the table stays as it was; new columns get their defaults),
 * swap the two atomically with `EXCHANGE TABLES`, drop the old one (now under the temporary name).
 * The first statement clears a leftover from an interrupted earlier attempt.
 */
export function recreateTableSql(from: TableSpec, to: TableSpec): Array<{ phase: RebuildPhase; sql: string }> {
  const temporary = rebuildCopyName(to.name);
  const fromByName = new Map(from.columns.map((column) => [column.name, column]));
  const copied = copiedColumns(from, to);
  const statements: Array<{ phase: RebuildPhase; sql: string }> = [
    { phase: "clear", sql: dropTableSql(temporary, to.cluster) },
    { phase: "create", sql: createTableSql(copyTable(from, to), temporary) },
  ];
  if (copied.length > 0) {
    const targets = copied.map((column) => quoteIdentifier(column.name)).join(", ");
    const values = copied
      .map((column) => {
        const before = fromByName.get(column.name)!;
        const name = quoteIdentifier(column.name);
        // accurateCast fails the copy on a value that would not convert exactly (CAST wraps and truncates).
        return fullColumnType(before) === fullColumnType(column) ? name : `accurateCast(${name}, ${quoteString(fullColumnType(column))})`;
      })
      .join(", ");
    statements.push({ phase: "copy", sql: `INSERT INTO ${quoteIdentifier(temporary)} (${targets}) SELECT ${values} FROM ${quoteIdentifier(from.name)}` });
  }
  statements.push({ phase: "exchange", sql: `EXCHANGE TABLES ${quoteIdentifier(from.name)} AND ${quoteIdentifier(temporary)}${onCluster(to.cluster)}` });
  statements.push({ phase: "drop-old", sql: dropTableSql(temporary, to.cluster) });
  return statements;
}

export function createViewSql(view: ViewSpec): string {
  return `CREATE VIEW IF NOT EXISTS ${quoteIdentifier(view.name)}${onCluster(view.cluster)} AS\n${view.sql.trim()}`;
}

/** One idempotent statement: the view is never missing while it is replaced. */
export function replaceViewSql(view: ViewSpec): string {
  return `CREATE OR REPLACE VIEW ${quoteIdentifier(view.name)}${onCluster(view.cluster)} AS\n${view.sql.trim()}`;
}

export function dropViewSql(name: string, cluster?: string): string {
  return `DROP VIEW IF EXISTS ${quoteIdentifier(name)}${onCluster(cluster)}`;
}

export function createMaterializedViewSql(view: MaterializedViewSpec): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteIdentifier(view.name)}${onCluster(view.cluster)} TO ${quoteIdentifier(view.targetTable)} AS\n${view.sql.trim()}`;
}

/**
 * Copy what the view would have produced from rows already in its sources. Like the view itself,
 * it matches the SELECT's columns to the target's by name (a plain INSERT … SELECT would match by position).
 */
export function backfillMaterializedViewSql(view: MaterializedViewSpec, columns: string[]): string {
  const names = columns.map(quoteIdentifier).join(", ");
  return `INSERT INTO ${quoteIdentifier(view.targetTable)} (${names})\nSELECT ${names} FROM (\n${view.sql.trim()}\n)`;
}
