/**
 * Views and materialized views. A changed view is replaced in place (`CREATE OR REPLACE VIEW`);
 * a changed materialized view is dropped and created again, and so is one whose source or target
 * table is rebuilt (it must attach to the new table).
 */
import { isInsertable, type MaterializedViewSpec, type Manifest } from "../manifest/types.js";
import { normalizeSql } from "./normalize-sql.js";
import { releaseKept, type BlockedChange, type DiffOptions, type KeptChange, type Operation } from "./operations.js";
import { withRisk } from "./risk.js";

export interface ViewDiff {
  operations: Operation[];
  blocked: BlockedChange[];
  kept: KeptChange[];
}

function sortedIds(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function protectedDrop(section: "views" | "materializedViews", kind: string, id: string): KeptChange {
  return {
    section,
    target: id,
    summary: `drop ${kind} ${id}`,
    reason: `${id} is DELETION_PROTECTED: it stays in the database. ${releaseKept("object")}.`,
  };
}

export function diffViews(from: Manifest, to: Manifest, recreatedTables: Set<string>, options: DiffOptions): ViewDiff {
  const result: ViewDiff = { operations: [], blocked: [], kept: [] };

  for (const id of sortedIds(from.views, to.views)) {
    const before = from.views[id];
    const after = to.views[id];
    if (before?.lifeCycle === "EXTERNALLY_MANAGED" || after?.lifeCycle === "EXTERNALLY_MANAGED") continue;
    if (!before && after) {
      result.operations.push(withRisk({ kind: "createView", target: id, summary: `create view ${id}`, view: after }));
    } else if (before && !after) {
      if (before.lifeCycle === "DELETION_PROTECTED") result.kept.push(protectedDrop("views", "view", id));
      else result.operations.push(withRisk({ kind: "dropView", target: id, summary: `drop view ${id}`, view: before }));
    } else if (before && after && normalizeSql(before.sql) !== normalizeSql(after.sql)) {
      result.operations.push(withRisk({ kind: "replaceView", target: id, summary: `replace the SELECT of view ${id}`, from: before, to: after }));
    }
  }

  for (const id of sortedIds(from.materializedViews, to.materializedViews)) {
    const before = from.materializedViews[id];
    const after = to.materializedViews[id];
    if (before?.lifeCycle === "EXTERNALLY_MANAGED" || after?.lifeCycle === "EXTERNALLY_MANAGED") continue;
    if (!before && after) {
      result.operations.push(create(after, from, to, options));
    } else if (before && !after) {
      if (before.lifeCycle === "DELETION_PROTECTED") result.kept.push(protectedDrop("materializedViews", "materialized view", id));
      else result.operations.push(drop(before, `drop materialized view ${id}`));
    } else if (before && after) {
      const why = replacementReason(before, after, recreatedTables);
      if (why) {
        result.operations.push(drop(before, `drop materialized view ${id} to recreate it (${why})`));
        // A re-created view's target already holds what it produced: backfilling would add it twice.
      result.operations.push(create(after, from, to, { ...options, backfillMaterializedViews: false }, why));
      }
    }
  }
  return result;
}

function replacementReason(before: MaterializedViewSpec, after: MaterializedViewSpec, recreatedTables: Set<string>): string | null {
  if (normalizeSql(before.sql) !== normalizeSql(after.sql)) return "SELECT changed";
  if (before.targetTable !== after.targetTable) return `target ${before.targetTable} → ${after.targetTable}`;
  const rebuilt = [after.targetTable, ...after.sourceTables].find((table) => recreatedTables.has(table));
  return rebuilt ? `table ${rebuilt} is rebuilt` : null;
}

function drop(view: MaterializedViewSpec, summary: string): Operation {
  return withRisk({ kind: "dropMaterializedView", target: view.name, summary, view });
}

/**
 * Backfill (when asked) only when every source table already existed: then the source may hold
 * rows the view has never seen. A view over new tables has nothing to catch up on.
 */
function create(view: MaterializedViewSpec, from: Manifest, to: Manifest, options: DiffOptions, why?: string): Operation {
  const target = to.tables[view.targetTable];
  const backfill =
    options.backfillMaterializedViews === true && target !== undefined && view.sourceTables.every((table) => table in from.tables)
      ? { columns: target.columns.filter(isInsertable).map((column) => column.name) }
      : false;
  const summary = `create materialized view ${view.name} into ${view.targetTable}${why ? ` (${why})` : ""}${backfill ? ", backfilling existing rows" : ""}`;
  return withRisk({ kind: "createMaterializedView", target: view.name, summary, view, backfill });
}
