/**
 * A Python child that imports the app and talks JSON lines on stdin/stdout: the Api worker
 * (src/server/python-worker.ts) and the stream-function worker (src/streams/python-functions.ts).
 * It runs `python -m <module> <project dir> <main file> [args]` with the project's interpreter and the
 * SDK on PYTHONPATH; its first message says whether the app imported (`ready`) or why not (`failed`).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { MooseError, type SourceLocation } from "../../errors.js";
import { pythonEnv, pythonInterpreter, pythonMainFile } from "./index.js";

/** The app's import error, as python/_moose_ts_extract.py reports it. */
interface Failed {
  type: "failed";
  error: { code: string; message: string; location?: SourceLocation; hint?: string };
}

/** A line on the child's stdout that is not JSON while a message was awaited (the protocol is out of step). */
export class PythonProtocolError extends Error {
  constructor(readonly line: string) {
    super(`the Python worker wrote a line that is not JSON: ${line.slice(0, 200)}`);
  }
}

export interface PythonChild<M> {
  /** The next message; undefined once the child exited. Rejects with PythonProtocolError when the line that came is not JSON. */
  next(): Promise<M | undefined>;
  send(message: unknown): void;
  readonly exited: boolean;
  /** How it ended ("code 1", "signal SIGKILL"), for messages. */
  readonly exitReason: string;
  /** Ends its stdin (it exits when it reads the end) and waits; killed after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface PythonChildOptions {
  projectDir: string;
  /** The module run with `python -m` (in python/, beside the SDK). */
  module: string;
  /** Arguments after the project folder and main file. */
  args?: string[];
  /** Where its stderr goes (the app's prints, tracebacks). */
  log: (text: string) => void;
  /** Named in the error when it exits before it is ready. */
  what: string;
}

/** Starts the child and waits for its first message: `ready` comes back, `failed` is thrown as the app's MooseError. */
export async function startPythonChild<M extends { type: string }>(options: PythonChildOptions): Promise<{ child: PythonChild<M>; ready: Extract<M, { type: "ready" }> }> {
  const child = spawnPythonChild<M | Failed>(options);
  let first: M | Failed | undefined;
  for (;;) {
    try {
      first = await child.next();
      break;
    } catch (error) {
      // Before the protocol starts a stray line is the app's output (a library writing to the real stdout while imported).
      if (!(error instanceof PythonProtocolError)) throw error;
      options.log(`${error.line}\n`);
    }
  }
  if (!first || first.type !== "ready") {
    await child.close(0);
    if (first?.type === "failed") {
      const { error } = first as Failed;
      throw new MooseError(error.code, error.message, { location: error.location, hint: error.hint });
    }
    throw new MooseError("PYTHON_WORKER_FAILED", `the Python worker ${options.what} exited while starting (${child.exitReason})`, {
      hint: "see its output above; `moose build` shows the app's own errors",
    });
  }
  return { child: child as PythonChild<M>, ready: first as Extract<M, { type: "ready" }> };
}

function spawnPythonChild<M>(options: PythonChildOptions): PythonChild<M> {
  const projectDir = path.resolve(options.projectDir);
  const main = path.resolve(projectDir, pythonMainFile(projectDir));
  const python = spawn(pythonInterpreter(projectDir), ["-m", options.module, projectDir, main, ...(options.args ?? [])], {
    cwd: projectDir,
    env: pythonEnv(projectDir),
    stdio: ["pipe", "pipe", "pipe"],
  });
  python.stderr.on("data", (chunk: Buffer) => options.log(chunk.toString()));
  // A child that exited leaves its stdin closed: a write then fails with EPIPE, which `next` reports.
  python.stdin.on("error", () => undefined);
  const waiting: Array<{ resolve(message: M | undefined): void; reject(error: Error): void }> = [];
  const pending: M[] = [];
  let exited = false;
  let exitReason = "running";
  createInterface({ input: python.stdout }).on("line", (line) => {
    let message: M;
    try {
      message = JSON.parse(line) as M;
    } catch {
      // Awaited, it is the answer that did not parse: the caller fails, not waits forever. Otherwise it is the app's output.
      const waiter = waiting.shift();
      if (waiter) waiter.reject(new PythonProtocolError(line));
      else options.log(`${line}\n`);
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else pending.push(message);
  });
  const closed = new Promise<void>((resolve) => {
    const end = (reason: string) => {
      if (exited) return;
      exited = true;
      exitReason = reason;
      for (const waiter of waiting.splice(0)) waiter.resolve(undefined);
      resolve();
    };
    python.on("close", (code, signal) => end(signal ? `signal ${signal}` : `code ${code ?? "?"}`));
    python.on("error", (error) => end(error.message));
  });
  return {
    next() {
      const message = pending.shift();
      if (message !== undefined) return Promise.resolve(message);
      if (exited) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    send(message) {
      if (!exited) python.stdin.write(`${JSON.stringify(message)}\n`);
    },
    get exited() {
      return exited;
    },
    get exitReason() {
      return exitReason;
    },
    async close(graceMs = 2000) {
      if (exited) return;
      python.stdin.end();
      const timer = setTimeout(() => python.kill("SIGKILL"), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
