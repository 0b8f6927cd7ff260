/**
 * How moose-ts reaches Temporal: `[temporal_config]` → an address and namespace, the project's one
 * task queue, and a client whose failures are MooseErrors naming the config key.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Client, Connection } from "@temporalio/client";
import type { Config } from "../config/types.js";
import { MooseError } from "../errors.js";

/** The Temporal workflow type every moose-ts workflow runs as (src/workflows/temporal-workflow.ts). */
export const WORKFLOW_TYPE = "mooseWorkflow";

export interface TemporalTarget {
  /** host:port of the Temporal frontend. */
  address: string;
  namespace: string;
  /** Temporal Cloud API key; when set the connection uses TLS. */
  apiKey?: string;
}

export function temporalTarget(config: Pick<Config, "temporal_config">): TemporalTarget {
  const { temporal_host, temporal_port, namespace, api_key } = config.temporal_config;
  return { address: `${temporal_host}:${temporal_port}`, namespace, ...(api_key ? { apiKey: api_key } : {}) };
}

/**
 * One task queue per project: `moose-ts.<package name>` (the directory's name without a
 * package.json), so two projects on one Temporal namespace never run each other's tasks.
 */
export function projectTaskQueue(projectDir: string): string {
  let name = path.basename(path.resolve(projectDir));
  try {
    const json = JSON.parse(readFileSync(path.join(projectDir, "package.json"), "utf8")) as { name?: unknown };
    if (typeof json.name === "string" && json.name !== "") name = json.name;
  } catch {
    // no package.json (a Python project): the directory's name
  }
  return `moose-ts.${name}`;
}

export function unreachable(target: TemporalTarget, error: unknown): MooseError {
  return new MooseError("TEMPORAL_UNREACHABLE", `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(error as Error)?.message ?? String(error)}`, {
    config: { key: "temporal_config.temporal_host" },
    hint: "start one (`moose dev` starts a local one; or `bash node_modules/moose-ts/scripts/temporal-local start`), or point temporal_config.temporal_host/temporal_port (MOOSE_TEMPORAL_CONFIG__TEMPORAL_HOST, …) at a running Temporal",
    cause: error,
  });
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  target: TemporalTarget;
  close(): Promise<void>;
}

export async function connectTemporal(target: TemporalTarget, connectTimeoutMs = 5000): Promise<TemporalClient> {
  const { Client, Connection } = await import("@temporalio/client");
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: target.address,
      connectTimeout: connectTimeoutMs,
      ...(target.apiKey ? { apiKey: target.apiKey, tls: true } : {}),
    });
  } catch (error) {
    throw unreachable(target, error);
  }
  const client = new Client({ connection, namespace: target.namespace });
  return { client, connection, target, close: () => connection.close() };
}

/** Does a Temporal frontend answer at the address (within `timeoutMs`)? */
export async function temporalAnswers(target: TemporalTarget, timeoutMs = 2000): Promise<boolean> {
  try {
    const temporal = await connectTemporal(target, timeoutMs);
    await temporal.close();
    return true;
  } catch {
    return false;
  }
}

/** The gRPC status code of a Temporal client error (12: UNIMPLEMENTED), when it carries one. */
export function grpcCode(error: unknown): number | undefined {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (typeof current.code === "number") return current.code;
  }
  return undefined;
}

export const GRPC_UNIMPLEMENTED = 12;

/** One client connection, opened on first use (an Api handler starting a run). */
export function lazyClient(target: TemporalTarget): { get(): Promise<TemporalClient>; close(): Promise<void> } {
  let connected: Promise<TemporalClient> | undefined;
  return {
    get() {
      connected ??= connectTemporal(target);
      connected.catch(() => (connected = undefined));
      return connected;
    },
    async close() {
      if (connected) await (await connected.catch(() => undefined))?.close();
    },
  };
}
