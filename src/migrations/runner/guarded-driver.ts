/**
 * The driver a hand-written `run` step gets: every statement it sends is read by ClickHouse's
 * parser and judged like a `{ sql }` step before it reaches the database, so code cannot do what
 * a SQL step may not (several statements at once, or losing data without --allow-data-loss).
 */
import { ExitCode, MooseError } from "../../errors.js";
import type { ClickHouseDriver, QueryParams } from "../../infra/clickhouse/driver.js";
import { parseStatement, SqlParseError } from "../../infra/clickhouse/parser.js";
import { RESERVED_PREFIX } from "../../steps/index.js";
import { judgeStep } from "../../steps/judge.js";

function refuse(what: string): MooseError {
  return new MooseError("MIGRATION_DESTRUCTIVE", `a hand-written step tried ${what}; it was not run`, {
    exitCode: ExitCode.blockedDestructive,
    hint: "review the step; to run it anyway pass --allow-data-loss (or set MOOSE_ACCEPT_DESTRUCTIVE=1). The migration resumes at this step.",
  });
}

async function admit(sql: string, params: QueryParams | undefined, allowDataLoss: boolean): Promise<void> {
  let verdict;
  try {
    verdict = judgeStep({ sql }, await parseStatement(sql, params));
  } catch (error) {
    if (!(error instanceof SqlParseError)) throw error;
    throw new MooseError("MIGRATION_STEP_NOT_ONE_STATEMENT", `a hand-written step sent a text ClickHouse's parser does not read as exactly one statement (${error.message})`, {
      hint: "send one statement per ctx.clickhouse.exec/query call",
    });
  }
  if (verdict.consent && !allowDataLoss) throw refuse(`a statement that may delete data (${verdict.reasons.join("; ")})`);
}

export function guardedDriver(driver: ClickHouseDriver, allowDataLoss: boolean): ClickHouseDriver {
  return {
    kind: driver.kind,
    database: driver.database,
    exec: async (sql: string, params?: QueryParams) => {
      await admit(sql, params, allowDataLoss);
      return driver.exec(sql, params);
    },
    query: async <T = Record<string, unknown>>(sql: string, params?: QueryParams) => {
      await admit(sql, params, allowDataLoss);
      return driver.query<T>(sql, params);
    },
    queryCompact: async (sql: string, params?: QueryParams) => {
      await admit(sql, params, allowDataLoss);
      return driver.queryCompact(sql, params);
    },
    insert: async (table, rows, options) => {
      // The journal, state and lock say what is applied (the same rule as for statements).
      if (table.toLowerCase().startsWith(RESERVED_PREFIX) && !allowDataLoss) throw refuse(`to write ${table}, one of moose-ts's own tables`);
      return driver.insert(table, rows, options);
    },
    introspect: () => driver.introspect(),
    // The runner owns the connection: a step closing it would fail every later journal write.
    close: async () => {},
  };
}
