/**
 * The Api or WebApp request with a valid JWT whose handler is running: `getMooseUtils()` called from
 * that handler, or from code it calls, returns the request's claims and client (scoped by the app's
 * row policies when it has some), as in MooseStack, rather than a client of the configured ClickHouse. The
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
