/**
 * MooseStack's run-time helpers: getMooseUtils / getMooseClients (a ClickHouse client for the
 * project's [clickhouse_config]), MooseCache (a key-value cache), cliLog, and the legacy task types.
 * The work is done by the runtime module (./runtime-link.ts); see ./runtime/index.ts.
 */
import { MooseError } from "../errors.js";
import type { MooseClient, MooseUtils } from "./api.js";
import { getSelectRowPolicies } from "./lookup.js";
import { currentRequestScope } from "./request-scope.js";
import { loadRuntime } from "./runtime-link.js";
import { callerLocation } from "./source.js";
import { sql } from "./sql.js";
import type { RuntimeClickHouseConfig } from "./runtime/index.js";

export type { RuntimeClickHouseConfig };

export interface GetMooseUtilsOptions {
  /** Claims (name → value) that choose the rows the app's SelectRowPolicy objects let the client read. */
  rlsContext?: Record<string, string>;
  readonly?: boolean;
}

/**
 * A client for the ClickHouse of moose.config.toml (what `moose dev` serves), and the sql tag. With
 * `{ rlsContext }`: a client scoped by the app's row policies to the rows those claims choose. Called
 * while an Api handler serves a request the row policies scope: that request's client and `jwt`.
 */
export async function getMooseUtils(options?: GetMooseUtilsOptions | unknown): Promise<MooseUtils> {
  const claims = (options as GetMooseUtilsOptions | undefined)?.rlsContext;
  if (claims === undefined) {
    const request = currentRequestScope();
    if (request) return { client: request.client, sql, ...(request.jwt ? { jwt: request.jwt } : {}) } as MooseUtils;
    return (await (await loadRuntime()).mooseUtils()) as unknown as MooseUtils;
  }
  const policies = [...getSelectRowPolicies().values()].map((policy) => ({ column: policy.config.column, claim: policy.config.claim }));
  if (policies.length === 0) {
    // Before any await: the caller's frame is still on the stack.
    throw new MooseError("RLS_NO_POLICIES", "getMooseUtils({ rlsContext }) asks for a row-policy scoped client, but the app defines no SelectRowPolicy", {
      location: callerLocation(),
      hint: 'define one (new SelectRowPolicy("tenant_isolation", { tables: [Events], column: "org_id", claim: "org_id" })), or call getMooseUtils() without rlsContext',
    });
  }
  return (await (await loadRuntime()).mooseUtils({ policies, claims })) as unknown as MooseUtils;
}

/** @deprecated MooseStack's older helper: `{ client }` for the configured ClickHouse, each setting overridable. */
export async function getMooseClients(config?: Partial<RuntimeClickHouseConfig>): Promise<{ client: MooseClient }> {
  const runtime = await loadRuntime();
  const utils = await runtime.mooseUtils();
  const query = config && Object.keys(config).length > 0 ? await runtime.queryClient(config) : utils.client.query;
  return { client: { query, workflow: utils.client.workflow } as unknown as MooseClient };
}

export type CliLogData = {
  message_type?: "Info" | "Success" | "Warning" | "Error" | "Highlight";
  action: string;
  message: string;
};

/** A line in moose's output: `[action] message` on stderr (errors and warnings) or stdout. */
export function cliLog(log: CliLogData): void {
  const line = `${log.action.padStart(12)} ${log.message}\n`;
  if (log.message_type === "Error" || log.message_type === "Warning") process.stderr.write(line);
  else process.stdout.write(line);
}

/** The legacy (scripts-era) task shape: typed for compatibility; moose-ts does not run tasks. */
export interface TaskFunction {
  (input?: any): Promise<{ task: string; data: any }>;
}
export interface TaskDefinition {
  task: TaskFunction;
  config?: { retries: number };
}

type SupportedTypes = string | object;

/**
 * MooseStack's MooseCache, backed by the project's ClickHouse (a `_moose_cache` table) instead of
 * Redis: same methods, values JSON-encoded, a TTL per key (default one hour).
 */
export class MooseCache {
  private static instance: MooseCache | undefined;

  private constructor() {}

  static async get(): Promise<MooseCache> {
    MooseCache.instance ??= new MooseCache();
    return MooseCache.instance;
  }

  /** Stores `value` under `key` for ttlSeconds (default 3600); returns the value it replaced, or null. */
  async set(key: string, value: string | object, ttlSeconds = 3600): Promise<string | null> {
    if (typeof ttlSeconds !== "number" || !(ttlSeconds >= 0)) {
      throw new MooseError("CACHE_TTL", `MooseCache.set("${key}") got ttlSeconds ${String(ttlSeconds)}`, { hint: "pass a non-negative number of seconds" });
    }
    const runtime = await loadRuntime();
    return runtime.cacheSet(key, typeof value === "string" ? value : JSON.stringify(value), ttlSeconds);
  }

  /** The value, parsed from JSON when it is JSON; null when absent or expired. */
  async get<T extends SupportedTypes = string>(key: string): Promise<T | null> {
    const runtime = await loadRuntime();
    const value = await runtime.cacheGet(key);
    if (value === null) return null;
    try {
      const parsed: unknown = JSON.parse(value);
      return (typeof parsed === "object" && parsed !== null ? parsed : value) as T;
    } catch {
      return value as T;
    }
  }

  async delete(key: string): Promise<void> {
    const runtime = await loadRuntime();
    await runtime.cacheDelete([key]);
  }

  async clearKeys(keyPrefix: string): Promise<void> {
    const runtime = await loadRuntime();
    await runtime.cacheDelete(await runtime.cacheKeys(keyPrefix));
  }

  async clear(): Promise<void> {
    await this.clearKeys("");
  }

  /** Closes the ClickHouse connection; the next call opens it again. */
  async disconnect(): Promise<void> {
    const runtime = await loadRuntime();
    await runtime.closeClickHouse();
  }
}
