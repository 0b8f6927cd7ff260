/**
 * ClickHouse's own SQL parser, from the engine moose-ts embeds (chdb). Text is only ever handed
 * to it as a bound string parameter of `formatQuerySingleLine`, which accepts exactly one
 * statement and prints it canonically; `EXPLAIN AST` then reads that canonical text. (chdb runs
 * every statement of a multi-statement text, so raw text never reaches `EXPLAIN`.)
 *
 * The parser runs on an embedded driver open in this process when there is one (chdb refuses its
 * standalone `query()` beside an open session), else on chdb's standalone engine.
 */
import { queryBind } from "chdb";
import { MooseError } from "../../errors.js";
import { readAst, type AstNode } from "../../steps/ast.js";
import type { ParsedStatement } from "../../steps/judge.js";
import type { ClickHouseDriver, QueryParams } from "./driver.js";
import { openEmbeddedDriver } from "./embedded.js";
import { parseClickHouseError } from "./errors.js";
import { parseJsonEachRow } from "./rows.js";

type Rows = Array<Record<string, string>>;

async function run(sql: string, params: QueryParams = {}): Promise<Rows> {
  const engine: ClickHouseDriver | undefined = openEmbeddedDriver();
  if (engine) return engine.query(sql, params);
  return parseJsonEachRow(queryBind(sql, params, "JSONEachRow"));
}

/** Why ClickHouse's parser refused a text: its own message without the `Code: 62. DB::Exception:` prefix. */
export class SqlParseError extends Error {}

function parserMessage(error: unknown): string {
  const details = error instanceof MooseError ? error.details : undefined;
  const text = String(details?.clickhouseMessage ?? (error as Error)?.message ?? error);
  return parseClickHouseError(text).message.replace(/^Syntax error(?: \(([^)]*)\))?: /, (_all, what: string | undefined) => (what ? `${what}: ` : ""));
}

/**
 * Exactly one statement, as ClickHouse reads it; SqlParseError when it is not one statement the
 * parser accepts. `params` are the values of its `{name:Type}` placeholders, if it has any.
 */
export async function parseStatement(sql: string, params: QueryParams = {}): Promise<ParsedStatement> {
  let formatted: string;
  try {
    // implicit_select (on in chdb) would read a broken statement as `SELECT <words>`.
    const [row] = await run("SELECT formatQuerySingleLine({sql:String}) AS formatted SETTINGS implicit_select = 0", { sql });
    formatted = row?.formatted ?? "";
  } catch (error) {
    throw new SqlParseError(parserMessage(error));
  }
  if (formatted.trim() === "") throw new SqlParseError("no statement");
  const rows = await run(`EXPLAIN AST ${formatted}`, params).catch((error: unknown) => {
    throw new SqlParseError(parserMessage(error));
  });
  const ast = readAst(rows.map((row) => row.explain ?? ""));
  if (!ast) throw new SqlParseError("ClickHouse's syntax tree of it could not be read (an identifier with a line break?)");
  return { formatted, ast };
}

/**
 * Each text as ClickHouse prints it when it is exactly one statement its parser accepts, else
 * undefined: one query for them all (`formatQuerySingleLineOrNull` over an array), for checks that
 * need no syntax tree. parseStatement gives the parser's reason for a text that fails.
 */
export async function formatStatements(texts: readonly string[]): Promise<Array<string | undefined>> {
  if (texts.length === 0) return [];
  const [row] = await run("SELECT arrayMap(text -> formatQuerySingleLineOrNull(text), {texts:Array(String)}) AS formatted SETTINGS implicit_select = 0", { texts });
  const formatted = (row?.formatted ?? []) as unknown as Array<string | null>;
  return texts.map((_text, index) => formatted[index] ?? undefined);
}

/** One statement laid out over lines as ClickHouse formats it (`formatQuery`), or SqlParseError. */
export async function prettyStatement(sql: string): Promise<string> {
  try {
    const [row] = await run("SELECT formatQuery({sql:String}) AS formatted SETTINGS implicit_select = 0", { sql });
    return row?.formatted ?? "";
  } catch (error) {
    throw new SqlParseError(parserMessage(error));
  }
}

/** The AST of `SELECT <list>`: its select list, or SqlParseError. */
export async function parseSelectList(list: string): Promise<AstNode[]> {
  const { ast } = await parseStatement(`SELECT ${list}`);
  const selects = ast.kind === "SelectWithUnionQuery" ? ast.children[0]?.children ?? [] : [];
  const query = selects.length === 1 ? selects[0] : undefined;
  // Only the select list: a FROM, WHERE, … would mean the text reached beyond an expression.
  if (!query || query.kind !== "SelectQuery" || query.children.length !== 1) throw new SqlParseError("it is not a plain expression");
  return query.children[0]!.children;
}
