/**
 * The `client` an Api handler receives: queries built with the `sql` tag run on the server's
 * ClickHouse driver with every interpolated value bound as a query parameter (`{p0:String}`),
 * never spliced into the SQL text. A plain string is refused, so concatenated SQL cannot slip in.
 */
import { MooseError } from "../errors.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { MooseClient, QueryResult } from "../sdk/api.js";
import { isSql, toQuery, type Sql } from "../sdk/sql.js";

export function createMooseClient(driver: ClickHouseDriver): MooseClient {
  return {
    query: {
      get client(): never {
        throw new MooseError("API_RAW_CLIENT", "client.query.client (the raw @clickhouse/client) is not available inside an Api handler served by moose-ts", {
          hint: "use client.query.execute(sql`…`) here, or `(await getMooseUtils()).client.query.client` for a raw client of [clickhouse_config]",
        });
      },
      async execute<T>(statement: Sql): Promise<QueryResult<T>> {
        const [text, params] = toQuery(requireSql(statement));
        const rows = await driver.query<T>(text, params);
        return { json: async () => rows };
      },
      async command(statement: Sql): Promise<void> {
        const [text, params] = toQuery(requireSql(statement));
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
