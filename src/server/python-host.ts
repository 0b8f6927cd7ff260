/**
 * What a Python app's running code asks the moose process for (python/moose_ts/runtime.py, over the
 * workers' JSON lines): `OlapTable.insert`, `Stream.send` and `MooseCache`, done by the TypeScript
 * SDK's runtime, so rows and records from either language are checked with the ingest API's column
 * rules (ClickHouse itself would store an out-of-range integer wrapped), reach the ClickHouse and
 * broker the TypeScript handlers reach, and both share the `_moose_cache` table; and `client.workflow`,
 * done by the workflow client this process serves TypeScript handlers with. A failure is answered
 * with the MooseError's fields, never thrown.
 */
import { MooseError, type SourceLocation } from "../errors.js";
import type { Manifest } from "../manifest/types.js";
import type { InsertOptions } from "../sdk/olap-table.js";
import { loadRuntime } from "../sdk/runtime-link.js";
import { currentWorkflowClient } from "./client.js";

export type HostRequest =
  | { op: "insert"; table: string; rows: Record<string, unknown>[]; options: InsertOptions; location: SourceLocation }
  | { op: "cacheGet"; key: string }
  | { op: "cacheSet"; key: string; value: string; ttlSeconds: number }
  | { op: "cacheDelete"; keys: string[] }
  | { op: "cacheKeys"; prefix: string }
  | { op: "streamSend"; stream: string; records: Record<string, unknown>[]; location: SourceLocation }
  | { op: "workflowExecute"; name: string; input: unknown }
  | { op: "workflowTerminate"; workflowId: string };

/** What a request may name: the tables and streams of the app the worker runs. */
export type HostComponents = Pick<Manifest, "tables" | "streams">;

export type HostReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string; hint?: string; details?: Record<string, unknown> } };

export async function answerHostRequest(request: HostRequest, app: HostComponents): Promise<HostReply> {
  try {
    const runtime = await loadRuntime();
    switch (request.op) {
      case "insert": {
        const table = app.tables[request.table];
        if (!table) throw new MooseError("UNKNOWN_TABLE", `the app has no table ${request.table}`, { hint: "insert into a table the app defines" });
        return { ok: true, value: await runtime.insertRows(table.name, table.columns, request.rows, request.options, request.location) };
      }
      case "streamSend": {
        const stream = app.streams[request.stream];
        if (!stream) throw new MooseError("UNKNOWN_STREAM", `the app has no stream ${request.stream}`, { hint: "send to a stream the app defines" });
        await runtime.sendToStream(stream.name, stream.columns, request.records, request.location);
        return { ok: true, value: null };
      }
      case "cacheGet":
        return { ok: true, value: await runtime.cacheGet(request.key) };
      case "cacheSet":
        return { ok: true, value: await runtime.cacheSet(request.key, request.value, request.ttlSeconds) };
      case "cacheDelete":
        await runtime.cacheDelete(request.keys);
        return { ok: true, value: null };
      case "cacheKeys":
        return { ok: true, value: await runtime.cacheKeys(request.prefix) };
      case "workflowExecute":
        return { ok: true, value: await currentWorkflowClient().execute(request.name, request.input) };
      case "workflowTerminate":
        return { ok: true, value: await currentWorkflowClient().terminate(request.workflowId) };
      default:
        throw new MooseError("UNKNOWN_REQUEST", `the Python SDK asked for ${JSON.stringify((request as { op?: unknown }).op)}, which this moose does not do`);
    }
  } catch (error) {
    // By its fields: the runtime is a bundle of its own, whose MooseError is another class than this one.
    const { code, message, hint, details } = (error ?? {}) as Partial<MooseError>;
    if (typeof code === "string" && typeof message === "string") return { ok: false, error: { code, message, ...(hint ? { hint } : {}), ...(details ? { details } : {}) } };
    return { ok: false, error: { code: "HOST_REQUEST_FAILED", message: (error as Error)?.message ?? String(error) } };
  }
}

/** Sends moose's answer to request `query`; an answer JSON cannot write (too large for one string) fails that request only. */
export function sendHostReply(child: { send(message: unknown): void }, query: number, reply: HostReply): void {
  try {
    child.send({ type: "host-reply", query, ...reply });
  } catch (error) {
    child.send({ type: "host-reply", query, ok: false, error: { code: "HOST_REQUEST_FAILED", message: `the answer could not be sent: ${(error as Error).message}` } });
  }
}
