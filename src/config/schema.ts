/**
 * The allowed keys of moose.config.toml, as data. `ConfigSchema` is derived from `Config`, so adding
 * a field to the Config type without declaring it here (or the reverse) is a type error.
 */
import type { Config, ConfigSections } from "./types.js";

export type FieldKind = "string" | "integer" | "boolean";

type KindOf<T> = T extends string ? "string" : T extends number ? "integer" : T extends boolean ? "boolean" : never;

/** Scalar keys only: list-valued keys (`clickhouse_config.clusters`) have their own reader (./clusters.ts). */
export type ConfigSchema = {
  [S in keyof ConfigSections]: { [K in keyof ConfigSections[S] as ConfigSections[S][K] extends readonly unknown[] ? never : K]: KindOf<ConfigSections[S][K]> };
};

export const CONFIG_SCHEMA: ConfigSchema = {
  features: { olap: "boolean", streaming_engine: "boolean", workflows: "boolean" },
  clickhouse_config: {
    host: "string",
    host_port: "integer",
    native_port: "integer",
    db_name: "string",
    user: "string",
    password: "string",
    use_ssl: "boolean",
    journal_cluster: "string",
    rls_user: "string",
    rls_password: "string",
  },
  redpanda_config: {
    broker: "string",
    message_timeout_ms: "integer",
    retention_ms: "integer",
    replication_factor: "integer",
    namespace: "string",
    sync_batch_size: "integer",
    sync_batch_timeout_ms: "integer",
    process_retries: "integer",
  },
  http_server_config: { host: "string", port: "integer", allow_unauthenticated_public: "boolean" },
  authentication: { admin_api_key: "string" },
  jwt: { secret: "string", issuer: "string", audience: "string", enforce_on_all_ingest_apis: "boolean", enforce_on_all_consumptions_apis: "boolean" },
  migration_config: { dir: "string" },
  temporal_config: { temporal_host: "string", temporal_port: "integer", namespace: "string", api_key: "string" },
};

export type SectionName = keyof ConfigSections;

/** Keys at the top of the file, outside any section. */
export const TOP_LEVEL_KEYS: { [K in Exclude<keyof Config, SectionName>]: FieldKind } = { language: "string", source_dir: "string" };

export const SECTION_NAMES = Object.keys(CONFIG_SCHEMA) as SectionName[];

export function isSectionName(name: string): name is SectionName {
  return Object.hasOwn(CONFIG_SCHEMA, name);
}

/** The kind of `section.key`, or undefined when the key is not part of the config. */
export function fieldKind(section: string, key: string): FieldKind | undefined {
  if (!isSectionName(section)) return undefined;
  const fields: Record<string, FieldKind> = CONFIG_SCHEMA[section];
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

export function fieldNames(section: SectionName): string[] {
  return Object.keys(CONFIG_SCHEMA[section]);
}
