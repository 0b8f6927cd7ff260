/**
 * The `client` an Api handler receives: queries built with the `sql` tag run on the server's
 * ClickHouse driver with every interpolated value bound as a query parameter (`{p0:String}`),
 * never spliced into the SQL text. A plain string is refused, so concatenated SQL cannot slip in.
 */
import { MooseError } from "../errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { MooseClient, QueryResult, WorkflowClient } from "../sdk/api.js";
import { isSql, toQuery, type Sql } from "../sdk/sql.js";

/**
 * `client.workflow` of Api handlers: set by `moose dev`/`moose prod` while they run the project's
 * Temporal worker (`[features] workflows = true`, src/workflows/api-client.ts); read at call time,
 * so every handler served by this process sees it.
 */
let workflowClient: WorkflowClient | undefined;

export function setWorkflowClient(client: WorkflowClient | undefined): void {
  workflowClient = client;
}

const noWorkflows: WorkflowClient = {
  async execute(name) {
    return { status: 503, body: JSON.stringify({ error: `cannot start workflow ${name}: workflows are not enabled ([features] workflows = false)` }) };
  },
  async terminate(workflowId) {
    return { status: 503, body: JSON.stringify({ error: `cannot terminate workflow ${workflowId}: workflows are not enabled ([features] workflows = false)` }) };
  },
};

/** The workflow client this process serves (one that answers 503 while workflows are not run). */
export function currentWorkflowClient(): WorkflowClient {
  return workflowClient ?? noWorkflows;
}

/** A caller the app's row policies apply to (./row-scope.ts). */
export interface ClientScope {
  /** The settings a query runs with; refuses (throws) a query the scope does not allow, before it runs. */
  settings(sql: string, params: Record<string, unknown>): Promise<Record<string, string>>;
}

/** `scope`: its queries are scoped, and it may not write (on a server it is the RLS user, who holds SELECT only). */
export function createMooseClient(driver: ClickHouseDriver, scope?: ClientScope): MooseClient {
  return {
    get workflow(): WorkflowClient {
      return currentWorkflowClient();
    },
    query: {
      get client(): never {
        throw new MooseError("API_RAW_CLIENT", "client.query.client (the raw @clickhouse/client) is not available inside an Api handler served by moose-ts", {
          hint: "use client.query.execute(sql`…`) here, or `(await getMooseUtils()).client.query.client` for a raw client of [clickhouse_config]",
        });
      },
      async execute<T>(statement: Sql): Promise<QueryResult<T>> {
        const [text, params] = toQuery(requireSql(statement));
        const rows = await driver.query<T>(text, params, await scope?.settings(text, params));
        return { json: async () => rows };
      },
      async command(statement: Sql): Promise<void> {
        const [text, params] = toQuery(requireSql(statement));
        if (scope) {
          throw new MooseError("ROW_SCOPED_WRITE", "client.query.command() in a request scoped by row policies: a scoped client only reads", {
            hint: "the request's JWT scopes its queries to its rows (SelectRowPolicy); write through OlapTable.insert or an ingest API",
          });
        }
        await driver.exec(text, params);
      },
    },
  };
}

function requireSql(statement: unknown): Sql {
  if (isSql(statement)) return statement;
  throw new MooseError("API_QUERY_NOT_SQL", "client.query.execute() was given a plain string instead of a sql`…` statement", {
    hint: "build queries with the sql tag (sql`SELECT … WHERE id = ${id}`) so values are bound as parameters",
  });
}
