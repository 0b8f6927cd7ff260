/**
 * A MooseStack project's moose.config.toml loads unchanged: the keys moose-ts implements take effect
 * (`language`, `source_dir`, `kafka_config` as redpanda_config), the MooseStack keys it does not use
 * are accepted with one warning that lists them, and unknown keys are still errors with a did-you-mean.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { MooseError } from "../../../src/errors.js";
import { defaultMainFile } from "../../../src/extract/main-file.js";
import { useConfigProject } from "./temp-project.js";

const project = useConfigProject("moose-config-ms-");
let warnings: string[];
const warn = (message: string) => warnings.push(message);

beforeEach(() => {
  warnings = [];
});

const write = (text: string) => project.writeToml(text);

async function loadError(text: string): Promise<MooseError> {
  await write(text);
  return project.loadError({}, warn);
}

/** What a MooseStack 0.6 TypeScript template's moose.config.toml holds. */
const MOOSESTACK_TEMPLATE = `language = "Typescript"
source_dir = "src"

[redpanda_config]
broker = "localhost:19092"
message_timeout_ms = 1000
retention_ms = 30000
replication_factor = 1

[clickhouse_config]
db_name = "local"
user = "panda"
password = "pandapass"
use_ssl = false
host = "localhost"
host_port = 18123
native_port = 9000
additional_databases = []

[clickhouse_config.clusters]

[http_server_config]
host = "localhost"
port = 4000
management_port = 5001
on_reload_complete_script = "echo done"

[redis_config]
url = "redis://127.0.0.1:6379"
key_prefix = "MS"

[git_config]
main_branch_name = "main"

[temporal_config]
db_user = "temporal"
temporal_port = 7233
temporal_scheme = "https"
client_cert = ""

[migration_config]
ignore_operations = ["ModifyTableTtl"]

[supported_old_versions]
"0.0.1" = "abc"

[watcher_config]
ignore_patterns = ["*.tmp"]

[typescript_config]
package_manager = "pnpm"

[state_config]
storage = "clickhouse"

[authentication]
admin_api_key = ""

[features]
streaming_engine = true
workflows = false
data_model_v2 = true
apis = true
ddl_plan = false
serverless = true
`;

describe("a MooseStack moose.config.toml", () => {
  it("loads; the used keys take effect; one warning lists the rest", async () => {
    await write(MOOSESTACK_TEMPLATE);
    const config = await loadConfig(project.dir, {}, warn);
    expect(config.language).toBe("typescript");
    expect(config.source_dir).toBe("src");
    expect(config.clickhouse_config.db_name).toBe("local");
    expect(config.redpanda_config.broker).toBe("localhost:19092");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("accepted but not used by moose-ts: ");
    const listed = warnings[0]!.split("accepted but not used by moose-ts: ")[1]!.replace(/ \(see .*$/, "").split(", ");
    // (Which temporal_config keys moose-ts uses is the workflow runner's business; the rest are listed.)
    expect(listed).toEqual(
      expect.arrayContaining([
        "clickhouse_config.additional_databases",
        "http_server_config.management_port",
        "http_server_config.on_reload_complete_script",
        "redis_config",
        "git_config",
        "supported_old_versions",
        "watcher_config",
        "typescript_config",
        "features.data_model_v2",
        "features.apis",
        "features.ddl_plan",
        "features.serverless",
        "migration_config.ignore_operations",
      ]),
    );
    expect(listed.some((key) => key === "temporal_config" || key.startsWith("temporal_config.db_user"))).toBe(true);
    // An empty [clickhouse_config.clusters] table (MooseStack's template) means no cluster: used, not listed.
    expect(listed).not.toContain("clickhouse_config.clusters");
    expect(config.clickhouse_config.clusters).toEqual([]);
    // state_config.storage = "clickhouse" is what moose-ts does: not listed.
    expect(listed).not.toContain("state_config");
    expect(listed).not.toContain("language");
    expect(listed).not.toContain("source_dir");
  });

  it("lists state_config when it asks for Redis, which moose-ts does not use", async () => {
    await write(`[state_config]\nstorage = "redis"\n`);
    await loadConfig(project.dir, {}, warn);
    expect(warnings[0]).toContain("accepted but not used by moose-ts: state_config");
  });

  it("warns nothing for a file with only keys moose-ts uses", async () => {
    await write(`language = "typescript"\n[clickhouse_config]\ndb_name = "x"\n`);
    await loadConfig(project.dir, {}, warn);
    expect(warnings).toEqual([]);
  });

  it("reads kafka_config as redpanda_config (MooseStack's other name)", async () => {
    await write(`[kafka_config]\nbroker = "kafka:9092"\nsasl_username = "u"\n`);
    const config = await loadConfig(project.dir, {}, warn);
    expect(config.redpanda_config.broker).toBe("kafka:9092");
    expect(warnings[0]).toContain("redpanda_config.sasl_username");
  });

  it("leaves MooseStack's own environment variables for unused keys alone", async () => {
    const config = await loadConfig(project.dir, { MOOSE_REDIS_CONFIG__URL: "redis://x", MOOSE_HTTP_SERVER_CONFIG__MANAGEMENT_PORT: "5001", MOOSE_HTTP_SERVER_CONFIG__PORT: "4100" }, warn);
    expect(config.http_server_config.port).toBe(4100);
  });

  it("source_dir names the main file's folder", async () => {
    expect(defaultMainFile(project.dir)).toBe("app/index.ts");
    await write(`source_dir = "src/"\n`);
    expect(defaultMainFile(project.dir)).toBe("src/index.ts");
  });
});

describe("still errors", () => {
  it("an unknown key in a section MooseStack also has, with did-you-mean", async () => {
    const error = await loadError(`[http_server_config]\nmanagment_port = 5001\n`);
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain('unknown key "managment_port" in [http_server_config]');
    expect(error.hint).toContain("rename it to");
  });

  it("an unknown top-level key, suggesting source_dir", async () => {
    const error = await loadError(`sources_dir = "src"\n`);
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain("did you mean source_dir?");
    expect(error.config).toMatchObject({ key: "sources_dir", line: 1 });
  });

  it("a language moose-ts does not know, and a source_dir outside the project", async () => {
    expect((await loadError(`language = "Rust"\n`)).code).toBe("CONFIG_INVALID_VALUE");
    expect((await loadError(`source_dir = "../elsewhere"\n`)).code).toBe("CONFIG_INVALID_VALUE");
    expect((await loadError(`source_dir = 3\n`)).code).toBe("CONFIG_INVALID_TYPE");
  });
});
