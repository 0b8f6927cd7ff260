/**
 * Row policies on the embedded engine, which has no access control: what a statement of a caller the
 * policies scope may do there, and the settings it runs with.
 *
 * `additional_table_filters` (row-policies.ts emulatedRowFilters) filters a table wherever a query
 * reads it by name, through views and subqueries too. It does not reach what reads a table around
 * that: a table function (`merge()`), a Merge, Buffer, Distributed or Dictionary table over it,
 * `dictGet`, a scalar `file()` of its parts on disk, a PREWHERE (which the engine runs before the
 * filter, so its errors can print other rows), or `system` tables (other queries' text). A server's
 * RLS user may use none of these (they need grants its role lacks), so a scoped statement that does
 * is refused, and the engine's wrapper tables are filtered by the policies' columns they have.
 * Decisions are made on ClickHouse's own parse of the statement (parser.ts).
 */
import type { RowPolicySpec } from "../../manifest/types.js";
import type { AstNode } from "../../steps/ast.js";
import type { ClickHouseDriver, QueryParams } from "./driver.js";
import { parseStatement } from "./parser.js";
import { emulatedRowFilters, type WrapperTable } from "./row-policies.js";

/** Scalar functions that read other than the rows of the tables the query names. */
const READING_FUNCTIONS = new Set(["file", "catboostevaluate", "modelevaluate", "joinget", "joingetornull"]);

/** Why a scoped statement may not run on the embedded engine, in the server's words where it has them; undefined when it may. */
export async function scopedStatementRefusal(user: string, sql: string, params: QueryParams = {}): Promise<string | undefined> {
  let parsed;
  try {
    parsed = await parseStatement(sql, params);
  } catch (error) {
    // Fails closed: what the parser cannot read is not run.
    return `the statement could not be read (${(error as Error).message})`;
  }
  const { formatted, ast } = parsed;
  if (ast.kind !== "SelectWithUnionQuery" && ast.kind !== "SelectIntersectExceptQuery") return `${user} reads through the app's row policies only: a SELECT`;
  // The canonical rendering spells the clause; a literal that spells it is refused too (fails closed).
  if (/\bPREWHERE\b/.test(formatted)) return `${user} reads through the app's row policies only: PREWHERE runs before them`;
  const refusals: string[] = [];
  const visit = (node: AstNode, inTableExpression: boolean): void => {
    const name = node.detail.split(" ")[0] ?? "";
    if (node.kind === "Function" && inTableExpression) {
      refusals.push(`${user}: Not enough privileges. To execute this query, it's necessary to have the grant CREATE TEMPORARY TABLE ON *.* (table function ${name})`);
    } else if (node.kind === "Function" && (READING_FUNCTIONS.has(name.toLowerCase()) || name.toLowerCase().startsWith("dict"))) {
      refusals.push(`${user}: Not enough privileges: ${name}() reads around the app's row policies`);
    } else if (node.kind === "TableIdentifier" && /^(system|information_schema)\./i.test(node.detail)) {
      refusals.push(`${user}: Not enough privileges: ${node.detail.split(" ")[0]} is not a table of the app`);
    }
    for (const child of node.children) visit(child, node.kind === "TableExpression");
  };
  visit(ast, false);
  return refusals[0];
}

/** Tables of `driver`'s database that read other tables (Merge, Buffer, Distributed, Dictionary), with their columns. */
export async function wrapperTables(driver: ClickHouseDriver): Promise<WrapperTable[]> {
  const rows = await driver.query<{ name: string; columns: string[] }>(
    "SELECT t.name AS name, groupArray(c.name) AS columns FROM system.tables AS t INNER JOIN system.columns AS c ON c.database = t.database AND c.table = t.name " +
      "WHERE t.database = {database:String} AND t.engine IN ('Merge', 'Buffer', 'Distributed', 'Dictionary') GROUP BY t.name",
    { database: driver.database },
  );
  return rows;
}

/**
 * The settings a scoped statement runs with on the embedded engine (`settings`: the policies'
 * `SQL_moose_rls_*` for the caller), read-only: `readonly = 1` last, since it refuses changing settings after it.
 */
export async function emulatedScopeSettings(driver: ClickHouseDriver, policies: readonly RowPolicySpec[], settings: Record<string, string>): Promise<Record<string, string>> {
  const filters = emulatedRowFilters(policies, driver.database, settings, await wrapperTables(driver));
  return { dialect: "clickhouse", ...(filters ? { additional_table_filters: filters } : {}), readonly: "1" };
}
