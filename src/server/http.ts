/**
 * The production HTTP server (node:http): `/health`, consumption APIs under `/api/`, and the admin
 * API under `/admin/` behind `Authorization: Bearer <token>`. Routes are plain functions returning a
 * reply; this file owns the sockets, body limits, JSON encoding, errors and the request log. The
 * app's WebApps (./web-apps.ts) answer their mount paths with replies of their own.
 *
 * Every reply carries an `x-request-id`. A route that throws is a 500: for `/api/` and `/ingest/`
 * the client gets a generic message with the request id, never the error's text (which can hold
 * ClickHouse internals or a stack); the log has the whole error under the same id. Request bodies
 * must be valid UTF-8 and query strings must percent-decode to valid UTF-8 (400 otherwise).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isMooseError, MooseError } from "../errors.js";
import { logEvent } from "../logs/logger.js";
import type { ProcessReport } from "../streams/supervisor.js";
import { requestTarget } from "../infra/request-target.js";
import { checkCaller, ROW_POLICIES_NEED_JWT, rowPolicyAuth, webAppAuth, type ApiAuth, type Caller, type CallerCheck, type EndpointAuth } from "./api-auth.js";
import type { ScopedClients } from "./row-scope.js";
import { verifyAdminAuthorization } from "./auth.js";
import { decodeUtf8, parseQueryString } from "./input.js";
import type { IngestHandler } from "./ingest.js";
import type { ServedByWebApp, WebAppRouter } from "./web-apps.js";

export interface Reply {
  status: number;
  /** Serialised as JSON unless it is already a string (sent as is, with `contentType`). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Written to the request log with the reply, never sent (e.g. the ClickHouse error behind a 400). */
  logDetails?: unknown;
}

export interface AdminRequest {
  method: string;
  /** The route after `/admin/`, e.g. `inframap`. */
  route: string;
  /** The parsed JSON body for POST requests. */
  body: unknown;
}

export interface MooseServerOptions {
  host: string;
  port: number;
  /** Where the request log goes (`.moose/logs`). */
  projectDir: string;
  /** The configured `[authentication] admin_api_key`; empty refuses every admin request. */
  adminApiKey: string;
  /** Who may call /ingest and /api (API keys, JWT: ./api-auth.ts). */
  apiAuth: ApiAuth;
  /** Liveness of the backing services, for `/health`. */
  health: () => Promise<Record<string, "ok" | string>>;
  /** The stream processes' state and lag, for `/health` (a failed one makes it unhealthy; last errors are left out). */
  processes?: () => Promise<ProcessReport[]>;
  /** `/api/<path>` → reply, or undefined when no API has that path; `caller.jwt`: the claims of the request's valid JWT. */
  consumption: (path: string, query: URLSearchParams, caller: Caller) => Promise<Reply | undefined>;
  /** `POST /ingest/<path>` with its parsed JSON body → reply; `has` is asked before the body is read. */
  ingest?: IngestHandler;
  /** Authenticated admin requests → reply, or undefined for an unknown route. */
  admin: (request: AdminRequest) => Promise<Reply | undefined>;
  /** The app's WebApps (./web-apps.ts): they answer the requests under their mount paths themselves. */
  webApps?: WebAppRouter;
  /** The app's row policies (./row-scope.ts): while it has some, `/api` and WebApps take only a valid JWT (api-auth.ts). */
  scoped?: ScopedClients;
  /** Also shown a request that failed with a 500, besides the log (`moose dev` prints it on the terminal). */
  onFailure?: (failure: RequestFailure) => void;
}

/** What failed: a request (its method, path and id), or app code outside any request. */
export interface RequestFailure {
  method?: string;
  path: string;
  requestId?: string;
  error: unknown;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How long a client may take to send its request's headers, and the whole request (a body of MAX_BODY_BYTES at ≈ 200 KB/s). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** How often Node checks those timeouts (its default, 30 s, let a slow client keep a connection 20 s past the 10). */
const TIMEOUT_CHECK_MS = 1_000;

/** File descriptors kept for the rest of the process (the embedded engine's files, Kafka, logs) when connections are capped. */
const RESERVED_DESCRIPTORS = 512;

/**
 * The most connections the server holds at once: the process's open-file limit (Linux:
 * /proc/self/limits) less RESERVED_DESCRIPTORS, so that a flood of idle connections is refused at
 * the door instead of leaving the embedded engine without descriptors for its files. Undefined
 * (no cap) where the limit cannot be read.
 */
export function connectionCap(limits: string | undefined): number | undefined {
  const soft = limits === undefined ? undefined : /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (soft === undefined || soft === "unlimited") return undefined;
  return Math.max(64, Number(soft) - RESERVED_DESCRIPTORS);
}

function processLimits(): string | undefined {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined;
  }
}

export async function startMooseServer(options: MooseServerOptions): Promise<RunningServer> {
  const clientErrors = new ClientErrorLog(options.projectDir);
  const server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS }, (request, response) => {
    const started = performance.now();
    const requestId = randomUUID();
    response.once("close", () => releaseBodyBytes(request));
    // Named before a WebApp sees the request: the router rewrites request.url to the path below the mount.
    const path = loggedPath(request);
    const url = requestUrl(request);
    const served = url && options.webApps?.(request, response, url);
    if (served) {
      // A WebApp checks its callers itself: it gets the body as a client sends it after the 100.
      sendContinue(request);
      answerByWebApp(options, clientErrors, request, response, served, { path, requestId, started });
      return;
    }
    handle(options, request)
      .catch((error: unknown) => internalError(options, request.method, path, error, requestId))
      .then((reply) => {
        const sent = send(response, { ...reply, headers: { ...reply.headers, "x-request-id": requestId } });
        logRequest(options, clientErrors, request.method, path, sent, performance.now() - started, requestId);
      })
      .catch((error: unknown) => {
        // Nothing a request sends may end the process: a failure past the handler costs this connection at most.
        console.error(`moose-ts server: request ${requestId} failed while answering: ${(error as Error)?.message ?? String(error)}`);
        if (!response.headersSent) response.destroy();
      });
  });
  // `Expect: 100-continue`: Node would answer 100 before the handler ran, inviting the body of a
  // caller the handler then refuses (401, 404); the 100 goes out once the body is about to be read.
  server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    continueBeforeBody.set(request, () => response.writeContinue());
    server.emit("request", request, response);
  });
  const cap = connectionCap(processLimits());
  if (cap !== undefined) server.maxConnections = cap;
  // Node's defaults (60 s for the headers, 300 s for the request) let slow clients hold the connections up to the cap.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port));
    server.once("error", fail);
    server.listen(options.port, options.host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  // App code can reject a promise nothing waits for (an async Express 4 handler that throws):
  // Node would end the process and every request with it. It is logged (and shown) instead.
  const unhandled = (reason: unknown) => {
    logEvent(options.projectDir, { kind: "error", message: "a promise of the app rejected with nothing to catch it; the request it served, if any, got no reply", details: errorDetails(reason) });
    options.onFailure?.({ path: "a promise nothing awaited", error: reason });
  };
  process.on("unhandledRejection", unhandled);
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        process.off("unhandledRejection", unhandled);
        clientErrors.flush();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): unknown {
  const where = `${host}:${port}`;
  if (error.code === "EADDRINUSE") {
    return new MooseError("SERVER_PORT_IN_USE", `cannot listen on ${where}: another process uses the port`, {
      config: { key: "http_server_config.port" },
      hint: "stop the other process, or choose another port with --port or http_server_config.port",
      cause: error,
    });
  }
  if (error.code === "EACCES" || error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return new MooseError("SERVER_CANNOT_LISTEN", `cannot listen on ${where} (${error.code})`, {
      config: { key: error.code === "EACCES" ? "http_server_config.port" : "http_server_config.host" },
      hint: error.code === "EACCES" ? "ports below 1024 need privileges: use a higher port" : "use an address of this machine, e.g. 0.0.0.0 or localhost",
      cause: error,
    });
  }
  return error;
}

async function apiEndpoint(options: MooseServerOptions, url: URL, method: string, path: string, caller: Caller): Promise<Reply> {
  const shown = shownPath(path);
  if (method !== "GET") return methodNotAllowed("GET");
  let apiPath: string;
  try {
    apiPath = decodeURIComponent(path.slice(path.indexOf("/", 1) + 1));
  } catch {
    return { status: 400, body: { error: `malformed percent-encoding in ${shown}` } };
  }
  const query = parseQueryString(url.search);
  if (!query.ok) return { status: 400, body: { error: `invalid query parameters for ${shown}`, fields: query.errors } };
  const reply = await options.consumption(apiPath, query.query, caller);
  return reply ?? notFound(`no API at ${shown}`);
}

async function ingestEndpoint(options: MooseServerOptions, request: IncomingMessage, method: string, path: string): Promise<Reply> {
  if (method !== "POST") return methodNotAllowed("POST");
  let route: string;
  try {
    // A name that needs percent-encoding (a space, a quote, non-ASCII) is reached by it, as /api's are.
    route = decodeURIComponent(path.slice("/ingest/".length));
  } catch {
    return { status: 400, body: { error: `malformed percent-encoding in ${shownPath(path)}` } };
  }
  // Before the body: nobody gets up to MAX_BODY_BYTES read and parsed for a path that answers 404.
  if (!options.ingest?.has(route)) return notFound(`no ingest API at ${shownPath(path)}`);
  const parsed = await readJsonBody(request);
  if (!parsed.ok) return bodyFailure(parsed);
  return (await options.ingest(route, parsed.value)) ?? notFound(`no ingest API at ${shownPath(path)}`);
}

/** Whether a caller of `/api` or a WebApp is let in by `auth`, or by the stricter rule of an app with row policies. */
async function admitConsumer(options: MooseServerOptions, header: string | undefined, auth: EndpointAuth): Promise<({ ok: true } & Caller) | { ok: false; reply: Reply }> {
  const rules = options.scoped?.enabled() ? rowPolicyAuth(auth) : auth;
  if (!rules) return { ok: false, reply: { status: 403, body: { error: ROW_POLICIES_NEED_JWT } } };
  const caller = await checkCaller(header, rules);
  return caller.ok ? caller : { ok: false, reply: unauthorized(caller) };
}

/** A 401 with the reason, as every refused caller gets it. */
export function unauthorized(refusal: Extract<CallerCheck, { ok: false }>): Reply {
  return { status: 401, body: { error: `Unauthorized: ${refusal.reason}` }, headers: { "www-authenticate": "Bearer" } };
}

/**
 * CORS as MooseStack's server has it: the app's endpoints take no cookies and may be called, and
 * their replies read, by a page of any origin (`/admin` is left out).
 */
function readableAnywhere(reply: Reply): Reply {
  return { ...reply, headers: { ...reply.headers, "access-control-allow-origin": "*" } };
}

function corsPreflight(request: IncomingMessage): Reply {
  const asked = request.headers["access-control-request-headers"];
  return {
    status: 204,
    body: null,
    headers: {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      // The headers the page asks to send, when they are a plain list of names.
      "access-control-allow-headers": typeof asked === "string" && HEADER_NAMES.test(asked) ? asked : "Content-Type, Authorization",
      "access-control-max-age": "600",
    },
  };
}

const HEADER_NAMES = /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$/;

/** The request's URL; undefined when its target is not one (`GET http://a:b`, which Node's parser accepts). */
function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return requestTarget(request.url ?? "/");
  } catch {
    return undefined;
  }
}

/** `/a/b///` → `/a/b` (a loop: `/\/+$/` tries every slash of `/x////…a` to the end, quadratic in a 16 KB path). */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}

/** A path as replies and logs name it: at most 200 characters (a request's path can be 16 KB, and each bad request is logged). */
export function shownPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/** The path to name in logs: the parsed one, else the raw target. */
function loggedPath(request: IncomingMessage): string {
  return shownPath(requestUrl(request)?.pathname ?? request.url ?? "");
}

async function handle(options: MooseServerOptions, request: IncomingMessage): Promise<Reply> {
  const url = requestUrl(request);
  if (!url) return { status: 400, body: { error: "the request target is not a valid URL, or its path has a backslash or a dot segment" } };
  const method = request.method ?? "GET";
  const path = withoutTrailingSlashes(url.pathname);
  const shown = shownPath(path);

  if (path === "/health") {
    if (method !== "GET") return methodNotAllowed("GET");
    const [services, processes] = await Promise.all([options.health(), options.processes?.()]);
    const down = Object.fromEntries(Object.entries(services).filter(([, state]) => state !== "ok"));
    const healthy = Object.keys(down).length === 0 && !(processes ?? []).some((process) => process.state === "failed");
    // Anyone may ask /health: an error's text (it names internal hosts and users, it can quote record values)
    // stays in the log and `moose ls`.
    const listed = processes?.map(({ lastError: _lastError, ...process }) => process);
    const states = Object.fromEntries(Object.entries(services).map(([service, state]) => [service, state === "ok" ? "ok" : "unavailable"]));
    return {
      status: healthy ? 200 : 503,
      body: { status: healthy ? "ok" : "unhealthy", services: states, ...(listed ? { processes: listed } : {}) },
      ...(Object.keys(down).length > 0 ? { logDetails: new Error(Object.entries(down).map(([service, reason]) => `${service} unavailable: ${reason}`).join("; ")) } : {}),
    };
  }

  // As MooseStack's server: the app's endpoints may be called from web pages of any origin. Callers
  // are checked before anything else of the request is read (its body, whether the route exists).
  // `/consumption/<name>`: MooseStack's older prefix of the same APIs, still served by it and called by its users' pages.
  const isApi = path.startsWith("/api/") || path.startsWith("/consumption/");
  if (isApi || path.startsWith("/ingest/")) {
    if (method === "OPTIONS") return corsPreflight(request);
    if (isApi) {
      const caller = await admitConsumer(options, request.headers.authorization, options.apiAuth.consumption);
      return readableAnywhere(caller.ok ? await apiEndpoint(options, url, method, path, caller) : caller.reply);
    }
    const caller = await checkCaller(request.headers.authorization, options.apiAuth.ingest);
    return readableAnywhere(caller.ok ? await ingestEndpoint(options, request, method, path) : unauthorized(caller));
  }

  if (isAdminPath(path)) {
    const auth = await verifyAdminAuthorization(request.headers.authorization, options.adminApiKey);
    if (!auth.ok) return unauthorized(auth);
    let body: unknown;
    if (method === "POST") {
      const parsed = await readJsonBody(request);
      if (!parsed.ok) return bodyFailure(parsed);
      body = parsed.value;
    }
    const reply = await options.admin({ method, route: path.slice("/admin/".length), body });
    return reply ?? notFound(`no admin route ${shown}`);
  }

  return notFound(`no route ${shown || "/"}: see /health, /api/<name>, /ingest/<name>, /admin/inframap, /admin/plan, /admin/reality-check`);
}

export function methodNotAllowed(allowed: string): Reply {
  return { status: 405, body: { error: `method not allowed (use ${allowed})` }, headers: { allow: allowed } };
}

function notFound(message: string): Reply {
  return { status: 404, body: { error: message } };
}

function isAdminPath(path: string): boolean {
  return path === "/admin" || path.startsWith("/admin/");
}

export type BodyFailure = { ok: false; status: 400 | 413 | 415 | 503; error: string };
type BodyResult = { ok: true; value: unknown } | BodyFailure;

/** A body refused: not UTF-8 JSON (400), too large (413), or the budget for bodies in flight spent (503, retry). */
export function bodyFailure(failure: BodyFailure): Reply {
  return { status: failure.status, body: { error: failure.error }, ...(failure.status === 503 ? { headers: { "retry-after": "1" } } : {}) };
}

/**
 * Bytes of request bodies read by requests not yet answered, across the process. A body parses to
 * many times its size (10 MB of `[{},…]` is ≈ 200 MB of objects), held until its request is
 * answered: without a bound, a few dozen parallel uploads of MAX_BODY_BYTES end the process.
 */
const MAX_BODY_BYTES_IN_FLIGHT = 4 * MAX_BODY_BYTES;
let bodyBytesInFlight = 0;
const bodyBytesHeld = new WeakMap<IncomingMessage, number>();

/** Gives back what `request`'s body held of the budget: once its response is done or cut. */
function releaseBodyBytes(request: IncomingMessage): void {
  bodyBytesInFlight -= bodyBytesHeld.get(request) ?? 0;
  bodyBytesHeld.delete(request);
}

/** Requests that asked `Expect: 100-continue`, answered only when their body is read (checkContinue above). */
const continueBeforeBody = new WeakMap<IncomingMessage, () => void>();

function sendContinue(request: IncomingMessage): void {
  continueBeforeBody.get(request)?.();
  continueBeforeBody.delete(request);
}

/** The request's body, up to MAX_BODY_BYTES, within the budget of bodies in flight. */
export async function readBody(request: IncomingMessage): Promise<{ ok: true; bytes: Buffer } | BodyFailure> {
  sendContinue(request);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = (chunk as Buffer).length;
    size += bytes;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, error: `request body larger than ${MAX_BODY_BYTES} bytes` };
    if (bodyBytesInFlight + bytes > MAX_BODY_BYTES_IN_FLIGHT) {
      return { ok: false, status: 503, error: "the server is holding as many request bodies as it takes at once: retry shortly" };
    }
    bodyBytesInFlight += bytes;
    bodyBytesHeld.set(request, (bodyBytesHeld.get(request) ?? 0) + bytes);
    chunks.push(chunk as Buffer);
  }
  return { ok: true, bytes: Buffer.concat(chunks) };
}

async function readJsonBody(request: IncomingMessage): Promise<BodyResult> {
  // A compressed body is not read as if it were JSON text ("not valid UTF-8" would not say why).
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    return { ok: false, status: 415, error: `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the body uncompressed` };
  }
  const body = await readBody(request);
  if (!body.ok) return body;
  const text = decodeUtf8(body.bytes);
  if (text === undefined) return { ok: false, status: 400, error: "request body is not valid UTF-8" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, status: 400, error: `request body is not valid JSON: ${(error as Error).message}` };
  }
}

function internalError(options: MooseServerOptions, method: string | undefined, path: string, error: unknown, requestId: string): Reply {
  logEvent(options.projectDir, {
    kind: "error",
    message: `${method} ${path} failed`,
    details: { requestId, ...errorDetails(error) },
  });
  options.onFailure?.({ ...(method !== undefined ? { method } : {}), path, requestId, error });
  if (isAdminPath(path)) {
    // Admin clients are authenticated operators (moose plan --url): they get the reason.
    const message = isMooseError(error) ? `${error.code}: ${error.message}` : (error as Error)?.message ?? String(error);
    return { status: 500, body: { error: message } };
  }
  return { status: 500, body: { error: `internal error (request id ${requestId}); the server log has the details`, requestId } };
}

function errorDetails(error: unknown): Record<string, unknown> {
  if (isMooseError(error)) return error.toJSON() as unknown as Record<string, unknown>;
  return { message: (error as Error)?.message ?? String(error), stack: (error as Error)?.stack };
}

/**
 * A WebApp writes its own response. The server adds the request id, logs failures like its own
 * routes', and answers a handler that threw with a 500 (or cuts the connection when the handler had
 * started but not finished its reply); the process keeps serving.
 */
function answerByWebApp(
  options: MooseServerOptions,
  clientErrors: ClientErrorLog,
  request: IncomingMessage,
  response: ServerResponse,
  served: ServedByWebApp,
  { path, requestId, started }: { path: string; requestId: string; started: number },
): void {
  response.setHeader("x-request-id", requestId);
  response.once("finish", () => {
    const reply = { status: response.statusCode, body: `answered by WebApp "${served.webApp}"` };
    logRequest(options, clientErrors, request.method, path, reply, performance.now() - started, requestId);
  });
  const serve = async () => {
    const caller = await admitConsumer(options, request.headers.authorization, webAppAuth(options.apiAuth.consumption));
    if (caller.ok) await served.serve(caller);
    else send(response, { ...caller.reply, headers: { ...caller.reply.headers, "x-request-id": requestId } });
  };
  serve().catch((error: unknown) => {
    const reply = internalError(options, request.method, path, error, requestId);
    if (response.writableEnded) return;
    if (response.headersSent) response.destroy();
    else send(response, { ...reply, headers: { "x-request-id": requestId } });
  });
}

/** Writes the reply; returns what was sent (a 500 instead, when the body cannot be written as JSON). */
export function send(response: ServerResponse, reply: Reply): Reply {
  const isText = typeof reply.body === "string";
  let payload: string;
  try {
    payload = isText ? (reply.body as string) : JSON.stringify(reply.body, bigintAsString);
  } catch (error) {
    // Longer than a string may be, or nested too deep: the client gets a 500, the log the reason.
    const body = { error: `internal error (request id ${reply.headers?.["x-request-id"] ?? "unknown"}): the reply could not be written as JSON` };
    payload = JSON.stringify(body);
    reply = { status: 500, body, ...(reply.headers ? { headers: reply.headers } : {}), logDetails: error };
  }
  // 204 and 304 carry no body (a handler's `{ status: 204, body }` included).
  if (reply.status === 204 || reply.status === 304) {
    response.writeHead(reply.status, { ...reply.headers });
    response.end();
    return reply;
  }
  response.writeHead(reply.status, {
    "content-type": reply.contentType ?? (isText ? "text/plain; charset=utf-8" : "application/json"),
    "content-length": Buffer.byteLength(payload),
    ...reply.headers,
  });
  response.end(payload);
  return reply;
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Client errors (4xx) logged one by one in a minute; the rest of that minute's are counted. */
const CLIENT_ERRORS_LOGGED_PER_MINUTE = 100;
const MINUTE_MS = 60_000;

/**
 * Keeps anyone who can reach the port from rotating the log's history away (migrations, admin
 * requests, failures) with a flood of bad requests: past CLIENT_ERRORS_LOGGED_PER_MINUTE in a
 * minute, client errors are counted by status and written as one line when the minute is over (at
 * the next client error) or the server closes. Server errors (5xx) are always logged.
 */
class ClientErrorLog {
  private minuteStarted = 0;
  private logged = 0;
  private readonly unlogged = new Map<number, number>();

  constructor(private readonly projectDir: string) {}

  /** Whether this client error is logged on its own line. */
  admit(status: number, now = Date.now()): boolean {
    if (now - this.minuteStarted >= MINUTE_MS) {
      this.flush();
      this.minuteStarted = now;
      this.logged = 0;
    }
    if (this.logged < CLIENT_ERRORS_LOGGED_PER_MINUTE) {
      this.logged++;
      return true;
    }
    this.unlogged.set(status, (this.unlogged.get(status) ?? 0) + 1);
    return false;
  }

  flush(): void {
    if (this.unlogged.size === 0) return;
    const counts = Object.fromEntries([...this.unlogged].sort(([a], [b]) => a - b));
    const total = [...this.unlogged.values()].reduce((sum, count) => sum + count, 0);
    this.unlogged.clear();
    logEvent(this.projectDir, {
      kind: "server",
      level: "warn",
      message: `${total} more client error${total === 1 ? "" : "s"} (4xx) in the minute from ${new Date(this.minuteStarted).toISOString()}, not logged one by one (at most ${CLIENT_ERRORS_LOGGED_PER_MINUTE} a minute are)`,
      details: { unloggedByStatus: counts, since: new Date(this.minuteStarted).toISOString() },
    });
  }
}

/** Admin requests and failures are logged; successful API calls are not (they can be very frequent). */
function logRequest(options: MooseServerOptions, clientErrors: ClientErrorLog, method: string | undefined, path: string, reply: Reply, durationMs: number, requestId: string): void {
  if (!path.startsWith("/admin") && reply.status < 400) return;
  if (reply.status >= 400 && reply.status < 500 && !clientErrors.admit(reply.status)) return;
  logEvent(options.projectDir, {
    kind: "server",
    level: reply.status >= 500 ? "error" : reply.status >= 400 ? "warn" : "info",
    message: `${method} ${path} → ${reply.status}`,
    durationMs,
    details: {
      status: reply.status,
      requestId,
      ...(reply.status >= 400 ? { reply: reply.body } : {}),
      ...(reply.logDetails !== undefined ? { cause: errorDetails(reply.logDetails) } : {}),
    },
  });
}
