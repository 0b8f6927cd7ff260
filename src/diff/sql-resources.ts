/**
 * SQL resources (MooseStack's SqlResource). A new one runs its setup; a removed one its teardown.
 * One whose statements changed, or that reads or writes a table being rebuilt (a materialized view
 * or dictionary in raw SQL attaches to the table it was created on), is torn down with its old
 * teardown and set up with its new setup. Statements are compared as ClickHouse would read them
 * (whitespace and comments do not count).
 */
import type { Manifest, SqlResourceSpec } from "../manifest/types.js";
import { normalizeSql } from "./normalize-sql.js";
import type { Operation } from "./operations.js";
import { withRisk } from "./risk.js";

export function diffSqlResources(from: Manifest, to: Manifest, recreatedTables: Set<string>): Operation[] {
  const operations: Operation[] = [];
  const names = [...new Set([...Object.keys(from.sqlResources), ...Object.keys(to.sqlResources)])].sort();
  for (const name of names) {
    const before = from.sqlResources[name];
    const after = to.sqlResources[name];
    if (!before && after) operations.push(create(after));
    else if (before && !after) operations.push(drop(before, `remove ${described(before)}`));
    else if (before && after) {
      const why = recreationReason(before, after, recreatedTables);
      if (why) operations.push(drop(before, `tear down ${described(before)} to set it up again (${why})`), create(after, why));
    }
  }
  return operations;
}

function recreationReason(before: SqlResourceSpec, after: SqlResourceSpec, recreatedTables: Set<string>): string | undefined {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((statement, index) => normalizeSql(statement) === normalizeSql(b[index]!));
  if (!same(before.setup, after.setup)) return "setup changed";
  if (!same(before.teardown, after.teardown)) return "teardown changed";
  const rebuilt = [...after.pullsDataFrom, ...after.pushesDataTo].find((table) => recreatedTables.has(table));
  return rebuilt ? `table ${rebuilt} is rebuilt` : undefined;
}

function create(resource: SqlResourceSpec, why?: string): Operation {
  return withRisk({ kind: "createSqlResource", target: resource.name, summary: `set up ${described(resource)}${why ? ` (${why})` : ""}`, resource });
}

/** `SQL resource x`, or `row policy x` for one a SelectRowPolicy made. */
function described(resource: SqlResourceSpec): string {
  return `${resource.rowPolicy ? "row policy" : "SQL resource"} ${resource.name}`;
}

function drop(resource: SqlResourceSpec, summary: string): Operation {
  return withRisk({ kind: "dropSqlResource", target: resource.name, summary, resource });
}
