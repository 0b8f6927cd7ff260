/**
 * A Python app's `Api` handlers, served from a Python worker (python/_moose_ts_worker.py) that
 * `moose dev` (restarted after every good build) and `moose prod` start. The CLI checks each
 * request's query parameters against the API's params schema from the manifest (the same check as
 * for TypeScript APIs), then the worker runs the handler; the handler's queries come back here and
 * run on the server's ClickHouse driver with their values bound as query parameters. One call at a
 * time; a handler's exception is a 500 for that request.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { MooseError } from "../errors.js";
import { pythonEnv, pythonInterpreter, pythonMainFile } from "../extract/python/index.js";
import type { ClickHouseDriver } from "../infra/clickhouse/driver.js";
import type { ApiSpec } from "../manifest/types.js";
import type { Reply } from "./http.js";
import { compileParamsValidator, type ParamsValidator } from "./params.js";

type Message =
  | { type: "ready"; apis: string[] }
  | { type: "failed"; error: { code: string; message: string; location?: { file: string; line: number; col?: number }; hint?: string } }
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
  const projectDir = path.resolve(options.projectDir);
  const main = path.resolve(projectDir, pythonMainFile(projectDir));
  const child = spawn(pythonInterpreter(projectDir), ["-m", "_moose_ts_worker", projectDir, main], {
    cwd: projectDir,
    env: pythonEnv(projectDir),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const log = options.log ?? ((text: string) => process.stderr.write(text));
  child.stderr.on("data", (chunk: Buffer) => log(chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const queue: Array<(message: Message | undefined) => void> = [];
  const pending: Message[] = [];
  let ended = false;
  lines.on("line", (line) => {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      log(`${line}\n`);
      return;
    }
    const waiter = queue.shift();
    if (waiter) waiter(message);
    else pending.push(message);
  });
  const onEnd = () => {
    ended = true;
    for (const waiter of queue.splice(0)) waiter(undefined);
  };
  child.on("close", onEnd);
  child.on("error", onEnd);
  const next = (): Promise<Message | undefined> => {
    const message = pending.shift();
    if (message) return Promise.resolve(message);
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => queue.push(resolve));
  };
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);

  const first = await next();
  if (!first || first.type !== "ready") {
    child.kill();
    if (first?.type === "failed") throw new MooseError(first.error.code, first.error.message, { location: first.error.location, hint: first.error.hint });
    throw new MooseError("PYTHON_WORKER_FAILED", "the Python worker serving the app's APIs exited while starting", {
      hint: "see its output above; `moose build` shows the app's own errors",
    });
  }

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
    async close() {
      if (ended) return;
      const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}
