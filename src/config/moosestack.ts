/**
 * Keys MooseStack 0.6's moose.config.toml accepts that moose-ts has no use for. A MooseStack project's
 * config must load unchanged, so these are accepted (any value) and reported once, in one warning;
 * anything else unknown stays an error with a did-you-mean.
 *
 * `"*"` accepts every key of the section (free-form tables such as `supported_old_versions`, whose
 * keys are versions). Keys moose-ts implements are in ./schema.ts, not here.
 */
export const IGNORED_SECTION_KEYS: Readonly<Record<string, readonly string[] | "*">> = {
  // Sections moose-ts implements, with the MooseStack keys it does not.
  features: ["data_model_v2", "apis", "ddl_plan", "serverless"],
  // moose-ts plans every operation; a change that must not run is taken out of the migration file in review.
  migration_config: ["ignore_operations"],
  clickhouse_config: ["host_data_path", "additional_databases"],
  redpanda_config: ["sasl_username", "sasl_password", "sasl_mechanism", "security_protocol", "schema_registry_url"],
  http_server_config: ["management_port", "proxy_port", "path_prefix", "max_request_body_size", "on_reload_complete_script", "on_first_start_script"],
  // moose-ts runs workflows on an existing Temporal (or the Java test server it starts): MooseStack's Docker-side keys do nothing.
  temporal_config: [
    "db_user", "db_password", "db_port", "temporal_version", "admin_tools_version", "ui_version", "ui_port", "ui_cors_origins",
    "config_path", "postgresql_version", "client_cert", "client_key", "ca_cert", "temporal_region", "temporal_scheme",
  ],
  // Whole sections moose-ts has no counterpart for.
  redis_config: "*",
  git_config: "*",
  watcher_config: "*",
  typescript_config: "*",
  state_config: "*",
  supported_old_versions: "*",
  docker_config: "*",
  dev: "*",
};

/** MooseStack's other name for a section. */
export const SECTION_ALIASES: Readonly<Record<string, string>> = { kafka_config: "redpanda_config" };

/** Top-level keys (outside any section) MooseStack accepts and moose-ts ignores. */
export const IGNORED_TOP_LEVEL_KEYS: readonly string[] = ["load_infra", "is_production"];

/** Is `section.key` (or the section itself when key is undefined) a MooseStack key moose-ts ignores? */
export function isIgnoredMooseStackKey(section: string, key?: string): boolean {
  const keys = Object.hasOwn(IGNORED_SECTION_KEYS, section) ? IGNORED_SECTION_KEYS[section] : undefined;
  if (keys === undefined) return false;
  if (key === undefined) return keys === "*";
  return keys === "*" || keys.includes(key);
}

export function isIgnoredSection(section: string): boolean {
  return IGNORED_SECTION_KEYS[section] === "*";
}

/** The MooseStack keys of a section moose-ts accepts without using (for did-you-mean). */
export function ignoredKeys(section: string): string[] {
  const keys = Object.hasOwn(IGNORED_SECTION_KEYS, section) ? IGNORED_SECTION_KEYS[section] : undefined;
  return Array.isArray(keys) ? [...keys] : [];
}
