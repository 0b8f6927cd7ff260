/**
 * The docs' moose.config.toml (Migrations & Planning → Viewing Infrastructure State), verbatim.
 * Kept apart from the code that writes it, so tests compare the code with the documentation.
 */
export const DOCS_CONFIG_TOML = `[features]
olap = true # ClickHouse for analytics
streaming_engine = true # Redpanda for streaming
workflows = false # Temporal for workflows

[clickhouse_config]
host = "localhost"
host_port = 18123
native_port = 9000
db_name = "local"
user = "panda"
password = "pandapass"

[redpanda_config]
broker = "localhost:19092"
message_timeout_ms = 1000
retention_ms = 30000
replication_factor = 1
`;
