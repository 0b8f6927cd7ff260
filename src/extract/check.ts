/**
 * The last gate of extraction: a manifest that ClickHouse would refuse, or whose SQL fragments
 * would change the statements they are pasted into, is an error at the model's file:line before
 * any manifest or migration is written.
 *
 * Every SQL fragment from model code is read by ClickHouse's parser in a context that shows
 * whether it stayed what it claims to be: an expression is parsed as `SELECT <it>, 1` and must
 * leave exactly two items (a `;`, a `FROM`, a trailing `--` comment or an unbalanced bracket all
 * change that); a column definition must stay one column; a view's SELECT must be exactly one
 * SELECT; a table TTL must leave the SETTINGS after it in place; a SQL resource's statement must be
 * exactly one statement. Then each table's whole CREATE statement must parse.
 */
import { MooseError, type SourceLocation } from "../errors.js";
import { createTableSql, columnDefinition } from "../infra/clickhouse/ddl.js";
import { formatStatements, parseSelectList, parseStatement, SqlParseError } from "../infra/clickhouse/parser.js";
import { checkManifestRules } from "../manifest/rules.js";
import { AcceptedFragments } from "./accepted-sql.js";
import type { Manifest, TableSpec } from "../manifest/types.js";

interface Fragment {
  subject: string;
  kind: "expression" | "column" | "select" | "ttl" | "table" | "statement";
  text: string;
  location?: SourceLocation;
}

/**
 * Fragments found good, by the hash of their kind and text: the dev loop re-checks only what
 * changed, and so does a later process (./accepted-sql.ts keeps them between runs).
 */
let accepted: AcceptedFragments | undefined;

/**
 * The tables (as JSON) of the last manifest this process found sound: a `moose dev` save checks only
 * the tables it changed, without hashing every fragment of the others again.
 */
let checkedTables = new Set<string>();

function acceptedFragments(): AcceptedFragments {
  // Keyed by the code that decides too: a change to these checks or to the parser's use starts a new record.
  accepted ??= AcceptedFragments.load([fragmentProblem, createStatementProblems, parseStatement, parseSelectList, formatStatements].map(String).join("\n"));
  return accepted;
}

async function fragmentProblem(fragment: Fragment): Promise<string | undefined> {
  const known = acceptedFragments();
  const key = known.key(fragment.kind, fragment.text);
  if (known.has(key)) return undefined;
  try {
    switch (fragment.kind) {
      case "expression": {
        const items = await parseSelectList(`${fragment.text}, 1`);
        if (items.length !== 2 || items[1]!.detail !== "UInt64_1") return "it is not exactly one expression (a comma, comment or bracket reaches beyond it)";
        break;
      }
      case "column": {
        const { ast } = await parseStatement(`CREATE TABLE _moose_check (${fragment.text}, _moose_end UInt8) ENGINE = Memory`);
        const columns = ast.children.find((child) => child.kind === "Columns")?.children[0]?.children ?? [];
        if (columns.length !== 2 || columns[1]!.detail !== "_moose_end") return "its definition does not stay one column (a comment or bracket reaches beyond it)";
        break;
      }
      case "select": {
        const { ast } = await parseStatement(fragment.text);
        if (ast.kind !== "SelectWithUnionQuery" && ast.kind !== "SelectIntersectExceptQuery") return `it must be one SELECT, not ${ast.kind}`;
        break;
      }
      case "ttl": {
        const { ast } = await parseStatement(`CREATE TABLE _moose_check (x UInt8) ENGINE = MergeTree ORDER BY x TTL ${fragment.text} SETTINGS index_granularity = 1`);
        const storage = ast.children.find((child) => child.kind === "Storage")?.children ?? [];
        if (storage.at(-1)?.kind !== "Set") return "it is not one TTL clause (a comment or bracket reaches beyond it)";
        break;
      }
      case "table": {
        const { formatted } = await parseStatement(fragment.text);
        if (!isCreateTable(formatted)) return "its CREATE TABLE statement does not parse as one";
        break;
      }
      case "statement":
        // Exactly one statement the parser accepts: what `migrate up` requires of every step.
        await parseStatement(fragment.text);
        break;
    }
  } catch (error) {
    if (error instanceof SqlParseError) return `ClickHouse's parser refuses it: ${error.message}`;
    throw error;
  }
  known.add(key);
  return undefined;
}

/** One statement that ClickHouse prints as a CREATE TABLE (formatQuerySingleLine accepts exactly one). */
function isCreateTable(formatted: string | undefined): boolean {
  return formatted?.startsWith("CREATE TABLE ") === true;
}

/**
 * Each table's whole CREATE statement, not yet accepted, formatted by the parser in one query (at
 * 1,000 tables, one query instead of two per table); one that fails is read again on its own for
 * the parser's reason.
 */
async function createStatementProblems(tables: TableSpec[]): Promise<Array<{ subject: string; message: string; location?: SourceLocation }>> {
  const pending = tables.map((table) => ({ table, fragment: { subject: table.name, kind: "table" as const, text: createTableSql(table) } }));
  const keyOf = (fragment: Fragment) => acceptedFragments().key(fragment.kind, fragment.text);
  const unchecked = pending.filter(({ fragment }) => !acceptedFragments().has(keyOf(fragment)));
  const formatted = await formatStatements(unchecked.map(({ fragment }) => fragment.text));
  const problems: Array<{ subject: string; message: string; location?: SourceLocation }> = [];
  for (const [index, { table, fragment }] of unchecked.entries()) {
    if (isCreateTable(formatted[index])) {
      acceptedFragments().add(keyOf(fragment));
      continue;
    }
    const message = await fragmentProblem(fragment);
    if (message !== undefined) problems.push({ subject: `table ${table.name}`, message, ...(table.source ? { location: table.source } : {}) });
  }
  return problems;
}

function tableFragments(table: TableSpec): Fragment[] {
  const at = table.source;
  const fragments: Fragment[] = [];
  const expression = (subject: string, text: string | undefined) => {
    if (text !== undefined) fragments.push({ subject: `${table.name}: ${subject}`, kind: "expression", text, ...(at ? { location: at } : {}) });
  };
  const columnNames = new Set(table.columns.map((column) => column.name));
  for (const column of table.columns) {
    expression(`DEFAULT of column ${column.name}`, column.default);
    expression(`MATERIALIZED of column ${column.name}`, column.materialized);
    expression(`ALIAS of column ${column.name}`, column.alias);
    expression(`TTL of column ${column.name}`, column.ttl);
    fragments.push({ subject: `${table.name}: column ${column.name} (type ${column.type}${column.codec ? `, CODEC(${column.codec})` : ""})`, kind: "column", text: columnDefinition(column), ...(at ? { location: at } : {}) });
  }
  for (const item of [...table.orderBy, ...(table.primaryKey ?? [])]) if (!columnNames.has(item)) expression(`key expression`, item);
  expression("partitionBy", table.partitionBy);
  expression("sampleBy", table.sampleBy);
  for (const param of table.engine.params) expression(`engine ${table.engine.name} parameter`, param);
  for (const [name, value] of Object.entries(table.settings)) expression(`setting ${name}`, value);
  for (const index of table.indexes) {
    expression(`index ${index.name} expression`, index.expression);
    expression(`index ${index.name} type`, index.type);
  }
  if (table.ttl !== undefined) fragments.push({ subject: `${table.name}: table TTL`, kind: "ttl", text: table.ttl, ...(at ? { location: at } : {}) });
  return fragments;
}

/** Throws MODEL_INVALID (file:line of the model) for the first problems found; returns when the manifest is sound. */
export async function checkManifest(manifest: Manifest): Promise<void> {
  const problems: Array<{ subject: string; message: string; location?: SourceLocation }> = checkManifestRules(manifest);
  if (problems.length === 0) {
    const specs = new Map(Object.values(manifest.tables).map((table) => [JSON.stringify(table), table]));
    const tables = [...specs].filter(([spec]) => !checkedTables.has(spec)).map(([, table]) => table);
    const fragments: Fragment[] = [];
    for (const table of tables) fragments.push(...tableFragments(table));
    for (const view of [...Object.values(manifest.views), ...Object.values(manifest.materializedViews)]) {
      fragments.push({ subject: `${view.name}: SELECT`, kind: "select", text: view.sql, ...(view.source ? { location: view.source } : {}) });
    }
    for (const resource of Object.values(manifest.sqlResources)) {
      for (const part of ["setup", "teardown"] as const) {
        resource[part].forEach((text, index) =>
          fragments.push({ subject: `SQL resource ${resource.name}: ${part} statement ${index + 1}`, kind: "statement", text, ...(resource.source ? { location: resource.source } : {}) }),
        );
      }
    }
    for (const fragment of fragments) {
      const message = await fragmentProblem(fragment);
      if (message !== undefined) problems.push({ subject: fragment.subject, message, ...(fragment.location ? { location: fragment.location } : {}) });
    }
    // The pieces were each sound; the statement they make must be too.
    if (problems.length === 0) problems.push(...(await createStatementProblems(tables)));
    accepted?.save();
    if (problems.length === 0) checkedTables = new Set(specs.keys());
  }
  if (problems.length === 0) return;
  const [first] = problems;
  const more = problems.length > 1 ? `\n${problems.slice(1, 6).map((problem) => `  also: ${problem.subject}: ${problem.message}`).join("\n")}` : "";
  throw new MooseError("MODEL_INVALID", `${first!.subject}: ${first!.message}${more}`, {
    ...(first!.location ? { location: first!.location } : {}),
    hint: "fix the model: nothing was written, no manifest and no migration",
    details: { problems },
  });
}
