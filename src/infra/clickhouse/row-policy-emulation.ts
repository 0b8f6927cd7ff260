/**
 * Row policies on the embedded engine, which has no access control: what a statement of a caller the
 * policies scope may do there, and the settings it runs with.
 *
 * `additional_table_filters` (row-policies.ts emulatedRowFilters) filters a table wherever a query
 * reads it by name, through views and subqueries too. It does not reach what reads a table around
 * that: a table function (`merge()`); a Merge, Buffer, Distributed or Dictionary table over it, or a
 * materialized view that writes to it, read by their own names; `dictGet`; a scalar `file()` of its
 * parts on disk; a PREWHERE (which the engine runs before the filter, so its errors can print other
 * rows); tables of other databases (`system`: other queries' text); or a view whose body does any of
 * these. A server's RLS user may use none of these ways (they need grants its role lacks), so a
 * scoped statement that does is refused, and the wrapper tables are filtered by every policy, or read
 * nothing when they lack a policy's column. Decisions are made on ClickHouse's own parse of the
 * statement and of the views it reads (parser.ts).
 */
import type { RowPolicySpec } from "../../manifest/types.js";
import type { AstNode } from "../../steps/ast.js";
import type { ClickHouseDriver, QueryParams } from "./driver.js";
import { parseStatement } from "./parser.js";
import { emulatedRowFilters } from "./row-policies.js";

/** Scalar functions that read other than the rows of the tables the query names. */
const READING_FUNCTIONS = new Set(["file", "catboostevaluate", "modelevaluate", "joinget", "joingetornull"]);
/** `x IN <table>` and its kin (`notIn`, `globalNullIn`, `inIgnoreSet`, …): the right side may name a table. */
const IN_FUNCTION = /^(global)?(not)?(null)?in(ignoreset)?$/;
/** What reads another table's rows under its own name (a materialized view: its TO table). */
const WRAPPER_ENGINES = new Set(["Merge", "Buffer", "Distributed", "Dictionary", "MaterializedView"]);

/** A table, view or dictionary of the app's database, as the engine describes it. */
export interface AppObject {
  name: string;
  engine: string;
  /** A view's SELECT. */
  body: string;
  /** Its ordinary columns (not ALIAS, MATERIALIZED or DEFAULT). */
  columns: string[];
}

/** The objects of `driver`'s database, by name (one query per scoped statement: `moose dev` changes them as the code changes). */
export async function appObjects(driver: ClickHouseDriver): Promise<Map<string, AppObject>> {
  const rows = await driver.query<AppObject>(
    "SELECT t.name AS name, t.engine AS engine, t.as_select AS body, groupArrayIf(c.name, c.default_kind = '') AS columns " +
      "FROM system.tables AS t LEFT JOIN system.columns AS c ON c.database = t.database AND c.table = t.name " +
      "WHERE t.database = {database:String} GROUP BY t.name, t.engine, t.as_select",
    { database: driver.database },
  );
  return new Map(rows.map((row) => [row.name, row]));
}

/** A view's body as the parser reads it, kept while its text is the same. */
const parsedBodies = new Map<string, Promise<AstNode>>();
const MAX_PARSED_BODIES = 1_000;

function parsedBody(body: string): Promise<AstNode> {
  let parsed = parsedBodies.get(body);
  if (!parsed) {
    if (parsedBodies.size >= MAX_PARSED_BODIES) parsedBodies.clear();
    parsed = parseStatement(body).then(({ ast }) => ast);
    parsed.catch(() => parsedBodies.delete(body));
    parsedBodies.set(body, parsed);
  }
  return parsed;
}

/**
 * Why a scoped statement may not run on the embedded engine, in the server's words where it has
 * them; undefined when it may. The views it reads are looked into too, as deep as they go: what a
 * view reads is read by the statement.
 */
export async function scopedStatementRefusal(user: string, sql: string, params: QueryParams, database: string, objects: ReadonlyMap<string, AppObject>): Promise<string | undefined> {
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
  // The embedded engine writes INTO OUTFILE itself, readonly or not (as the endpoint refuses it: ./http-endpoint.ts).
  if (/\bINTO OUTFILE\b/.test(formatted)) return `${user} reads through the app's row policies only: INTO OUTFILE writes a file`;
  const seenViews = new Set<string>();
  const refusalIn = async (tree: AstNode): Promise<string | undefined> => {
    const found: string[] = [];
    const views: string[] = [];
    const tableNamed = (detail: string, how: "FROM" | "IN"): void => {
      const name = detail.replace(/ \(alias .*\)$/, "");
      const dot = name.indexOf(".");
      const [schema, table] = dot < 0 ? [database, name] : [name.slice(0, dot), name.slice(dot + 1)];
      if (schema !== database) found.push(`${user}: Not enough privileges: ${name} is not a table of the app`);
      else if (objects.get(table)?.engine === "View") views.push(table);
      else if (how === "IN") found.push(`${user}: IN ${name} is not taken here: write IN (SELECT … FROM ${name})`);
    };
    const visit = (node: AstNode, inTableExpression: boolean): void => {
      const name = node.kind === "Function" ? node.detail.replace(/ \(alias .*\)$/, "") : "";
      if (node.kind === "Function" && inTableExpression) {
        // A parameterized view is called like a table function.
        if (objects.get(name)?.engine === "View") views.push(name);
        else found.push(`${user}: Not enough privileges. To execute this query, it's necessary to have the grant CREATE TEMPORARY TABLE ON *.* (table function ${name})`);
      } else if (node.kind === "Function" && (READING_FUNCTIONS.has(name.toLowerCase()) || name.toLowerCase().startsWith("dict"))) {
        found.push(`${user}: Not enough privileges: ${name}() reads around the app's row policies`);
      } else if (node.kind === "Function" && IN_FUNCTION.test(name.toLowerCase())) {
        const right = node.children[0]?.children[1];
        if (right?.kind === "Identifier") tableNamed(right.detail, "IN");
      } else if (node.kind === "TableIdentifier") {
        tableNamed(node.detail, "FROM");
      }
      for (const child of node.children) visit(child, node.kind === "TableExpression");
    };
    visit(tree, false);
    if (found.length > 0) return found[0];
    for (const view of views) {
      if (seenViews.has(view)) continue;
      seenViews.add(view);
      let body: AstNode;
      try {
        body = await parsedBody(objects.get(view)!.body);
      } catch (error) {
        return `view ${view} could not be read (${(error as Error).message})`;
      }
      const inView = await refusalIn(body);
      if (inView !== undefined) return `${inView} (in view ${view})`;
    }
    return undefined;
  };
  return refusalIn(ast);
}

/**
 * The settings a scoped statement runs with on the embedded engine (`settings`: the policies'
 * `SQL_moose_rls_*` for the caller), read-only: `readonly = 1` last, since it refuses changing settings after it.
 */
function emulatedScopeSettings(database: string, objects: ReadonlyMap<string, AppObject>, policies: readonly RowPolicySpec[], settings: Record<string, string>): Record<string, string> {
  const wrappers = [...objects.values()].filter((object) => WRAPPER_ENGINES.has(object.engine));
  const filters = emulatedRowFilters(policies, database, settings, wrappers);
  return { dialect: "clickhouse", ...(filters ? { additional_table_filters: filters } : {}), readonly: "1" };
}

/**
 * Checks a scoped statement and gives the settings it runs with: `{ refusal }` when it may not run.
 * One look at the app's objects serves both.
 */
export async function scopeStatement(
  driver: ClickHouseDriver,
  user: string,
  sql: string,
  params: QueryParams,
  policies: readonly RowPolicySpec[],
  settings: Record<string, string>,
): Promise<{ refusal: string } | { settings: Record<string, string> }> {
  const objects = await appObjects(driver);
  const refusal = await scopedStatementRefusal(user, sql, params, driver.database, objects);
  return refusal !== undefined ? { refusal } : { settings: emulatedScopeSettings(driver.database, objects, policies, settings) };
}
