/** Value rules of moose.config.toml (src/config/rules.ts): ports, hosts, and a public API server without authentication. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { isLoopbackHost } from "../../../src/config/rules.js";
import { MooseError } from "../../../src/errors.js";
import { useConfigProject } from "./temp-project.js";

const project = useConfigProject("moose-config-values-");
const { writeToml, loadError } = project;

const KEY_HASH = "0123456789abcdef0123456789abcdef01234567";

describe("the database", () => {
  it.each(["system", "INFORMATION_SCHEMA", "information_schema", ""])("refuses clickhouse_config.db_name = %j, naming the key and line", async (name) => {
    await writeToml(`[clickhouse_config]\ndb_name = ${JSON.stringify(name)}\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("clickhouse_config.db_name");
    expect(error.message).toContain("a database of the app's own");
    expect(error.config).toMatchObject({ key: "clickhouse_config.db_name", line: 2 });
  });

  it("refuses it from the environment too, and accepts an ordinary name", async () => {
    expect((await loadError({ MOOSE_CLICKHOUSE_CONFIG__DB_NAME: "System" })).message).toContain("environment variable MOOSE_CLICKHOUSE_CONFIG__DB_NAME");
    await writeToml(`[clickhouse_config]\ndb_name = "analytics"\n`);
    expect((await loadConfig(project.dir, {})).clickhouse_config.db_name).toBe("analytics");
  });
});

describe("ports", () => {
  it.each([
    ["clickhouse_config", "host_port", -1],
    ["clickhouse_config", "native_port", 0],
    ["http_server_config", "port", 70000],
    ["http_server_config", "port", 65536],
  ])("refuses %s.%s = %i in the file, naming the key, file and line", async (section, key, value) => {
    await writeToml(`# ports\n[${section}]\n${key} = ${value}\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`${section}.${key} in ${error.config?.file} must be a port number from 1 to 65535, got ${value}`);
    expect(error.config).toMatchObject({ key: `${section}.${key}`, line: 3 });
    expect(error.config?.file).toMatch(/moose\.config\.toml$/);
    expect(error.format()).toMatch(new RegExp(`moose\\.config\\.toml:3 \\[${section}\\.${key}\\] - error CONFIG_INVALID_VALUE`));
  });

  it("accepts the bounds 1 and 65535", async () => {
    await writeToml(`[clickhouse_config]\nhost_port = 1\nnative_port = 65535\n`);
    const config = await loadConfig(project.dir, {});
    expect([config.clickhouse_config.host_port, config.clickhouse_config.native_port]).toEqual([1, 65535]);
  });

  it("refuses an out-of-range port from the environment, naming the variable", async () => {
    const error = await loadError({ MOOSE_HTTP_SERVER_CONFIG__PORT: "70000" });
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("environment variable MOOSE_HTTP_SERVER_CONFIG__PORT");
    expect(error.message).toContain("from 1 to 65535");
    expect(error.config).toEqual({ key: "http_server_config.port" });
    expect(error.hint).toContain("MOOSE_HTTP_SERVER_CONFIG__PORT");
    expect(error.details).toMatchObject({ env: "MOOSE_HTTP_SERVER_CONFIG__PORT", value: 70000 });
  });

  it("refuses a negative port from the environment", async () => {
    const error = await loadError({ MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: "-1" });
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("MOOSE_CLICKHOUSE_CONFIG__HOST_PORT");
  });
});

describe("redpanda_config.replication_factor", () => {
  it("is unset by default: topics take the broker's default.replication.factor", async () => {
    expect((await loadConfig(project.dir, {})).redpanda_config.replication_factor).toBeUndefined();
  });

  it("takes a whole number from the file or the environment", async () => {
    await writeToml(`[redpanda_config]\nreplication_factor = 3\n`);
    expect((await loadConfig(project.dir, {})).redpanda_config.replication_factor).toBe(3);
    expect((await loadConfig(project.dir, { MOOSE_REDPANDA_CONFIG__REPLICATION_FACTOR: "2" })).redpanda_config.replication_factor).toBe(2);
  });

  it("refuses 0, naming the key and line", async () => {
    await writeToml(`[redpanda_config]\nreplication_factor = 0\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("redpanda_config.replication_factor");
    expect(error.message).toContain("a whole number of at least 1, got 0");
    expect(error.config).toMatchObject({ key: "redpanda_config.replication_factor", line: 2 });
  });
});

describe("hosts", () => {
  it.each([
    ["http_server_config", '""'],
    ["http_server_config", '"   "'],
    ["clickhouse_config", '""'],
  ])("refuses an empty %s.host (%s)", async (section, value) => {
    await writeToml(`[${section}]\nhost = ${value}\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain(`${section}.host`);
    expect(error.message).toContain("not empty");
    expect(error.config).toMatchObject({ key: `${section}.host`, line: 2 });
  });

  it("refuses an empty host from the environment, naming the variable", async () => {
    const error = await loadError({ MOOSE_HTTP_SERVER_CONFIG__HOST: "" });
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("environment variable MOOSE_HTTP_SERVER_CONFIG__HOST");
  });
});

describe("a public API server needs authentication or an explicit opt-in", () => {
  it.each(["0.0.0.0", "::", "192.168.1.10", "api.example.com"])("refuses http_server_config.host = %s without admin_api_key", async (host) => {
    await writeToml(`[http_server_config]\nport = 4000\nhost = "${host}"\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_PUBLIC_WITHOUT_AUTH");
    expect(error.message).toContain(`http_server_config.host in ${error.config?.file} is "${host}"`);
    expect(error.config).toMatchObject({ key: "http_server_config.host", line: 3 });
    expect(error.hint).toContain("admin_api_key");
    expect(error.hint).toContain("allow_unauthenticated_public = true");
  });

  it("names the variable when the host comes from the environment", async () => {
    const error = await loadError({ MOOSE_HTTP_SERVER_CONFIG__HOST: "0.0.0.0" });
    expect(error.code).toBe("CONFIG_PUBLIC_WITHOUT_AUTH");
    expect(error.message).toContain("environment variable MOOSE_HTTP_SERVER_CONFIG__HOST");
    expect(error.details).toMatchObject({ env: "MOOSE_HTTP_SERVER_CONFIG__HOST" });
  });

  it("allows it with an admin API key (file or environment)", async () => {
    await writeToml(`[http_server_config]\nhost = "0.0.0.0"\n[authentication]\nadmin_api_key = "${KEY_HASH}"\n`);
    expect((await loadConfig(project.dir, {})).http_server_config.host).toBe("0.0.0.0");
    await writeToml(`[http_server_config]\nhost = "0.0.0.0"\n`);
    expect((await loadConfig(project.dir, { MOOSE_AUTHENTICATION__ADMIN_API_KEY: KEY_HASH })).http_server_config.host).toBe("0.0.0.0");
  });

  it("allows it with allow_unauthenticated_public = true (file or environment)", async () => {
    await writeToml(`[http_server_config]\nhost = "0.0.0.0"\nallow_unauthenticated_public = true\n`);
    expect((await loadConfig(project.dir, {})).http_server_config).toMatchObject({ host: "0.0.0.0", allow_unauthenticated_public: true });
    expect(
      (await loadConfig(project.dir, { MOOSE_HTTP_SERVER_CONFIG__ALLOW_UNAUTHENTICATED_PUBLIC: "false" }).catch((error: unknown) => error)) as MooseError,
    ).toMatchObject({ code: "CONFIG_PUBLIC_WITHOUT_AUTH" });
    await writeToml(`[http_server_config]\nhost = "0.0.0.0"\n`);
    expect((await loadConfig(project.dir, { MOOSE_HTTP_SERVER_CONFIG__ALLOW_UNAUTHENTICATED_PUBLIC: "true" })).http_server_config.host).toBe("0.0.0.0");
  });

  it.each(["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"])("accepts the loopback host %s without authentication", async (host) => {
    await writeToml(`[http_server_config]\nhost = "${host}"\n`);
    expect((await loadConfig(project.dir, {})).http_server_config.host).toBe(host);
  });
});

describe("isLoopbackHost", () => {
  it("knows 127.0.0.0/8, ::1 and localhost, and nothing else", () => {
    expect(["127.0.0.1", "127.255.255.254", "::1", "localhost"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "::", "128.0.0.1", "10.0.0.1", "localhost.example.com", "my-localhost", ""].some(isLoopbackHost)).toBe(false);
  });
});
