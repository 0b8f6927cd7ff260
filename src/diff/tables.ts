/**
 * Tables: create/drop, column add/drop/modify/rename, TTL, settings, indexes, and a recreate when
 * ORDER BY / PRIMARY KEY / PARTITION BY / SAMPLE BY / engine change (ALTER cannot do those).
 */
import { ExitCode, MooseError } from "../errors.js";
import { engineText, type ColumnSpec, type IndexSpec, type TableSpec } from "../manifest/types.js";
import { comparableType, normalizeTable, type NormalizeOptions } from "./normalize.js";
import { releaseKept, type BlockedChange, type ColumnChange, type DiffOptions, type KeptChange, type Operation, type RenameCandidate } from "./operations.js";
import { columnTypeText, withRisk } from "./risk.js";

/** Settings ClickHouse fixes at CREATE time: changing one needs a new table. */
const CREATE_ONLY_SETTINGS = new Set(["index_granularity"]);

export interface TableDiff {
  operations: Operation[];
  blocked: BlockedChange[];
  kept: KeptChange[];
  renameCandidates: RenameCandidate[];
  /** Ids of tables rebuilt by `recreateTable` (materialized views on them are re-attached). */
  recreated: Set<string>;
}

export function diffTables(
  from: Record<string, TableSpec>,
  to: Record<string, TableSpec>,
  options: DiffOptions,
): TableDiff {
  const result: TableDiff = { operations: [], blocked: [], kept: [], renameCandidates: [], recreated: new Set() };
  checkRenameTargets(from, to, options);
  for (const id of sortedUnion(from, to)) {
    const before = from[id];
    const after = to[id];
    if (!options.localExternalTables && (before?.lifeCycle === "EXTERNALLY_MANAGED" || after?.lifeCycle === "EXTERNALLY_MANAGED")) continue;
    if (!before && after) {
      result.operations.push(withRisk({ kind: "createTable", target: id, summary: `create table ${id}`, table: normalizeTable(after) }));
    } else if (before && !after) {
      if (before.lifeCycle === "DELETION_PROTECTED") {
        result.kept.push({
          section: "tables",
          target: id,
          summary: `drop table ${id}`,
          reason: `${id} is DELETION_PROTECTED: it stays in the database with its rows. ${releaseKept("object")}.`,
        });
      } else {
        result.operations.push(withRisk({ kind: "dropTable", target: id, summary: `drop table ${id}`, table: normalizeTable(before) }));
      }
    } else if (before && after) {
      // Most tables do not change: skip normalising those that are identical as written.
      if (!(options.renames?.[id]) && sameAsWritten(before, after)) continue;
      diffTable(id, normalizeTable(before), normalizeTable(after), options, result);
    }
  }
  return result;
}

/** Whether diffing `a` into `b` needs no operation (live table vs extracted spec, for introspection). */
export function tablesEquivalent(a: TableSpec, b: TableSpec, options: NormalizeOptions = {}): boolean {
  const result: TableDiff = { operations: [], blocked: [], kept: [], renameCandidates: [], recreated: new Set() };
  diffTable(b.name, normalizeTable({ ...a, lifeCycle: "FULLY_MANAGED" }), normalizeTable({ ...b, lifeCycle: "FULLY_MANAGED" }), options, result);
  return result.operations.length === 0;
}

/** Deep equality of two specs as written, ignoring `source` (where the code lives is not infrastructure). */
function sameAsWritten(a: TableSpec, b: TableSpec): boolean {
  return jsonEqual(a, b, "source");
}

/** Deep equality of JSON values; `undefined` members count as absent; `skip` is ignored at the top level. */
function jsonEqual(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let leftCount = 0;
  for (const key in left) {
    if (key === skip || left[key] === undefined) continue;
    leftCount++;
    if (!jsonEqual(left[key], right[key])) return false;
  }
  let rightCount = 0;
  for (const key in right) if (key !== skip && right[key] !== undefined) rightCount++;
  return leftCount === rightCount;
}

function sortedUnion(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/** A rename the user declared must name a column that exists before and one that exists after. */
function checkRenameTargets(from: Record<string, TableSpec>, to: Record<string, TableSpec>, options: DiffOptions): void {
  for (const [table, renames] of Object.entries(options.renames ?? {})) {
    const before = from[table];
    const after = to[table];
    if (!before || !after) {
      throw new MooseError("RENAME_UNKNOWN_TABLE", `a column rename was declared for table ${table}, which is not in both the old and the new state`, {
        exitCode: ExitCode.usage,
        hint: "declare renames only for tables that exist before and after the change (`--rename Table.old=new`)",
        details: { table },
      });
    }
    const beforeNames = new Set(before.columns.map((column) => column.name));
    const afterNames = new Set(after.columns.map((column) => column.name));
    for (const [oldName, newName] of Object.entries(renames)) {
      if (!beforeNames.has(oldName) || afterNames.has(oldName) || !afterNames.has(newName) || beforeNames.has(newName)) {
        throw new MooseError(
          "RENAME_NOT_APPLICABLE",
          `cannot rename ${table}.${oldName} to ${newName}: a rename needs ${oldName} only in the old schema and ${newName} only in the new one`,
          {
            exitCode: ExitCode.usage,
            hint: `check the names: old columns are ${[...beforeNames].join(", ")}; new columns are ${[...afterNames].join(", ")}`,
            details: { table, from: oldName, to: newName },
          },
        );
      }
    }
  }
}

function keyText(items: string[] | undefined): string {
  return items === undefined ? "(none)" : `(${items.join(", ")})`;
}

/** Why a plain ALTER cannot turn `from` into `to`; empty when it can. */
function recreateReasons(from: TableSpec, to: TableSpec): string[] {
  const reasons: string[] = [];
  if (keyText(from.orderBy) !== keyText(to.orderBy)) reasons.push(`ORDER BY ${keyText(from.orderBy)} → ${keyText(to.orderBy)}`);
  if (keyText(from.primaryKey) !== keyText(to.primaryKey)) {
    reasons.push(`PRIMARY KEY ${keyText(from.primaryKey)} → ${keyText(to.primaryKey)}`);
  }
  if ((from.partitionBy ?? "") !== (to.partitionBy ?? "")) {
    reasons.push(`PARTITION BY ${from.partitionBy ?? "(none)"} → ${to.partitionBy ?? "(none)"}`);
  }
  if ((from.sampleBy ?? "") !== (to.sampleBy ?? "")) reasons.push(`SAMPLE BY ${from.sampleBy ?? "(none)"} → ${to.sampleBy ?? "(none)"}`);
  if (engineText(from.engine) !== engineText(to.engine)) reasons.push(`ENGINE ${engineText(from.engine)} → ${engineText(to.engine)}`);
  for (const setting of CREATE_ONLY_SETTINGS) {
    if (from.settings[setting] !== to.settings[setting]) {
      reasons.push(`SETTINGS ${setting} ${from.settings[setting] ?? "default"} → ${to.settings[setting] ?? "default"}`);
    }
  }
  return reasons;
}

function diffTable(id: string, before: TableSpec, after: TableSpec, options: DiffOptions, result: TableDiff): void {
  const protectedTable = after.lifeCycle === "DELETION_PROTECTED" || before.lifeCycle === "DELETION_PROTECTED";
  const renames = options.renames?.[id] ?? {};

  // Declared renames go first; everything after compares against the renamed schema.
  for (const [oldName, newName] of Object.entries(renames)) {
    result.operations.push(
      withRisk({ kind: "renameColumn", target: id, summary: `rename column ${id}.${oldName} to ${newName}`, table: id, from: oldName, to: newName }),
    );
  }
  const renamed: TableSpec = {
    ...before,
    columns: before.columns.map((column) => (column.name in renames ? { ...column, name: renames[column.name]! } : column)),
  };

  const reasons = recreateReasons(renamed, after);
  if (reasons.length > 0) {
    const afterNames = new Set(after.columns.map((column) => column.name));
    const lost = renamed.columns.filter((column) => !afterNames.has(column.name)).map((column) => column.name);
    if (protectedTable && lost.length > 0) {
      result.blocked.push({
        target: id,
        summary: `rebuild table ${id} (${reasons.join("; ")}) dropping column${lost.length > 1 ? "s" : ""} ${lost.join(", ")}`,
        reason: `${id} is DELETION_PROTECTED: the rebuild would drop ${lost.join(", ")}. Keep those columns, or change the lifeCycle to FULLY_MANAGED first.`,
      });
      return;
    }
    result.recreated.add(id);
    result.operations.push(
      withRisk({ kind: "recreateTable", target: id, summary: `rebuild table ${id}: ${reasons.join("; ")}`, from: renamed, to: after, reasons }),
    );
    return;
  }

  diffColumns(id, renamed, after, options, protectedTable, result);

  if ((renamed.ttl ?? "") !== (after.ttl ?? "")) {
    result.operations.push(
      withRisk({
        kind: "modifyTtl",
        target: id,
        summary: after.ttl === undefined ? `remove TTL of ${id}` : `set TTL of ${id} to ${after.ttl}`,
        table: id,
        ...(renamed.ttl !== undefined ? { from: renamed.ttl } : {}),
        ...(after.ttl !== undefined ? { to: after.ttl } : {}),
      }),
    );
  }

  diffSettings(id, renamed.settings, after.settings, result);
  diffIndexes(id, renamed.indexes, after.indexes, result);
}

function diffColumns(
  id: string,
  before: TableSpec,
  after: TableSpec,
  options: DiffOptions,
  protectedTable: boolean,
  result: TableDiff,
): void {
  const beforeByName = new Map(before.columns.map((column) => [column.name, column]));
  const afterNames = new Set(after.columns.map((column) => column.name));
  const dropped = before.columns.filter((column) => !afterNames.has(column.name));
  const added = after.columns.filter((column) => !beforeByName.has(column.name));

  for (const column of dropped) {
    if (protectedTable) {
      result.kept.push({
        section: "tables",
        target: id,
        column: column.name,
        summary: `drop column ${id}.${column.name}`,
        reason: `${id} is DELETION_PROTECTED: ${column.name} stays in the table with its data. ${releaseKept("column")}.`,
      });
      continue;
    }
    result.operations.push(
      withRisk({ kind: "dropColumn", target: id, summary: `drop column ${column.name} from ${id}`, table: id, column }),
    );
  }

  after.columns.forEach((column, index) => {
    if (beforeByName.has(column.name)) {
      diffColumn(id, beforeByName.get(column.name)!, column, options, result);
      return;
    }
    const position = { after: index === 0 ? null : after.columns[index - 1]!.name };
    result.operations.push(
      withRisk({ kind: "addColumn", target: id, summary: `add column ${column.name} ${columnTypeText(column)} to ${id}`, table: id, column, position }),
    );
  });

  for (const gone of dropped) {
    for (const fresh of added) {
      if (comparableType(gone, options) === comparableType(fresh, options)) {
        result.renameCandidates.push({ table: id, from: gone.name, to: fresh.name });
      }
    }
  }
}

const COLUMN_PROPERTIES: Array<Exclude<ColumnChange, "type" | "nullable">> = [
  "default",
  "materialized",
  "alias",
  "comment",
  "codec",
  "ttl",
];

function diffColumn(id: string, before: ColumnSpec, after: ColumnSpec, options: DiffOptions, result: TableDiff): void {
  const changed: ColumnChange[] = [];
  const strict = { strictLowCardinality: options.strictLowCardinality };
  if (comparableType({ ...before, nullable: false }, strict) !== comparableType({ ...after, nullable: false }, strict)) {
    changed.push("type");
  }
  if (before.nullable !== after.nullable) changed.push("nullable");
  for (const property of COLUMN_PROPERTIES) {
    if ((before[property] ?? "") !== (after[property] ?? "")) changed.push(property);
  }
  if (changed.length === 0) return;
  const what =
    changed.includes("type") || changed.includes("nullable")
      ? `${columnTypeText(before)} → ${columnTypeText(after)}`
      : changed.join(", ");
  result.operations.push(
    withRisk({ kind: "modifyColumn", target: id, summary: `change column ${id}.${after.name}: ${what}`, table: id, from: before, to: after, changed }),
  );
}

function diffSettings(id: string, before: Record<string, string>, after: Record<string, string>, result: TableDiff): void {
  const set: Record<string, string> = {};
  const previous: Record<string, string> = {};
  const reset: string[] = [];
  for (const key of Object.keys(after).sort()) {
    if (CREATE_ONLY_SETTINGS.has(key) || before[key] === after[key]) continue;
    set[key] = after[key]!;
    if (before[key] !== undefined) previous[key] = before[key]!;
  }
  for (const key of Object.keys(before).sort()) {
    if (CREATE_ONLY_SETTINGS.has(key) || key in after) continue;
    reset.push(key);
    previous[key] = before[key]!;
  }
  if (Object.keys(set).length === 0 && reset.length === 0) return;
  const parts = [...Object.entries(set).map(([key, value]) => `${key}=${value}`), ...reset.map((key) => `${key} to default`)];
  result.operations.push(
    withRisk({ kind: "modifySettings", target: id, summary: `change settings of ${id}: ${parts.join(", ")}`, table: id, set, previous, reset }),
  );
}

function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  return a.expression === b.expression && a.type === b.type && a.granularity === b.granularity;
}

function diffIndexes(id: string, before: IndexSpec[], after: IndexSpec[], result: TableDiff): void {
  const afterByName = new Map(after.map((index) => [index.name, index]));
  const beforeByName = new Map(before.map((index) => [index.name, index]));
  for (const index of before) {
    const next = afterByName.get(index.name);
    if (next && sameIndex(index, next)) continue;
    result.operations.push(withRisk({ kind: "dropIndex", target: id, summary: `drop index ${index.name} from ${id}`, table: id, index }));
  }
  for (const index of after) {
    const previous = beforeByName.get(index.name);
    if (previous && sameIndex(previous, index)) continue;
    result.operations.push(
      withRisk({ kind: "addIndex", target: id, summary: `add index ${index.name} (${index.type}) on ${index.expression} to ${id}`, table: id, index }),
    );
  }
}
