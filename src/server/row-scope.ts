/**
 * The clients of callers the app's row policies scope (SelectRowPolicy): a request with a JWT, whose
 * claims choose its rows. On a ClickHouse server its queries run as the RLS user with the policies'
 * settings (the server applies the policies); on the embedded engine, which has no access control,
 * they run with the equivalent `additional_table_filters`, read-only, and only as SELECTs that read the app's
 * tables by name (src/infra/clickhouse/row-policy-emulation.ts).
 */
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { MooseError } from "../errors.js";
import { MOOSE_RLS_USER, scopeSettings } from "../infra/clickhouse/row-policies.js";
import { scopeStatement } from "../infra/clickhouse/row-policy-emulation.js";
import type { RowPolicySpec } from "../manifest/types.js";
import type { MooseClient } from "../sdk/api.js";
import { REQUEST_SCOPE, type RequestScope } from "../sdk/request-scope.js";
import { createMooseClient } from "./client.js";

export interface ScopedClients {
  /** Whether the app has row policies now. */
  enabled(): boolean;
  /** The client for a caller with these claims; undefined when the app has no row policies (the caller is not scoped). */
  clientFor(claims: Record<string, unknown>): MooseClient | undefined;
}

/**
 * `driver`: the embedded engine, or a connection to the server as the RLS user (never the server's
 * main user, whom the policies do not apply to). `policies` is read per request (`moose dev` changes
 * them as the code changes).
 */
export function scopedClients(policies: () => readonly RowPolicySpec[], driver: ClickHouseDriver): ScopedClients {
  const enabled = () => policies().length > 0;
  const clientFor = (claims: Record<string, unknown>): MooseClient | undefined => {
    const current = policies();
    if (current.length === 0) return undefined;
    const settings = scopeSettings(current, claims);
    if (driver.kind === "remote") return createMooseClient(driver, { settings: async () => settings });
    return createMooseClient(driver, {
      settings: async (sql, params) => {
        const scoped = await scopeStatement(driver, MOOSE_RLS_USER, sql, params, current, settings);
        if ("refusal" in scoped) {
          throw new MooseError("ROW_SCOPED_STATEMENT_REFUSED", scoped.refusal, {
            hint: "a request scoped by row policies reads the app's tables and views by name, with SELECT: no table functions, dictionaries, file(), PREWHERE or other databases' tables",
          });
        }
        return scoped.settings;
      },
    });
  };
  return { enabled, clientFor };
}

/** On globalThis, where the app's copy of the SDK finds it (src/sdk/request-scope.ts). */
const requestScopes = ((globalThis as { [REQUEST_SCOPE]?: AsyncLocalStorage<RequestScope> })[REQUEST_SCOPE] ??= new AsyncLocalStorage<RequestScope>());

/**
 * The scope of a request with a valid JWT: its claims, and the client its handler reads with (scoped
 * by the app's row policies when it has some, else `client`).
 */
export function requestScope(client: MooseClient, jwt: Record<string, unknown>, scoped: ScopedClients | undefined): RequestScope {
  return { client: scoped?.clientFor(jwt) ?? client, jwt };
}

/** Runs a handler so that `getMooseUtils()` in it returns the request's client and claims. */
export function inRequestScope<T>(scope: RequestScope, run: () => T): T {
  return requestScopes.run(scope, run);
}
