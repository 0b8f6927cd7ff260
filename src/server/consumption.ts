/**
 * Consumption APIs: `/api/<path>` for each Api object of the app (`name`, or `name/version`, and
 * the other addresses MooseStack gives a versioned API: ./api-paths.ts).
 * Query parameters are coerced and validated against the API's params JSON Schema (400 with one
 * entry per field on failure); the handler gets `{ client, sql }`, and `jwt` (the claims) when the
 * request carried a valid JWT (./api-auth.ts) — whose claims then scope its queries to the rows the app's
 * row policies give them (./row-scope.ts); its result is sent as JSON. A
 * handler refusing its input with MooseStack's BadRequestError or typia's TypeGuardError is a 400;
 * one returning `{ status, body }` answers with that status.
 */
import { MooseError } from "../errors.js";
import type { Api, MooseClient } from "../sdk/api.js";
import { sql } from "../sdk/sql.js";
import type { Caller } from "./api-auth.js";
import { shownPath, unauthorized, type Reply } from "./http.js";
import { inRequestScope, requestScope, type ScopedClients } from "./row-scope.js";
import { apiResolver } from "./api-paths.js";
import { compileParamsValidator, type ParamsValidator } from "./params.js";

interface Route {
  api: Api<unknown>;
  validate: ParamsValidator;
}

/** `scoped`: the client of a caller with a JWT when the app has row policies (./row-scope.ts). */
export function consumptionRoutes(
  apis: readonly Api<unknown>[],
  client: MooseClient,
  scoped?: ScopedClients,
): (path: string, query: URLSearchParams, caller?: Caller) => Promise<Reply | undefined> {
  const routes = new Map<string, Route>();
  for (const api of apis) routes.set(api.id, { api, validate: compileValidator(api) });
  const resolve = apiResolver(apis.map((api) => ({ name: api.name, ...(api.config.version !== undefined ? { version: api.config.version } : {}), path: api.id })));

  return async (path, query, caller) => {
    const resolved = resolve(path, query);
    const route = resolved === undefined ? undefined : routes.get(resolved);
    if (!route) return notFound(path, [...routes.keys()]);
    const checked = route.validate(query);
    if (!checked.ok) {
      return { status: 400, body: { error: `invalid query parameters for /api/${path}`, fields: checked.errors } };
    }
    const jwt = caller?.jwt;
    // The server lets only a valid JWT in while the app has row policies (./http.ts); they may have come with a reload since.
    if (!jwt && scoped?.enabled()) return unauthorized({ ok: false, reason: "the app's row policies need a valid JWT" });
    const scope = jwt ? requestScope(client, jwt, scoped) : undefined;
    let result: unknown;
    try {
      const handle = () => route.api.getHandler()(checked.params, { client, sql, ...scope });
      // getMooseUtils() inside the handler gives the same client and claims.
      result = await (scope ? inRequestScope(scope, handle) : handle());
    } catch (error) {
      const refused = refusedInput(error);
      if (refused) return refused;
      throw error;
    }
    if (isQueryResult(result)) return { status: 200, body: await result.json() };
    if (isStatusReply(result)) {
      // As in MooseStack: the body is sent as JSON whatever it is (a string too), with the status given.
      return typeof result.body === "string" ? { status: result.status, body: JSON.stringify(result.body), contentType: "application/json" } : { status: result.status, body: result.body ?? null };
    }
    return { status: 200, body: result ?? null };
  };
}

/**
 * `{ status, body }` from a handler (what `client.workflow.execute` returns): that status and body.
 * Only a final status: a 1xx is an interim answer HTTP sends before the real one, so a client would
 * wait for a reply that never comes (or take the next request's for it on a kept-alive connection).
 */
function isStatusReply(value: unknown): value is { status: number; body: unknown } {
  if (typeof value !== "object" || value === null || !("body" in value) || !("status" in value)) return false;
  const { status } = value as { status: unknown };
  return typeof status === "number" && Number.isInteger(status) && status >= 200 && status <= 599;
}

/**
 * A handler that rejects its input the MooseStack way answers 400 with the reason: a
 * BadRequestError (assertValid, createQueryHandler) with the fields at fault, or typia's
 * TypeGuardError (typia.assert) with its message. Both describe the request, not the server.
 */
function refusedInput(error: unknown): Reply | undefined {
  if (!(error instanceof Error)) return undefined;
  const toJSON = (error as { toJSON?: unknown }).toJSON;
  if (error.name === "BadRequestError" && typeof toJSON === "function") return { status: 400, body: toJSON.call(error) };
  if (Object.getPrototypeOf(error)?.constructor?.name === "TypeGuardError") return { status: 400, body: { error: error.message } };
  return undefined;
}

function compileValidator(api: Api<unknown>): ParamsValidator {
  try {
    return compileParamsValidator(api.schema);
  } catch (error) {
    throw new MooseError("API_SCHEMA_INVALID", `the params schema of API "${api.id}" is not valid JSON Schema: ${(error as Error).message}`, {
      location: api.source,
      hint: "simplify the API's params type (flat fields of string, number, boolean, Date or arrays of them)",
      cause: error,
    });
  }
}

/** Handlers may return the QueryResult of client.query.execute() itself, as in MooseStack. */
function isQueryResult(value: unknown): value is { json(): Promise<unknown> } {
  return typeof value === "object" && value !== null && typeof (value as { json?: unknown }).json === "function";
}

function notFound(path: string, known: string[]): Reply {
  const versions = known.filter((candidate) => candidate.startsWith(`${path}/`));
  const message = versions.length > 0
    ? `no API at /api/${path}; it has versions: ${versions.map((candidate) => `/api/${candidate}`).join(", ")}`
    : `no API at ${shownPath(`/api/${path}`)}`;
  return { status: 404, body: { error: message } };
}
