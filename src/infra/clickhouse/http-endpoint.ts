/**
 * The local ClickHouse HTTP interface: `moose dev` serves the embedded engine on
 * `clickhouse_config.host_port` so @clickhouse/client, curl and other ClickHouse HTTP tools can
 * connect with the configured user/password, as they would to a server.
 *
 * Supported: query in the URL (`query=`) and/or the body (URL query + body data, as for
 * `INSERT … FORMAT X`), `database`, `default_format` and FORMAT clauses, `query_id`, settings as URL
 * parameters, `param_<name>` query parameters (URL or multipart body), basic auth /
 * X-ClickHouse-User + X-ClickHouse-Key / `user` + `password` parameters, gzip/deflate/br request and
 * response bodies, `/ping`, ClickHouse-style errors with X-ClickHouse-Exception-Code, and the
 * X-ClickHouse-Summary header. Sessions (`session_id`) are accepted but each request runs alone.
 * Requests sent by web pages that are not on this machine are refused (fromElsewhere).
 *
 * Which requests write is ClickHouse's to say, not the SQL text's: a statement runs with
 * `readonly = 1` first (only reads pass: not even a temporary table or an INSERT INTO FUNCTION), and
 * again without it only when the engine refused it as a write (READONLY). `moose dev` reads its
 * applied state again after a write through the endpoint (`moose migrate up`), never after a read.
 * A GET or HEAD is a read only (notAReadToRun), never run again as a write.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { MooseError } from "../../errors.js";
import { clickHouseCodeOf, READONLY } from "./errors.js";
import { quoteString } from "./quote.js";
import { MOOSE_RLS_SETTING_PREFIX } from "./row-policies.js";
import { scopeStatement } from "./row-policy-emulation.js";
import type { RowPolicySpec } from "../../manifest/types.js";
import { requestTarget } from "../request-target.js";
import type { RawClickHouseDriver, RawQueryOptions, RawQueryResult } from "./raw.js";

const DEFAULT_HOST = "127.0.0.1";

export interface ClickHouseHttpOptions {
  /** Interface to bind; default 127.0.0.1 (local only). */
  host?: string;
  /** 0 → any free port. */
  port: number;
  user: string;
  password: string;
  /**
   * The RLS user (clickhouse_config.rls_user), who reads through the app's row policies as on a
   * server: its statements must be reads, and run with the policies' filters for its
   * `SQL_moose_rls_*` settings (./row-policies.ts). Absent: only `user` is answered.
   */
  rowPolicies?: { user: string; password: string; policies: () => readonly RowPolicySpec[] };
}

/** Statements through the endpoint that ClickHouse ran as writes: how many started so far, and how many are running. */
export interface EndpointWrites {
  started: number;
  running: number;
}

export interface ClickHouseHttpEndpoint {
  /** `http://host:port` */
  url: string;
  port: number;
  /** Someone outside may have changed the database since `before` if a write started since, or was running then or is now. */
  writes(): EndpointWrites;
  close(): Promise<void>;
}

export function wroteSince(before: EndpointWrites, now: EndpointWrites): boolean {
  return before.running > 0 || now.running > 0 || now.started !== before.started;
}

/** URL parameters that are not settings. */
const RESERVED_PARAMS = new Set([
  "query",
  "database",
  "default_format",
  "query_id",
  "user",
  "password",
  "quota_key",
  "session_id",
  "session_timeout",
  "session_check",
  "role",
  "compress",
  "decompress",
]);

/** Settings of the HTTP layer itself: accepted, applied here or meaningless in-process. */
const HTTP_ONLY_SETTINGS = new Set([
  "enable_http_compression",
  "http_zlib_compression_level",
  "http_native_compression_disable_checksumming_on_decompress",
  "send_progress_in_http_headers",
  "http_headers_progress_interval_ms",
  "http_send_progress_interval_ms",
  "wait_end_of_query",
  "buffer_size",
  "http_response_buffer_size",
  "cancel_http_readonly_queries_on_client_close",
  "http_wait_end_of_query",
  "http_write_exception_in_output_format",
  "http_response_compression_method",
]);

/**
 * Settings a GET (or the RLS user) may give: what shapes and limits a read (`date_time_input_format`:
 * how date-time strings are read, which the SDK's clients send with every query). Others can reach
 * files (a format's schema or template, written or read: `output_format_schema`, `format_template_*`)
 * or the terminal, so a request a page could send without credentials in a header takes only these.
 */
const GET_SETTINGS = new Set([
  "result_overflow_mode",
  "timeout_overflow_mode",
  "extremes",
  "join_use_nulls",
  "session_timezone",
  "date_time_output_format",
  "date_time_input_format",
  "output_format_decimal_trailing_zeros",
  "readonly",
]);
const GET_SETTING_PREFIXES = ["max_", "output_format_json_", "output_format_pretty_", "output_format_csv_", "output_format_tsv_"];
/** Never given to the engine: chdb prints the logs they ask for on dev's terminal, escape sequences and all. */
const TERMINAL_SETTINGS = new Set(["send_logs_level", "send_logs_source_regexp"]);

const AUTHENTICATION_FAILED = 516;
const ACCESS_DENIED = 497;
const BAD_ARGUMENTS = 36;
const MEMORY_LIMIT_EXCEEDED = 241;
/** Printable ASCII: what an HTTP header value carries as is. */
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** Host names of this machine, as a URL's `hostname` writes them. */
const LOCAL_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined; // `null` (a sandboxed frame, a file), or not a URL
  }
}

/**
 * Why a request comes from a web page that is not on this machine, if it does. Without this any
 * page a developer opens could post statements with the default credentials (a cross-site POST or
 * no-cors HEAD runs even though the page cannot read the answer), or, through DNS rebinding, read
 * the tables. Browsers name the page's site (`Sec-Fetch-Site`, `Origin`) and the name the page used
 * for this server (`Host`); ClickHouse's clients, curl and drivers send no `Origin` or
 * `Sec-Fetch-Site`, and a local `Host`.
 */
function fromElsewhere(request: IncomingMessage, boundHost: string): string | undefined {
  const { host, origin } = request.headers;
  const site = request.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") return `a request from a web page of another site (Sec-Fetch-Site: ${site})`;
  if (origin !== undefined) {
    const name = hostnameOf(origin);
    if (name === undefined || !LOCAL_HOSTNAMES.has(name)) return `a request from a web page of another origin (${origin.slice(0, 200)})`;
  }
  // Bound to every interface, the server has names this cannot know.
  if (host !== undefined && boundHost !== "0.0.0.0" && boundHost !== "::") {
    const name = hostnameOf(`http://${host}`);
    const bound = boundHost.includes(":") ? `[${boundHost}]` : boundHost;
    if (name === undefined || !(LOCAL_HOSTNAMES.has(name) || name === bound)) return `a request for another host name (Host: ${host.slice(0, 200)})`;
  }
  return undefined;
}

/** ClickHouse's HTTP status for an exception code (what HTTPHandler does). */
function httpStatus(code: number | undefined): number {
  if (code === undefined) return 500;
  if ([192, 193, 194, AUTHENTICATION_FAILED].includes(code)) return 401;
  if ([164, ACCESS_DENIED, 291].includes(code)) return 403; // READONLY, ACCESS_DENIED, DATABASE_ACCESS_DENIED
  if ([46, 47, 50, 60, 81, 63, 82].includes(code)) return 404; // UNKNOWN_FUNCTION/IDENTIFIER/TYPE/TABLE/DATABASE…
  if ([27, 6, 38, 41, 62, 26, 115, 130, 117, 36, 43, 53, 69, 456, 457].includes(code)) return 400;
  return 500;
}

function contentType(format: string): string {
  if (/^JSON/i.test(format)) return "application/json; charset=UTF-8";
  if (/^(TabSeparated|TSV)/i.test(format)) return "text/tab-separated-values; charset=UTF-8";
  if (/^CSV/i.test(format)) return "text/csv; charset=UTF-8; header=absent";
  if (/^(Pretty|Vertical|Markdown|Values|XML)/i.test(format)) return "text/plain; charset=UTF-8";
  return "application/octet-stream";
}

/** The last FORMAT clause of a statement, if any (what decides the output format). */
function formatClause(sql: string): string | undefined {
  const match = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$/i.exec(sql.trim());
  return match?.[1];
}

function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

interface Credentials {
  user: string;
  password: string;
}

function credentialsOf(request: IncomingMessage, params: URLSearchParams): Credentials {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith("Basic ")) {
    const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? { user: decoded, password: "" } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const headerUser = request.headers["x-clickhouse-user"];
  if (typeof headerUser === "string") {
    const key = request.headers["x-clickhouse-key"];
    return { user: headerUser, password: typeof key === "string" ? key : "" };
  }
  return { user: params.get("user") ?? "default", password: params.get("password") ?? "" };
}

/**
 * The most a request's body may hold, compressed or not. The statement (its inline INSERT data
 * included) becomes one string for the engine, so a larger body cannot run here anyway: past this it
 * is refused before it fills the process's memory (a gzip bomb, or an upload a server would stream).
 */
export const MAX_ENDPOINT_BODY_BYTES = 256 * 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  // A body announced as too large is refused before a byte of it is read.
  if (Number(request.headers["content-length"] ?? 0) > MAX_ENDPOINT_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request) {
    received += (chunk as Buffer).length;
    if (received > MAX_ENDPOINT_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const limit = { maxOutputLength: MAX_ENDPOINT_BODY_BYTES };
  try {
    switch ((request.headers["content-encoding"] ?? "").toLowerCase()) {
      case "gzip":
        return await promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gunzip)(body, limit);
      case "deflate":
        return await promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.inflate)(body, limit);
      case "br":
        return await promisify<zlib.InputType, zlib.BrotliOptions, Buffer>(zlib.brotliDecompress)(body, limit);
      default:
        return body;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new BodyTooLarge();
    throw error;
  }
}

/** The fields of a multipart/form-data body (how clients send long query parameters). */
function multipartFields(body: Buffer, contentTypeHeader: string): Map<string, string> {
  const fields = new Map<string, string>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader);
  if (!boundary) return fields;
  const delimiter = `--${boundary[1] ?? boundary[2]!.trim()}`;
  for (const part of body.toString("utf8").split(delimiter)) {
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, headerEnd))?.[1];
    if (name === undefined) continue;
    fields.set(name, part.slice(headerEnd + 4).replace(/\r\n$/, ""));
  }
  return fields;
}

function exceptionBody(code: number | undefined, message: string): string {
  return `Code: ${code ?? 1000}. DB::Exception: ${message}\n`;
}

function sendError(response: ServerResponse, queryId: string, code: number | undefined, message: string, status = httpStatus(code)): void {
  response.writeHead(status, {
    "Content-Type": "text/plain; charset=UTF-8",
    "X-ClickHouse-Exception-Code": String(code ?? 1000),
    "X-ClickHouse-Query-Id": queryId,
  });
  response.end(exceptionBody(code, message));
}

async function compressed(body: Uint8Array, acceptEncoding: string): Promise<{ body: Uint8Array; encoding?: string }> {
  const accepted = acceptEncoding.toLowerCase();
  if (accepted.includes("gzip")) return { body: await promisify(zlib.gzip)(body), encoding: "gzip" };
  if (accepted.includes("deflate")) return { body: await promisify(zlib.deflate)(body), encoding: "deflate" };
  if (accepted.includes("br")) return { body: await promisify(zlib.brotliCompress)(body), encoding: "br" };
  return { body };
}

async function handleQuery(
  driver: RawClickHouseDriver,
  options: ClickHouseHttpOptions,
  writes: EndpointWrites,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const params = url.searchParams;
  const askedId = params.get("query_id");
  // Echoed in a header, so only what a header can carry: checked before anything runs (an id refused
  // after the statement ran would report a failure for a write that happened).
  if (askedId && !HEADER_VALUE.test(askedId)) {
    sendError(response, randomUUID(), BAD_ARGUMENTS, `query_id must be printable ASCII: ${JSON.stringify(askedId.slice(0, 100))}. (BAD_ARGUMENTS)`);
    return;
  }
  const queryId = askedId || randomUUID();
  const elsewhere = fromElsewhere(request, options.host ?? DEFAULT_HOST);
  if (elsewhere !== undefined) {
    sendError(response, queryId, ACCESS_DENIED, `${elsewhere} is refused by this local endpoint. (ACCESS_DENIED)`);
    return;
  }
  const credentials = credentialsOf(request, params);
  const rls = options.rowPolicies;
  const main = sameSecret(credentials.user, options.user) && sameSecret(credentials.password, options.password);
  // As on a server, the RLS user exists while the app has row policies.
  const scoped = !main && rls !== undefined && sameSecret(credentials.user, rls.user) && sameSecret(credentials.password, rls.password) && rls.policies().length > 0;
  if (!main && !scoped) {
    response.setHeader("WWW-Authenticate", 'Basic realm="ClickHouse server HTTP API"');
    sendError(
      response,
      queryId,
      AUTHENTICATION_FAILED,
      `${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
    );
    return;
  }

  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    // The rest of the upload is not read: the connection closes after this answer.
    response.setHeader("Connection", "close");
    sendError(
      response,
      queryId,
      MEMORY_LIMIT_EXCEEDED,
      `the request's body is over ${MAX_ENDPOINT_BODY_BYTES / 1024 / 1024} MiB (as sent, or after decompression), more than this local endpoint runs as one statement: insert in parts. (MEMORY_LIMIT_EXCEEDED)`,
      413,
    );
    return;
  }
  const textParams: Record<string, string> = {};
  let sql = params.get("query") ?? "";
  const requestType = request.headers["content-type"] ?? "";
  if (requestType.startsWith("multipart/form-data")) {
    for (const [name, value] of multipartFields(body, requestType)) {
      if (name === "query") sql = sql ? `${sql}\n${value}` : value;
      else if (name.startsWith("param_")) textParams[name.slice(6)] = value;
    }
  } else if (body.length > 0) {
    // The body continues the URL's query: INSERT data, or the whole statement.
    sql = sql ? `${sql}\n${body.toString("utf8")}` : body.toString("utf8");
  }
  if (sql.trim() === "") {
    if (request.method === "GET" || request.method === "HEAD") {
      response.writeHead(200, { "Content-Type": "text/html; charset=UTF-8" });
      response.end("Ok.\n");
      return;
    }
    sendError(response, queryId, 62, "Empty query. (SYNTAX_ERROR)");
    return;
  }

  const settings: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name.startsWith("param_")) textParams[name.slice(6)] = value;
    else if (!RESERVED_PARAMS.has(name) && !HTTP_ONLY_SETTINGS.has(name) && !TERMINAL_SETTINGS.has(name)) settings[name] = value;
  }
  // The RLS user reads through the app's row policies: its `SQL_moose_rls_*` settings choose the rows.
  const policySettings: Record<string, string> = {};
  if (scoped) {
    for (const name of Object.keys(settings).filter((name) => name.startsWith(MOOSE_RLS_SETTING_PREFIX))) {
      policySettings[name] = settings[name]!;
      delete settings[name];
    }
  }
  // As ClickHouse: a GET (or HEAD) request may only read, whatever `readonly` it names; and so may the
  // RLS user, who on a server holds SELECT only.
  if (scoped || request.method === "GET" || request.method === "HEAD") {
    const why = scoped ? `${credentials.user} reads through the app's row policies only` : "a GET request may only read; send writes with POST";
    const unread = Object.keys(settings).find((name) => !GET_SETTINGS.has(name) && !GET_SETTING_PREFIXES.some((prefix) => name.startsWith(prefix)));
    if (unread !== undefined) {
      sendError(response, queryId, READONLY, `setting ${JSON.stringify(unread.slice(0, 100))} is not taken here: ${why}. (READONLY)`);
      return;
    }
    const refusal = await notAReadToRun(driver, sql);
    if (refusal !== undefined) {
      sendError(response, queryId, READONLY, `${refusal}: ${why}. (READONLY)`);
      return;
    }
    const scope = scoped ? await scopeStatement(driver, credentials.user, sql, textParams, rls.policies(), policySettings) : undefined;
    if (scope !== undefined && "refusal" in scope) {
      sendError(response, queryId, ACCESS_DENIED, `${scope.refusal}. (ACCESS_DENIED)`);
      return;
    }
    // The engine parses the statement as checked (not in another dialect), and then only reads run:
    // readonly = 1 comes last, after the client's settings (it refuses changing them).
    delete settings.dialect;
    delete settings.readonly;
    Object.assign(settings, scope?.settings ?? { dialect: "clickhouse", readonly: "1" });
  }

  const headerFormat = request.headers["x-clickhouse-format"];
  const format = params.get("default_format") ?? (typeof headerFormat === "string" ? headerFormat : undefined) ?? "TabSeparated";
  const headerDatabase = request.headers["x-clickhouse-database"];
  const database = params.get("database") ?? (typeof headerDatabase === "string" ? headerDatabase : undefined);
  // The RLS user's statements were checked against the app's database: they run in it, and only there.
  if (scoped && database !== undefined && database !== driver.database) {
    sendError(response, queryId, ACCESS_DENIED, `${credentials.user}: Not enough privileges: database ${JSON.stringify(database.slice(0, 100))} is not the app's. (ACCESS_DENIED)`);
    return;
  }

  const started = process.hrtime.bigint();
  let result;
  try {
    result = await runStatement(driver, sql, { format, database, settings, textParams }, writes);
  } catch (error) {
    const code = clickHouseCodeOf(error);
    if (code === undefined && !(error instanceof MooseError)) throw error;
    const message = String((error as MooseError).details?.clickhouseMessage ?? (error as Error).message);
    sendError(response, queryId, code, message);
    return;
  }
  const summary = {
    read_rows: String(result.rowsRead),
    read_bytes: String(result.bytesRead),
    written_rows: "0",
    written_bytes: "0",
    total_rows_to_read: String(result.rowsRead),
    result_rows: "0",
    result_bytes: String(result.body.length),
    elapsed_ns: String(process.hrtime.bigint() - started),
  };
  const outputFormat = formatClause(sql) ?? format;
  const wantsCompression = settings.enable_http_compression === "1" || params.get("enable_http_compression") === "1";
  const output = wantsCompression ? await compressed(result.body, String(request.headers["accept-encoding"] ?? "")) : { body: result.body };
  response.writeHead(200, {
    "Content-Type": contentType(outputFormat),
    "X-ClickHouse-Query-Id": queryId,
    "X-ClickHouse-Format": outputFormat,
    "X-ClickHouse-Timezone": "UTC",
    "X-ClickHouse-Summary": JSON.stringify(summary),
    ...(output.encoding ? { "Content-Encoding": output.encoding } : {}),
  });
  response.end(request.method === "HEAD" ? undefined : Buffer.from(output.body));
}

/** Statements a GET may run: the first word of the engine's own rendering of them. */
const READ_STATEMENTS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "EXISTS", "EXPLAIN"]);

/**
 * Why `sql` is not one reading statement a GET may run, or undefined when it is. `readonly = 1` is
 * not enough with the embedded engine: chdb runs statements through ClickHouse's client code, which
 * writes `INTO OUTFILE` itself (a server refuses it over HTTP) and runs SYSTEM statements under it.
 * So the engine renders the statement first (`formatQuerySingleLine`, which parses without running:
 * comments gone, keywords in one spelling, one statement only) and that rendering must be a read
 * without an output file. A string literal that spells INTO OUTFILE is refused too (fail closed).
 */
async function notAReadToRun(driver: RawClickHouseDriver, sql: string): Promise<string | undefined> {
  let rendered: string;
  try {
    // A string literal the engine reads back to exactly the text it will run (a query parameter's
    // value would have its backslash escapes decoded first: a different statement).
    const result = await driver.raw(`SELECT formatQuerySingleLine(${quoteString(sql)})`, { format: "TSVRaw" });
    rendered = new TextDecoder().decode(result.body).trim();
  } catch (error) {
    return `the statement does not parse as one statement (${String((error as MooseError).details?.clickhouseMessage ?? (error as Error).message).slice(0, 300)})`;
  }
  // `SELECT … EXCEPT SELECT …` renders as `(SELECT …) EXCEPT (SELECT …)`.
  const kind = /^\(*([A-Z]+)/.exec(rendered)?.[1] ?? "";
  if (!READ_STATEMENTS.has(kind)) return `${kind || "this"} statement`;
  if (rendered.includes("INTO OUTFILE")) return "INTO OUTFILE";
  return undefined;
}

/** Runs the statement read-only unless ClickHouse refuses it as a write; a write is counted in `writes` while it runs. */
async function runStatement(driver: RawClickHouseDriver, sql: string, options: RawQueryOptions, writes: EndpointWrites): Promise<RawQueryResult> {
  const { readonly, ...settings } = options.settings ?? {};
  // The client's own readonly (a GET's, or one it asked for) already makes it a read; readonly = 0 asks for a write.
  if (readonly !== undefined && readonly !== "0") return driver.raw(sql, options);
  try {
    // Last, after the client's own settings (readonly = 1 refuses changing them).
    return await driver.raw(sql, { ...options, settings: { ...settings, readonly: "1" } });
  } catch (error) {
    if (clickHouseCodeOf(error) !== READONLY) throw error;
  }
  writes.started++;
  writes.running++;
  try {
    return await driver.raw(sql, options);
  } finally {
    writes.running--;
  }
}

/** Serves `driver` over the ClickHouse HTTP interface until `close()`. */
export async function serveClickHouseHttp(driver: RawClickHouseDriver, options: ClickHouseHttpOptions): Promise<ClickHouseHttpEndpoint> {
  const host = options.host ?? DEFAULT_HOST;
  const writes: EndpointWrites = { started: 0, running: 0 };
  const server = createServer((request, response) => {
    const respond = async () => {
      let url: URL;
      try {
        url = requestTarget(request.url ?? "/");
      } catch {
        // A target Node's parser accepts but that is no URL (`GET http://a:b`).
        sendError(response, randomUUID(), BAD_ARGUMENTS, "The request target is not a valid URL. (BAD_ARGUMENTS)", 400);
        return;
      }
      if (url.pathname === "/ping" || url.pathname === "/replicas_status") {
        response.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8" });
        response.end("Ok.\n");
      } else if (url.pathname === "/" || url.pathname === "") {
        await handleQuery(driver, options, writes, request, response, url);
      } else {
        const askedId = url.searchParams.get("query_id");
        sendError(response, askedId && HEADER_VALUE.test(askedId) ? askedId : randomUUID(), 1000, `There is no handle ${url.pathname}.`, 404);
      }
    };
    respond().catch((error: unknown) => {
      // A bug here must not take `moose dev` down: answer 500 and keep serving.
      if (!response.headersSent) sendError(response, randomUUID(), 1001, `${(error as Error)?.message ?? String(error)} (STD_EXCEPTION)`);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new MooseError("CLICKHOUSE_HTTP_PORT_IN_USE", `Cannot serve the local ClickHouse HTTP interface on ${host}:${options.port}: the port is in use.`, {
              config: { key: "clickhouse_config.host_port" },
              hint: "Stop what uses the port (another moose dev, a ClickHouse server) or set another clickhouse_config.host_port.",
              details: { host, port: options.port },
              cause: error,
            })
          : error,
      );
    });
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    writes: () => ({ ...writes }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
