/**
 * The Api request whose handler is running, when the app's row policies scope it (a request with a
 * JWT): `getMooseUtils()` called from that handler, or from code it calls, returns the request's
 * scoped client, as in MooseStack, rather than an unscoped client of the configured ClickHouse. The
 * server keeps the AsyncLocalStorage (src/server/row-scope.ts) on globalThis under a registered
 * symbol, since the app's copy of the SDK is another module instance; the SDK only reads it, so it
 * needs no Node import.
 */
import type { MooseClient } from "./api.js";

export const REQUEST_SCOPE = Symbol.for("moose-ts.request-scope");

export interface RequestScope {
  client: MooseClient;
  jwt?: Record<string, unknown>;
}

export function currentRequestScope(): RequestScope | undefined {
  const storage = (globalThis as { [REQUEST_SCOPE]?: { getStore(): RequestScope | undefined } })[REQUEST_SCOPE];
  return storage?.getStore();
}
