/**
 * A Python app's `Api` handlers, served from a Python worker (python/_moose_ts_worker.py) that
 * `moose dev` (restarted after every good build) and `moose prod` start. The CLI checks each
 * request's query parameters against the API's params schema from the manifest (the same check as
 * for TypeScript APIs), then the worker runs the handler; the handler's queries come back here and
 * run on the server's ClickHouse driver with their values bound as query parameters. The worker runs
 * several calls at once (a handler waiting for a slow query holds up no other); past MAX_CALLS in
 * progress a request is answered 503 at once instead of queueing without bound. A handler's exception
 * is a 500 for that request. Their `OlapTable.insert`, `Stream.send` and `MooseCache` calls come here too
 * (./python-host.ts).
 */
import { PythonProtocolError, startPythonChild } from "../extract/python/child.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ApiSpec } from "../manifest/types.js";
import type { Reply } from "./http.js";
import { compileParamsValidator, type ParamsValidator } from "./params.js";
import { answerHostRequest, sendHostReply, type HostComponents, type HostRequest } from "./python-host.js";

type Message =
  | { type: "ready"; apis: string[] }
  | { type: "query"; id: number; query: number; sql: string; params: Record<string, unknown> }
  | { type: "host"; query: number; request: HostRequest }
  | { type: "result"; id: number; status: number; body: unknown };

export interface PythonApiWorker {
  /** `/api/<path>` requests: undefined when no API has that path (the server answers 404). */
  routes(path: string, query: URLSearchParams): Promise<Reply | undefined>;
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

/** Calls in progress (running in the worker's threads or waiting for one) before requests are refused with a 503. */
export const MAX_CALLS = 64;

function workerStopped(apiPath: string): Reply {
  return { status: 500, body: { error: `the Python worker stopped while serving /api/${apiPath}` } };
}

/** Starts the worker and waits until it has imported the app (a failure is the app's MooseError). */
export async function startPythonApiWorker(options: PythonApiWorkerOptions): Promise<PythonApiWorker> {
  const log = options.log ?? ((text: string) => process.stderr.write(text));
  const { child } = await startPythonChild<Message>({ projectDir: options.projectDir, module: "_moose_ts_worker", log, what: "serving the app's APIs" });

  const validators = new Map<string, ParamsValidator>();
  for (const [id, spec] of Object.entries(options.apis)) validators.set(id, compileParamsValidator(spec.params));
  let callId = 0;
  /** Call id → the request waiting for its result. */
  const calls = new Map<number, { apiPath: string; answer(reply: Reply): void }>();

  /** Runs a handler's query and sends back its rows, by the query's number; other messages are read meanwhile. */
  function runQuery({ id, query, sql, params }: Extract<Message, { type: "query" }>): void {
    const fail = (error: unknown) => child.send({ type: "error", id, query, message: (error as Error).message });
    options.driver.query(sql, params).then((rows) => {
      try {
        child.send({ type: "rows", id, query, rows });
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
      }
    }
    for (const [id, call] of calls) {
      calls.delete(id);
      call.answer(workerStopped(call.apiPath));
    }
  })();

  return {
    async routes(apiPath, query) {
      const validate = validators.get(apiPath);
      if (!validate) return undefined;
      const checked = validate(query);
      if (!checked.ok) return { status: 400, body: { error: `invalid query parameters for /api/${apiPath}`, fields: checked.errors } };
      if (child.exited) return workerStopped(apiPath);
      if (calls.size >= MAX_CALLS) {
        return { status: 503, body: { error: `the Python APIs are busy (${MAX_CALLS} calls in progress); try again` }, headers: { "retry-after": "1" } };
      }
      const id = ++callId;
      const reply = new Promise<Reply>((answer) => calls.set(id, { apiPath, answer }));
      child.send({ type: "call", id, path: apiPath, params: checked.params });
      return reply;
    },
    async close() {
      await child.close();
      await reading;
    },
  };
}
