/**
 * The clients of callers the app's row policies scope (SelectRowPolicy): a request with a JWT, whose
 * claims choose its rows. On a ClickHouse server its queries run as the RLS user with the policies'
 * settings (the server applies the policies); on the embedded engine, which has no access control,
 * they run with the equivalent `additional_table_filters` and read-only (src/infra/clickhouse/row-policies.ts).
 */
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { MooseError } from "../errors.js";
import { tableFunctionsIn } from "../infra/clickhouse/parser.js";
import { emulatedRowFilters, MOOSE_RLS_USER, scopeSettings, tableFunctionRefusal } from "../infra/clickhouse/row-policies.js";
import type { RowPolicySpec } from "../manifest/types.js";
import type { MooseClient } from "../sdk/api.js";
import { REQUEST_SCOPE, type RequestScope } from "../sdk/request-scope.js";
import { createMooseClient } from "./client.js";

/** The client for a caller with these claims; undefined when the app has no row policies (the caller is not scoped). */
export type ScopedClients = (claims: Record<string, unknown>) => MooseClient | undefined;

/**
 * `driver`: the embedded engine, or a connection to the server as the RLS user (never the server's
 * main user, whom the policies do not apply to). `policies` is read per request (`moose dev` changes
 * them as the code changes).
 */
export function scopedClients(policies: () => readonly RowPolicySpec[], driver: ClickHouseDriver): ScopedClients {
  return (claims) => {
    const current = policies();
    if (current.length === 0) return undefined;
    const settings = scopeSettings(current, claims);
    if (driver.kind === "embedded") {
      // Set in this order: readonly = 1 comes last, since it refuses changing settings after it.
      return createMooseClient(driver, { settings: { additional_table_filters: emulatedRowFilters(current, driver.database, settings)!, readonly: "1" }, check: refuseTableFunctions });
    }
    return createMooseClient(driver, { settings });
  };
}

/** As a server refuses its RLS user a table function (what one reads is not filtered here either). */
async function refuseTableFunctions(sql: string, params: Record<string, unknown>): Promise<void> {
  const functions = await tableFunctionsIn(sql, params);
  if (functions.length > 0) {
    throw new MooseError("ROW_SCOPED_TABLE_FUNCTION", tableFunctionRefusal(MOOSE_RLS_USER, functions), {
      hint: "a request scoped by row policies reads the app's tables and views by name; table functions (merge(), numbers(), …) are not allowed",
    });
  }
}

/** On globalThis, where the app's copy of the SDK finds it (src/sdk/request-scope.ts). */
const requestScopes = ((globalThis as { [REQUEST_SCOPE]?: AsyncLocalStorage<RequestScope> })[REQUEST_SCOPE] ??= new AsyncLocalStorage<RequestScope>());

/** Runs a scoped request's handler so that `getMooseUtils()` in it returns the request's client. */
export function inRequestScope<T>(scope: RequestScope, run: () => T): T {
  return requestScopes.run(scope, run);
}
