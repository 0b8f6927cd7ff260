/** moose.config.toml, typed. Defaults are the documented ones (docs: Migrations & Planning). */
export interface Config extends ConfigSections {
  /** Top-level `language` (MooseStack: "Typescript" or "Python"), lower-cased. */
  language: "typescript" | "python";
  /** Top-level `source_dir`: the folder holding `index.ts`, relative to the project (MooseStack's key). */
  source_dir: string;
}

/** One `[[clickhouse_config.clusters]]` entry: a cluster of the server's `remote_servers`. */
export interface ClusterConfig {
  name: string;
  /**
   * moose-ts's: the HTTP URL of each host, by its `host_name:port` in system.clusters (the native
   * port), for resuming a step on the hosts where it failed (docs/clusters.md). Absent: none known.
   */
  hosts?: Record<string, string>;
}

/** The `[section]` tables of moose.config.toml. */
export interface ConfigSections {
  features: {
    olap: boolean;
    streaming_engine: boolean;
    workflows: boolean;
  };
  clickhouse_config: {
    host: string;
    host_port: number;
    native_port: number;
    db_name: string;
    user: string;
    password: string;
    use_ssl: boolean;
    /**
     * `[[clickhouse_config.clusters]] name = "…"` (MooseStack's shape): the clusters models may name
     * with `cluster`; their DDL runs `ON CLUSTER` (docs/clusters.md).
     */
    clusters: ClusterConfig[];
    /**
     * The cluster whose replicas share the migration journal, state and lock (created ON CLUSTER with
     * Replicated engines). Empty: the only entry of `clusters` when there is exactly one, else none.
     */
    journal_cluster: string;
    /** The user row-policy scoped queries run as (created with the policies' role on a server; the embedded endpoint answers to it). */
    rls_user: string;
    /** Its password; empty: `password`'s. */
    rls_password: string;
  };
  redpanda_config: {
    broker: string;
    message_timeout_ms: number;
    retention_ms: number;
    /**
     * Replication factor of a topic whose stream sets none. Unset (the default): the broker's own
     * `default.replication.factor`, so one config serves a one-broker dev setup and a cluster alike.
     */
    replication_factor?: number;
    /** Prefix for every topic name, e.g. `staging_`. Empty: none. */
    namespace: string;
    /** A sync inserts at most this many records in one ClickHouse insert (docs/streams.md). */
    sync_batch_size: number;
    /** A sync waits at most this long for more records before inserting what it has. */
    sync_batch_timeout_ms: number;
    /** Times a transform or consumer retries a record that failed (with backoff) before dead-lettering it. */
    process_retries: number;
  };
  http_server_config: {
    /** Loopback (127.0.0.0/8, ::1, localhost) unless admin_api_key or allow_unauthenticated_public is set. */
    host: string;
    port: number;
    /** true → a non-loopback host is allowed without an admin API key (/ingest and /api are then public). */
    allow_unauthenticated_public: boolean;
  };
  authentication: {
    /** Hex PBKDF2 hash from `moose generate hash-token`; empty → admin API refuses every request. */
    admin_api_key: string;
  };
  /** JWT checks of the app's endpoints, as MooseStack's `[jwt]` (src/server/api-auth.ts, docs/server.md). */
  jwt: {
    /** PEM RSA public key the tokens' RS256 signatures are verified with; empty: no JWT is read. */
    secret: string;
    /** Required `iss` claim (needed with a secret). */
    issuer: string;
    /** Required `aud` claim (needed with a secret). */
    audience: string;
    /** true → every /ingest request needs a valid JWT (an API key no longer does). */
    enforce_on_all_ingest_apis: boolean;
    /** true → every /api request needs a valid JWT. */
    enforce_on_all_consumptions_apis: boolean;
  };
  migration_config: {
    /** The migrations directory, relative to the project (`--migrations-dir` overrides it). */
    dir: string;
  };
  /** Where workflows run (`[features] workflows = true`): a Temporal frontend (MooseStack's keys). */
  temporal_config: {
    temporal_host: string;
    temporal_port: number;
    /** Temporal namespace the worker polls and schedules live in. */
    namespace: string;
    /** Temporal Cloud API key (sent over TLS); empty: a plain local connection. */
    api_key: string;
  };
}

export const DEFAULT_CONFIG: Config = {
  language: "typescript",
  source_dir: "app",
  features: { olap: true, streaming_engine: true, workflows: false },
  clickhouse_config: {
    host: "localhost",
    host_port: 18123,
    native_port: 9000,
    db_name: "local",
    user: "panda",
    password: "pandapass",
    use_ssl: false,
    clusters: [],
    journal_cluster: "",
    rls_user: "moose_rls_user",
    rls_password: "",
  },
  redpanda_config: {
    broker: "localhost:19092",
    message_timeout_ms: 1000,
    retention_ms: 30000,
    namespace: "",
    sync_batch_size: 10000,
    sync_batch_timeout_ms: 200,
    process_retries: 3,
  },
  http_server_config: { host: "localhost", port: 4000, allow_unauthenticated_public: false },
  authentication: { admin_api_key: "" },
  jwt: { secret: "", issuer: "", audience: "", enforce_on_all_ingest_apis: false, enforce_on_all_consumptions_apis: false },
  migration_config: { dir: "migrations" },
  temporal_config: { temporal_host: "localhost", temporal_port: 7233, namespace: "default", api_key: "" },
};
