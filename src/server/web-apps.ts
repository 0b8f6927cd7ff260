/**
 * The app's WebApps as the server hands requests to them: the longest mount path that is the
 * request's path or a prefix of it at a `/` wins; the handler sees the path below its mount
 * (`/my-app/users?x=1` → `/users?x=1`, MooseStack's behaviour). Who may call a WebApp is decided
 * before (./http.ts, ./api-auth.ts webAppAuth).
 *
 * A TypeScript app's WebApps (src/sdk/web-app.ts) run in this process: unless the app opted out with
 * `injectMooseUtils: false`, `req.moose` is `{ client, sql }` of this server, with `jwt` when the
 * request carried a valid JWT. As an Api handler, the handler runs in the request's scope:
 * `getMooseUtils()` in it returns the same utilities, and with row policies (./row-scope.ts) their
 * client reads only the rows the JWT's claims give (MooseStack's WebApps do the same).
 *
 * A Python app's WebApps (ASGI apps: FastAPI, Starlette) run in its Python worker
 * (./python-worker.ts, python/_moose_ts_webapps.py): the request goes there whole, its reply comes
 * back whole.
 *
 * Mount paths never reach the server's own routes (the SDKs refuse those), so the order of the
 * checks in ./http.ts does not decide who answers.
 */
import { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from "node:http";
import type { MooseUtils } from "../sdk/api.js";
import type { ExpressRequestWithMoose, WebApp } from "../sdk/web-app.js";
import type { Caller } from "./api-auth.js";
import { bodyFailure, readBody, send } from "./http.js";
import type { PythonApiWorker } from "./python-worker.js";
import { inRequestScope, requestScope, type ScopedClients } from "./row-scope.js";

/** Hands the request to the WebApp mounted at its path; undefined when none is. */
export type WebAppRouter = (request: IncomingMessage, response: ServerResponse, url: URL) => ServedByWebApp | undefined;

export interface ServedByWebApp {
  webApp: string;
  /** Runs the handler for `caller`; settles when it returns (an Express app may still be answering), rejects with what it threw. */
  serve(caller: Caller): Promise<void>;
}

interface Mount {
  name: string;
  mountPath: string;
  /** Answers a request whose url is already the path below the mount. */
  serve(request: IncomingMessage, response: ServerResponse, caller: Caller): Promise<void>;
}

function mountRouter(mounts: Mount[]): WebAppRouter {
  const byLongestMount = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (request, response, url) => {
    const { pathname } = url;
    const mount = byLongestMount.find(({ mountPath }) => pathname === mountPath || pathname.startsWith(`${mountPath}/`));
    if (!mount) return undefined;
    request.url = (pathname.slice(mount.mountPath.length) || "/") + url.search;
    return { webApp: mount.name, serve: (caller) => mount.serve(request, response, caller) };
  };
}

/** A TypeScript app's WebApps. */
export function webAppRouter(webApps: Iterable<WebApp>, utils: MooseUtils, scoped?: ScopedClients): WebAppRouter {
  return mountRouter(
    [...webApps].map((webApp) => ({
      name: webApp.name,
      mountPath: webApp.config.mountPath,
      serve: async (request, response, { jwt }) => {
        const scope = jwt ? requestScope(utils.client, jwt, scoped) : undefined;
        if (webApp.config.injectMooseUtils !== false) (request as IncomingMessage & ExpressRequestWithMoose).moose = scope ? { ...utils, ...scope } : utils;
        return scope ? inRequestScope(scope, () => webApp.handler(request, response)) : webApp.handler(request, response);
      },
    })),
  );
}

/** Headers about one hop's framing: the server frames the request it hands over, and the reply it sends, itself. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"]);

/**
 * The request's headers for the app: the body is handed over whole (no transfer-encoding; its
 * content-length), and only the first Authorization header, the one the server checked, goes on.
 */
function forwardedHeaders(request: IncomingMessage, bodyLength: number): [string, string][] {
  const headers: [string, string][] = [];
  let authorization = false;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    const lower = name.toLowerCase();
    if (HOP_HEADERS.has(lower) || (lower === "authorization" && authorization)) continue;
    if (lower === "authorization") authorization = true;
    headers.push([name, request.rawHeaders[index + 1]!]);
  }
  headers.push(["content-length", String(bodyLength)]);
  return headers;
}

/** A Python app's WebApps, served by its worker. */
export function pythonWebAppRouter(worker: PythonApiWorker): WebAppRouter {
  return mountRouter(
    worker.webApps.map(({ name, mountPath }) => ({
      name,
      mountPath,
      serve: async (request, response, { jwt }) => {
        const body = await readBody(request);
        if (!body.ok) {
          send(response, bodyFailure(body));
          return;
        }
        // A client that goes away before the reply cancels the app's task (counted against the worker's cap until it ends).
        const gone = new AbortController();
        response.once("close", () => gone.abort());
        const reply = await worker.serveWeb(
          {
            app: name,
            method: request.method ?? "GET",
            target: request.url ?? "/",
            headers: forwardedHeaders(request, body.bytes.length),
            body: body.bytes,
            ...(request.socket.remoteAddress ? { client: request.socket.remoteAddress } : {}),
            ...(jwt ? { jwt } : {}),
          },
          gone.signal,
        );
        if (!reply) return;
        const headers = reply.headers.filter(([header]) => !HOP_HEADERS.has(header.toLowerCase()));
        // Checked before anything is written: a bad header is the server's 500, with its own status line.
        for (const [header, value] of headers) {
          validateHeaderName(header);
          validateHeaderValue(header, value);
        }
        // Appended one by one: a header the app repeats (set-cookie) keeps every value.
        for (const [header, value] of headers) response.appendHeader(header, value);
        // 204 and 304 carry no body, nor its length.
        if (reply.status !== 204 && reply.status !== 304) response.setHeader("content-length", reply.body.length);
        response.writeHead(reply.status);
        response.end(reply.status === 204 || reply.status === 304 ? undefined : reply.body);
      },
    })),
  );
}
