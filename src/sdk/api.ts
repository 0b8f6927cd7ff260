import type { ClickHouseClient } from "@clickhouse/client";
import type { SourceLocation } from "../errors.js";
import type { ApiSpec, JsonSchema } from "../manifest/types.js";
import { sourceOf } from "./component.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import { getRegistry, type Component } from "./registry.js";
import type { Sql, sql } from "./sql.js";

/** Rows of a query, as returned by the API server's ClickHouse client. */
export interface QueryResult<T> {
  json(): Promise<T[]>;
}

export interface QueryClient {
  /**
   * The underlying @clickhouse/client client (MooseStack's QueryClient.client). Present on clients
   * from getMooseUtils()/getMooseClients(); inside an Api handler served by moose-ts reading it throws
   * (the server runs queries on its own driver, which may be the embedded engine).
   */
  readonly client: ClickHouseClient;
  /** Runs a SELECT built with the `sql` tag; values are bound as query parameters. */
  execute<T = any>(statement: Sql): Promise<QueryResult<T>>;
  /** Runs a statement that returns no rows. */
  command(statement: Sql): Promise<void>;
}

export interface WorkflowClient {
  execute(name: string, input: unknown): Promise<{ status: number; body: string }>;
  terminate(workflowId: string): Promise<{ status: number; body: string }>;
}

export interface MooseClient {
  query: QueryClient;
  workflow?: WorkflowClient;
}

/** The second argument of every Api handler (MooseStack's MooseUtils / ApiUtil). */
export interface ApiUtil {
  client: MooseClient;
  sql: typeof sql;
  /** The verified JWT payload, when the request carried one. */
  jwt?: Record<string, unknown>;
}
export type MooseUtils = ApiUtil;
export type ConsumptionUtil = ApiUtil;

export type ApiHandler<T, R> = (params: T, utils: ApiUtil) => Promise<R>;

export interface ApiConfig<T> {
  version?: string;
  /** URL path under /api/ (default `name` or `name/version`). */
  path?: string;
  metadata?: { description?: string };
  /** Unused marker keeping T in the config type, as in MooseStack. */
  readonly _params?: T;
}
export type EgressConfig<T> = ApiConfig<T>;

export class Api<T, R = any> implements Component {
  readonly kind = "Api" as const;
  readonly componentKind = "apis" as const;
  readonly name: string;
  /** The URL path under /api/. */
  readonly id: string;
  readonly config: ApiConfig<T>;
  readonly source: SourceLocation;
  /** JSON Schema of the query parameters T. */
  readonly schema: JsonSchema;
  /** JSON Schema of the result R. */
  readonly responseSchema: JsonSchema;
  readonly _handler: ApiHandler<T, R>;

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, handler: ApiHandler<T, R>, config?: ApiConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this._handler = handler;
    this.config = config ?? {};
    this.id = this.config.path ?? (this.config.version ? `${name}/${this.config.version}` : name);
    this.source = sourceOf(metadata);
    this.schema = metadata?.schema ?? {};
    this.responseSchema = metadata?.resultSchema ?? {};
    getRegistry().register(this);
  }

  getHandler(): ApiHandler<T, R> {
    return this._handler;
  }

  toSpec(): ApiSpec {
    return {
      name: this.name,
      ...(this.config.version !== undefined ? { version: this.config.version } : {}),
      path: this.id,
      params: this.schema,
      result: this.responseSchema,
      source: this.source,
    };
  }
}

/** MooseStack's older name for Api. */
export const ConsumptionApi = Api;
