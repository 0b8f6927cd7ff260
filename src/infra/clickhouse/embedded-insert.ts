/**
 * INSERTs with inline data, rewritten for the embedded engine so it never reads this process's stdin.
 *
 * Why: chdb runs every statement through ClickHouse's client code (as clickhouse-local), which treats
 * a non-terminal stdin as more INSERT data. For `INSERT … VALUES …` / `INSERT … FORMAT X <data>`
 * it checks whether fd 0 has bytes: with async_insert on (chdb's default) it then refuses
 * ("Processing async inserts with both inlined and external data (from stdin or infile) is not
 * supported"); with it off it appends stdin's bytes to the rows. `FROM INFILE` reads stdin too.
 * chdb has no setting or connection argument that turns this off, and a piped stdin is normal
 * (scripts, xargs, ssh, CI). An `INSERT … SELECT` is an ordinary query that never looks at stdin,
 * so the data travels as a string literal: `INSERT INTO t (cols) SELECT * FROM format(X, 'structure', '<data>')`.
 * The structure is the target's column types (and DEFAULTs, for fields a row omits), so values
 * parse exactly as an inline insert would parse them rather than through schema inference.
 */
import { quoteIdentifier, quoteString } from "./quote.js";

/** One column of the target, as `system.columns` describes it. */
export interface TargetColumn {
  name: string;
  type: string;
  default_kind: string;
  default_expression: string;
}

/** Reads the target's columns (empty when it does not exist). `database` undefined: the current one. */
export type DescribeTarget = (database: string | undefined, table: string) => Promise<TargetColumn[]>;

interface Token {
  start: number;
  end: number;
  kind: "word" | "quoted" | "string" | "open" | "close" | "other";
  /** Word text, or a quoted identifier's name. */
  text: string;
}

/** The tokens of `sql`, comments and blanks skipped; quoted names and strings unescaped. */
function* tokens(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === "'" || c === "`" || c === '"') {
      const start = i++;
      let text = "";
      while (i < sql.length) {
        const d = sql[i]!;
        if (d === "\\" && i + 1 < sql.length) {
          text += sql[i + 1];
          i += 2;
        } else if (d === c && sql[i + 1] === c) {
          text += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      yield { start, end: i, kind: c === "'" ? "string" : "quoted", text };
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i]!)) i++;
      yield { start, end: i, kind: "word", text: sql.slice(start, i) };
    } else {
      i++;
      yield { start: i - 1, end: i, kind: c === "(" ? "open" : c === ")" ? "close" : "other", text: c };
    }
  }
}

/** An INSERT whose rows are in the statement text. */
export interface InlineInsert {
  /** `INSERT INTO [TABLE] target` up to the column list (or to what follows the target). */
  head: string;
  /** Column names as written, when the statement lists plain names. */
  columns?: string[];
  /** What stood between target/column list and VALUES/FORMAT (a SETTINGS clause). */
  middle: string;
  database?: string;
  /** Undefined for `INSERT INTO FUNCTION …` and other targets this does not describe. */
  table?: string;
  format: string;
  data: string;
}

const isWord = (token: Token | undefined, word: string): boolean => token?.kind === "word" && token.text.toUpperCase() === word;
const isName = (token: Token | undefined): token is Token => token?.kind === "word" || token?.kind === "quoted";

/** Splits an `INSERT … VALUES …` / `INSERT … FORMAT X <data>` statement; undefined for anything else. */
export function splitInlineInsert(sql: string): InlineInsert | undefined {
  const iterator = tokens(sql);
  const next = (): Token | undefined => iterator.next().value ?? undefined;
  let token = next();
  if (!isWord(token, "INSERT")) return undefined;
  token = next();
  if (!isWord(token, "INTO")) return undefined;
  token = next();
  if (isWord(token, "TABLE")) token = next();

  let database: string | undefined;
  let table: string | undefined;
  let headEnd: number;
  let depth = 0;
  if (isName(token) && !isWord(token, "FUNCTION")) {
    table = token.text;
    headEnd = token.end;
    token = next();
    if (token?.kind === "other" && token.text === ".") {
      const second = next();
      if (!isName(second)) return undefined;
      database = table;
      table = second.text;
      headEnd = second.end;
      token = next();
    }
  } else {
    // INSERT INTO FUNCTION f(...): rewritten without a structure (ClickHouse infers it).
    headEnd = token?.start ?? sql.length;
  }

  let columns: string[] | undefined;
  let middleStart = headEnd;
  if (table !== undefined && token?.kind === "open") {
    const names: string[] = [];
    let plain = true;
    let expectName = true;
    depth = 1;
    for (token = next(); token && depth > 0; token = next()) {
      if (token.kind === "open") depth++;
      else if (token.kind === "close") depth--;
      if (depth === 0) break;
      if (depth === 1 && token.kind === "other" && token.text === ",") {
        if (expectName) plain = false;
        expectName = true;
      } else if (depth === 1 && expectName && isName(token)) {
        names.push(token.text);
        expectName = false;
      } else {
        plain = false;
      }
    }
    if (!token) return undefined;
    if (plain && !expectName) columns = names;
    else table = undefined; // a column matcher or expression: leave the structure to ClickHouse
    middleStart = token.end;
    token = next();
  }

  for (; token; token = next()) {
    if (token.kind === "open") depth++;
    else if (token.kind === "close") depth--;
    if (depth !== 0 || token.kind !== "word") continue;
    const keyword = token.text.toUpperCase();
    if (keyword === "SELECT" || keyword === "WITH" || keyword === "FROM" || keyword === "WATCH") return undefined;
    if (keyword === "VALUES") {
      const data = sql.slice(token.end).replace(/;\s*$/, "");
      return { head: sql.slice(0, headEnd), columns, middle: sql.slice(middleStart, token.start), database, table, format: "Values", data };
    }
    if (keyword === "FORMAT") {
      const name = next();
      if (!isName(name)) return undefined;
      // As ClickHouse: the data starts after the format name, its blanks and one line break.
      const data = sql.slice(name.end).replace(/^[ \t]*(\r?\n)?/, "");
      return { head: sql.slice(0, headEnd), columns, middle: sql.slice(middleStart, token.start), database, table, format: name.text, data };
    }
  }
  return undefined;
}

function columnDeclaration(column: TargetColumn): string {
  const declaration = `${quoteIdentifier(column.name)} ${column.type}`;
  return column.default_kind === "DEFAULT" && column.default_expression ? `${declaration} DEFAULT ${column.default_expression}` : declaration;
}

/**
 * `sql` unchanged unless it is an INSERT with inline data; then the same insert as
 * `INSERT … SELECT * FROM format(…)`, which the engine runs without looking at stdin.
 */
export async function stdinSafeInsert(sql: string, describe: DescribeTarget): Promise<string> {
  const insert = splitInlineInsert(sql);
  if (!insert) return sql;
  let columns = insert.columns;
  let structure: string | undefined;
  if (insert.table !== undefined) {
    const described = await describe(insert.database, insert.table);
    const byName = new Map(described.map((column) => [column.name, column]));
    const chosen = columns
      ? columns.map((name) => byName.get(name))
      : described.filter((column) => column.default_kind !== "MATERIALIZED" && column.default_kind !== "ALIAS" && column.default_kind !== "EPHEMERAL");
    if (chosen.length > 0 && chosen.every((column) => column !== undefined)) {
      const found = chosen as TargetColumn[];
      structure = found.map(columnDeclaration).join(", ");
      columns = found.map((column) => column.name);
    }
  }
  const columnList = columns ? ` (${columns.map(quoteIdentifier).join(", ")})` : "";
  // No rows (format() refuses empty data): still checked against the target, nothing inserted.
  if (insert.data.trim() === "") return structure !== undefined ? `${insert.head}${columnList} SELECT * FROM null(${quoteString(structure)})` : "SELECT 1 WHERE 0";
  const source = structure !== undefined ? `format(${quoteIdentifier(insert.format)}, ${quoteString(structure)}, ${quoteString(insert.data)})` : `format(${quoteIdentifier(insert.format)}, ${quoteString(insert.data)})`;
  return `${insert.head}${columnList}${insert.middle.trimEnd() ? ` ${insert.middle.trim()}` : ""} SELECT * FROM ${source}`;
}

/** The `system.columns` query a DescribeTarget runs. */
export function describeTargetSql(database: string | undefined, table: string): string {
  return (
    "SELECT name, type, default_kind, default_expression FROM system.columns " +
    `WHERE database = ${database === undefined ? "currentDatabase()" : quoteString(database)} AND table = ${quoteString(table)} ORDER BY position`
  );
}
