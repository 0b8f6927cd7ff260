/**
 * A Python app's `Api` handlers, served from a Python worker (python/_moose_ts_worker.py) that
 * `moose dev` (restarted after every good build) and `moose prod` start. The CLI checks each
 * request's query parameters against the API's params schema from the manifest (the same check as
 * for TypeScript APIs), then the worker runs the handler; the handler's queries come back here and
 * run on the server's ClickHouse driver with their values bound as query parameters. The worker runs
 * several calls at once (a handler waiting for a slow query holds up no other); past MAX_CALLS in
 * progress a request is answered 503 at once instead of queueing without bound. A handler's exception
 * is a 500 for that request. Their `OlapTable.insert`, `Stream.send` and `MooseCache` calls come here too
 * (./python-host.ts). The app's WebApps (ASGI apps) run in the same worker: a request under one's mount
 * path goes there whole (./web-apps.ts pythonWebAppRouter), with the same cap on calls in progress.
 */
import { PythonProtocolError, startPythonChild } from "../extract/python/child.js";
import type { PythonWebApp } from "../extract/build-cache.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ApiSpec } from "../manifest/types.js";
import type { Caller } from "./api-auth.js";
import type { Reply } from "./http.js";
import { apiResolver } from "./api-paths.js";
import { compileParamsValidator, type ParamsValidator } from "./params.js";
import { answerHostRequest, sendHostReply, type HostComponents, type HostRequest } from "./python-host.js";

type Message =
  | { type: "ready"; apis: string[]; webApps: PythonWebApp[] }
  | { type: "query"; id: number; query: number; sql: string; params: Record<string, unknown> }
  | { type: "host"; query: number; request: HostRequest }
  | { type: "result"; id: number; status: number; body: unknown }
  | ({ type: "web-result"; id: number } & ({ status: number; headers: [string, string][]; body: string } | { failed: string }))
  | { type: "web-ended"; id: number };

/** A request for a WebApp, its path already the one below the mount. */
export interface WebCall {
  app: string;
  method: string;
  /** Path below the mount, and query string. */
  target: string;
  headers: [string, string][];
  body: Buffer;
  client?: string;
  jwt?: Record<string, unknown>;
}

export interface WebReply {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export interface PythonApiWorker {
  /** `/api/<path>` requests: undefined when no API has that path (the server answers 404). A handler with a `jwt` parameter gets the caller's claims. */
  routes(path: string, query: URLSearchParams, caller?: Caller): Promise<Reply | undefined>;
  /** The app's WebApps, as the worker found them when it imported the app. */
  readonly webApps: readonly PythonWebApp[];
  /**
   * One WebApp request; rejects when the app failed it (the server's 500) or the worker stopped.
   * `signal` aborted (its client went away): the app's task is cancelled and this settles undefined.
   */
  serveWeb(call: WebCall, signal?: AbortSignal): Promise<WebReply | undefined>;
  /** Whether the worker has exited (it is started again on the next good save, or by restarting moose prod). */
  readonly exited: boolean;
  close(): Promise<void>;
}

export interface PythonApiWorkerOptions {
  projectDir: string;
  apis: Record<string, ApiSpec>;
  /** The app's tables and streams, for its handlers' OlapTable.insert and Stream.send (./python-host.ts). */
  components: HostComponents;
  driver: ClickHouseDriver;
  /** Where the worker's stderr (the app's prints, handler tracebacks) goes. */
  log?: (text: string) => void;
}

/** What /health says of a worker that exited (a crash, an OOM kill): its APIs and WebApps answer 500 until it is started again. */
export const PYTHON_WORKER_STOPPED = "the Python worker stopped";

/** Calls in progress (running in the worker's threads or waiting for one) before requests are refused with a 503. */
export const MAX_CALLS = 64;

function busy(): Reply {
  return { status: 503, body: { error: `the Python APIs are busy (${MAX_CALLS} calls in progress); try again` }, headers: { "retry-after": "1" } };
}

function workerStopped(apiPath: string): Reply {
  return { status: 500, body: { error: `the Python worker stopped while serving /api/${apiPath}` } };
}

/**
 * The worker of a Python app that has APIs or WebApps (`webApps`: what its extraction found, as the
 * manifest does not hold them); undefined for an app with neither, which needs no worker.
 */
export async function startPythonWorkerIfServing(options: PythonApiWorkerOptions, webApps: readonly PythonWebApp[]): Promise<PythonApiWorker | undefined> {
  return Object.keys(options.apis).length > 0 || webApps.length > 0 ? startPythonApiWorker(options) : undefined;
}

/** Starts the worker and waits until it has imported the app (a failure is the app's MooseError). */
export async function startPythonApiWorker(options: PythonApiWorkerOptions): Promise<PythonApiWorker> {
  const log = options.log ?? ((text: string) => process.stderr.write(text));
  const { child, ready } = await startPythonChild<Message>({ projectDir: options.projectDir, module: "_moose_ts_worker", log, what: "serving the app's APIs" });
  const { webApps } = ready;

  const validators = new Map<string, ParamsValidator>();
  for (const spec of Object.values(options.apis)) validators.set(spec.path, compileParamsValidator(spec.params));
  const resolve = apiResolver(Object.values(options.apis).map(({ name, version, path }) => ({ name, ...(version !== undefined ? { version } : {}), path })));
  let callId = 0;
  /** Call id → the request waiting for its result. */
  const calls = new Map<number, { apiPath: string; answer(reply: Reply): void }>();
  /** Call id → the WebApp request waiting for its reply. */
  const webCalls = new Map<number, { answer(reply: WebReply | undefined): void; fail(error: Error): void }>();
  /** WebApp requests whose client went away: they count against MAX_CALLS until the worker says their task ended. */
  const abandoned = new Set<number>();
  const inProgress = () => calls.size + webCalls.size + abandoned.size;

  /** Runs a handler's query and sends back its rows, by the query's number; other messages are read meanwhile. */
  function runQuery({ id, query, sql, params }: Extract<Message, { type: "query" }>): void {
    const fail = (error: unknown) => child.send({ type: "error", id, query, message: (error as Error).message });
    // With the columns' types, the worker gives values as moose_lib does (an Int64 as an int, a DateTime as a datetime).
    options.driver.queryCompact(sql, params).then(({ columns, rows }) => {
      try {
        child.send({ type: "rows", id, query, columns, rows });
      } catch (error) {
        // Rows JSON cannot write (too large for one string): the handler's query fails, not the server.
        fail(error);
      }
    }, fail);
  }

  // One reader for every call: queries are run as they come, results answer their requests.
  const reading = (async () => {
    for (;;) {
      let message: Message | undefined;
      try {
        message = await child.next();
      } catch (error) {
        // A line that is not JSON (PythonProtocolError, the only rejection): the app wrote to the
        // process's real stdout. The line goes to the log; the calls go on.
        log(`${error instanceof PythonProtocolError ? error.line : String(error)}\n`);
        continue;
      }
      if (!message) break;
      if (message.type === "query") runQuery(message);
      else if (message.type === "host") {
        const { query } = message;
        void answerHostRequest(message.request, options.components).then((reply) => sendHostReply(child, query, reply));
      }
      else if (message.type === "result") {
        const call = calls.get(message.id);
        calls.delete(message.id);
        call?.answer({ status: message.status, body: message.body });
      } else if (message.type === "web-ended") {
        abandoned.delete(message.id);
      } else if (message.type === "web-result") {
        abandoned.delete(message.id);
        const call = webCalls.get(message.id);
        webCalls.delete(message.id);
        if ("failed" in message) call?.fail(new Error(`the WebApp failed: ${message.failed}`));
        else call?.answer({ status: message.status, headers: message.headers, body: Buffer.from(message.body, "base64") });
      }
    }
    for (const [id, call] of calls) {
      calls.delete(id);
      call.answer(workerStopped(call.apiPath));
    }
    abandoned.clear();
    for (const [id, call] of webCalls) {
      webCalls.delete(id);
      call.fail(new Error("the Python worker stopped while serving the request"));
    }
  })();

  return {
    async routes(requestedPath, query, caller) {
      const apiPath = resolve(requestedPath, query);
      const validate = apiPath === undefined ? undefined : validators.get(apiPath);
      if (apiPath === undefined || !validate) return undefined;
      const checked = validate(query);
      if (!checked.ok) return { status: 400, body: { error: `invalid query parameters for /api/${apiPath}`, fields: checked.errors } };
      if (child.exited) return workerStopped(apiPath);
      if (inProgress() >= MAX_CALLS) return busy();
      const id = ++callId;
      const reply = new Promise<Reply>((answer) => calls.set(id, { apiPath, answer }));
      child.send({ type: "call", id, path: apiPath, params: checked.params, jwt: caller?.jwt ?? null });
      return reply;
    },
    webApps,
    get exited() {
      return child.exited;
    },
    async serveWeb({ body, ...call }, signal) {
      if (child.exited) throw new Error("the Python worker has stopped");
      if (inProgress() >= MAX_CALLS) {
        const reply = busy();
        return { status: reply.status, headers: [["content-type", "application/json"], ["retry-after", "1"]], body: Buffer.from(JSON.stringify(reply.body)) };
      }
      const id = ++callId;
      const reply = new Promise<WebReply | undefined>((answer, fail) => webCalls.set(id, { answer, fail }));
      child.send({ type: "web", id, ...call, body: body.toString("base64") });
      signal?.addEventListener(
        "abort",
        () => {
          const call = webCalls.get(id);
          if (!call) return;
          webCalls.delete(id);
          if (!child.exited) {
            abandoned.add(id);
            child.send({ type: "web-cancel", id });
          }
          call.answer(undefined);
        },
        { once: true },
      );
      return reply;
    },
    async close() {
      await child.close();
      await reading;
    },
  };
}
