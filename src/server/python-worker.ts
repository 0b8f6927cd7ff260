/**
 * A Python app's `Api` handlers, served from a Python worker (python/_moose_ts_worker.py) that
 * `moose dev` (restarted after every good build) and `moose prod` start. The CLI checks each
 * request's query parameters against the API's params schema from the manifest (the same check as
 * for TypeScript APIs), then the worker runs the handler; the handler's queries come back here and
 * run on the server's ClickHouse driver with their values bound as query parameters. One call at a
 * time; a handler's exception is a 500 for that request.
 */
import { startPythonChild } from "../extract/python/child.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ApiSpec } from "../manifest/types.js";
import type { Reply } from "./http.js";
import { compileParamsValidator, type ParamsValidator } from "./params.js";

type Message =
  | { type: "ready"; apis: string[] }
  | { type: "query"; id: number; sql: string; params: Record<string, unknown> }
  | { type: "result"; id: number; status: number; body: unknown };

export interface PythonApiWorker {
  /** `/api/<path>` requests: undefined when no API has that path (the server answers 404). */
  routes(path: string, query: URLSearchParams): Promise<Reply | undefined>;
  close(): Promise<void>;
}

export interface PythonApiWorkerOptions {
  projectDir: string;
  apis: Record<string, ApiSpec>;
  driver: ClickHouseDriver;
  /** Where the worker's stderr (the app's prints, handler tracebacks) goes. */
  log?: (text: string) => void;
}

/** Starts the worker and waits until it has imported the app (a failure is the app's MooseError). */
export async function startPythonApiWorker(options: PythonApiWorkerOptions): Promise<PythonApiWorker> {
  const { child } = await startPythonChild<Message>({
    projectDir: options.projectDir,
    module: "_moose_ts_worker",
    log: options.log ?? ((text: string) => process.stderr.write(text)),
    what: "serving the app's APIs",
  });
  const { next, send } = child;

  const validators = new Map<string, ParamsValidator>();
  for (const [id, spec] of Object.entries(options.apis)) validators.set(id, compileParamsValidator(spec.params));
  let callId = 0;
  let chain: Promise<unknown> = Promise.resolve();

  async function call(apiPath: string, params: unknown): Promise<Reply> {
    const id = ++callId;
    send({ type: "call", id, path: apiPath, params });
    for (;;) {
      const message = await next();
      if (!message) return { status: 500, body: { error: `the Python worker stopped while serving /api/${apiPath}` } };
      if (message.type === "query" && message.id === id) {
        try {
          send({ type: "rows", id, rows: await options.driver.query(message.sql, message.params) });
        } catch (error) {
          send({ type: "error", id, message: (error as Error).message });
        }
      } else if (message.type === "result" && message.id === id) {
        return { status: message.status, body: message.body };
      }
    }
  }

  return {
    async routes(apiPath, query) {
      const validate = validators.get(apiPath);
      if (!validate) return undefined;
      const checked = validate(query);
      if (!checked.ok) return { status: 400, body: { error: `invalid query parameters for /api/${apiPath}`, fields: checked.errors } };
      const reply = chain.then(() => call(apiPath, checked.params));
      chain = reply.catch(() => undefined);
      return reply;
    },
    close: () => child.close(),
  };
}
