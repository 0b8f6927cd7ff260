import { generateKeyPairSync } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { DOCS_CONFIG_TOML } from "../../helpers/docs.js";
import { useConfigProject } from "./temp-project.js";

const project = useConfigProject("moose-config-");
const { writeToml, loadError } = project;


describe("defaults", () => {
  it("uses the documented defaults when there is no moose.config.toml", async () => {
    expect(await loadConfig(project.dir, {})).toEqual(DEFAULT_CONFIG);
  });

  it("reads the docs' example file to exactly the defaults, and its replication_factor = 1 pinned", async () => {
    await writeToml(DOCS_CONFIG_TOML);
    // Unset, a topic takes the broker's default.replication.factor (docs/streams.md); the file names 1.
    expect(await loadConfig(project.dir, {})).toEqual({ ...DEFAULT_CONFIG, redpanda_config: { ...DEFAULT_CONFIG.redpanda_config, replication_factor: 1 } });
  });

  it("keeps defaults for keys and sections the file leaves out", async () => {
    await writeToml(`[clickhouse_config]\nhost_port = 8123\n`);
    const config = await loadConfig(project.dir, {});
    expect(config.clickhouse_config).toEqual({ ...DEFAULT_CONFIG.clickhouse_config, host_port: 8123 });
    expect(config.redpanda_config).toEqual(DEFAULT_CONFIG.redpanda_config);
  });

  it("never mutates DEFAULT_CONFIG", async () => {
    const before = structuredClone(DEFAULT_CONFIG);
    await writeToml(`[features]\nworkflows = true\n`);
    await loadConfig(project.dir, { MOOSE_CLICKHOUSE_CONFIG__HOST: "db" });
    expect(DEFAULT_CONFIG).toEqual(before);
  });

  it("accepts dotted keys and inline tables", async () => {
    await writeToml(`clickhouse_config.db_name = "prod"\nhttp_server_config = { port = 4100 }\n`);
    const config = await loadConfig(project.dir, {});
    expect(config.clickhouse_config.db_name).toBe("prod");
    expect(config.http_server_config).toEqual({ ...DEFAULT_CONFIG.http_server_config, port: 4100 });
  });
});

describe("environment overrides", () => {
  it("overrides file values, coerced to each field's type", async () => {
    await writeToml(`[clickhouse_config]\nhost_port = 8123\n`);
    const config = await loadConfig(project.dir, {
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: "1234",
      MOOSE_FEATURES__WORKFLOWS: "true",
      MOOSE_FEATURES__OLAP: "0",
      MOOSE_AUTHENTICATION__ADMIN_API_KEY: "abc123",
      MOOSE_REDPANDA_CONFIG__NAMESPACE: "staging_",
    });
    expect(config.clickhouse_config.host_port).toBe(1234);
    expect(config.features.workflows).toBe(true);
    expect(config.features.olap).toBe(false);
    expect(config.authentication.admin_api_key).toBe("abc123");
    expect(config.redpanda_config.namespace).toBe("staging_");
  });

  it("ignores MOOSE_ variables that are not section overrides", async () => {
    expect(await loadConfig(project.dir, { MOOSE_ADMIN_TOKEN: "x", MOOSE_ACCEPT_DESTRUCTIVE: "1" })).toEqual(DEFAULT_CONFIG);
  });

  it("rejects a value that does not coerce, naming the variable and the expected type", async () => {
    const error = await loadError({ MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: "12a" });
    expect(error.code).toBe("CONFIG_INVALID_TYPE");
    expect(error.message).toContain("MOOSE_CLICKHOUSE_CONFIG__HOST_PORT");
    expect(error.message).toContain("an integer");
    expect(error.config?.key).toBe("clickhouse_config.host_port");
  });

  it("rejects a boolean override that is not true/false/1/0", async () => {
    const error = await loadError({ MOOSE_FEATURES__OLAP: "yes please" });
    expect(error.code).toBe("CONFIG_INVALID_TYPE");
    expect(error.message).toContain("a boolean");
  });

  it("rejects an unknown key with the corrected variable name", async () => {
    const error = await loadError({ MOOSE_CLICKHOUSE_CONFIG__HOSTPORT: "1" });
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain("MOOSE_CLICKHOUSE_CONFIG__HOSTPORT");
    expect(error.message).toContain("did you mean host_port?");
    expect(error.hint).toContain("MOOSE_CLICKHOUSE_CONFIG__HOST_PORT");
  });

  it("rejects an unknown section with the corrected variable name", async () => {
    const error = await loadError({ MOOSE_CLICKHOUSE__HOST_PORT: "1" });
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain("did you mean clickhouse_config?");
    expect(error.hint).toContain("MOOSE_CLICKHOUSE_CONFIG__HOST_PORT");
  });
});

describe("unknown keys", () => {
  it("names the key, file and line, and suggests the closest key", async () => {
    await writeToml(`[clickhouse_config]\nhost = "localhost"\n\nhostport = 18123\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain('"hostport"');
    expect(error.message).toContain("did you mean host_port?");
    expect(error.config).toMatchObject({ key: "clickhouse_config.hostport", line: 4 });
    expect(error.config?.file).toMatch(/moose\.config\.toml$/);
    expect(error.format()).toMatch(/moose\.config\.toml:4 \[clickhouse_config\.hostport\]/);
  });

  it("suggests the closest section for a misspelt section", async () => {
    await writeToml(`[features]\nolap = true\n[redpanda]\nbroker = "x"\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_UNKNOWN_KEY");
    expect(error.message).toContain("did you mean redpanda_config?");
    expect(error.config).toMatchObject({ key: "redpanda", line: 3 });
  });

  it("lists the valid keys when nothing is close", async () => {
    await writeToml(`[http_server_config]\nzzzzzzzzzz = 1\n`);
    const error = await loadError();
    expect(error.message).not.toContain("did you mean");
    expect(error.hint).toContain("host, port");
  });

  it("finds the line of a dotted key", async () => {
    await writeToml(`# settings\n\nfeatures.olapp = true\n`);
    const error = await loadError();
    expect(error.config).toMatchObject({ key: "features.olapp", line: 3 });
    expect(error.message).toContain("did you mean olap?");
  });
});

describe("wrong types", () => {
  it("names the expected type, the key and its line", async () => {
    await writeToml(`[clickhouse_config]\nhost_port = "18123"\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_TYPE");
    expect(error.message).toContain("clickhouse_config.host_port");
    expect(error.message).toContain("must be an integer");
    expect(error.config).toMatchObject({ key: "clickhouse_config.host_port", line: 2 });
  });

  it("rejects a float where an integer is expected", async () => {
    await writeToml(`[redpanda_config]\nreplication_factor = 1.5\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_TYPE");
    expect(error.message).toContain("got a float 1.5");
  });

  it("rejects a section written as a plain value", async () => {
    await writeToml(`features = true\n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_TYPE");
    expect(error.message).toContain("must be a table");
    expect(error.config).toMatchObject({ key: "features", line: 1 });
  });
});

describe("unreadable files", () => {
  it("reports a config path it cannot read", async () => {
    await mkdir(path.join(project.dir, "moose.config.toml"));
    const error = await loadError();
    expect(error.code).toBe("CONFIG_UNREADABLE");
  });
});

describe("syntax errors", () => {
  it("reports invalid TOML with its line", async () => {
    await writeToml(`[features]\nolap = \n`);
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_TOML");
    expect(error.location).toMatchObject({ line: 2 });
    expect(error.format()).toMatch(/moose\.config\.toml:2:\d+ - error CONFIG_INVALID_TOML/);
  });
});

describe("[jwt]", () => {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
  const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const toml = (secret: string, rest = `issuer = "https://auth.example.com/"\naudience = "app"\n`) => `[jwt]\nsecret = """\n${secret}"""\n${rest}`;

  it("reads the section, and MooseStack's MOOSE_JWT_PUBLIC_KEY / _ISSUER / _AUDIENCE", async () => {
    await writeToml(toml(publicPem, `issuer = "a"\naudience = "b"\nenforce_on_all_consumptions_apis = true\n`));
    expect((await loadConfig(project.dir, {})).jwt).toEqual({ secret: `${publicPem}`, issuer: "a", audience: "b", enforce_on_all_ingest_apis: false, enforce_on_all_consumptions_apis: true });
    await writeToml("");
    const fromEnv = await loadConfig(project.dir, { MOOSE_JWT_PUBLIC_KEY: publicPem, MOOSE_JWT_ISSUER: "i", MOOSE_JWT_AUDIENCE: "aud", MOOSE_JWT__ENFORCE_ON_ALL_INGEST_APIS: "true" });
    expect(fromEnv.jwt).toMatchObject({ secret: publicPem, issuer: "i", audience: "aud", enforce_on_all_ingest_apis: true });
  });

  it("refuses a secret that is not an RSA public key (a private key, say) without repeating it", async () => {
    await writeToml(toml(privatePem));
    const error = await loadError();
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain("jwt.secret");
    expect(error.message).toContain("PEM RSA public key");
    expect(JSON.stringify({ message: error.message, hint: error.hint, details: error.details })).not.toContain("PRIVATE KEY");
    // A public key with the private one pasted after it, and a key too small for RS256.
    await writeToml(toml(`${publicPem}${privatePem}`));
    expect((await loadError()).message).not.toContain("PRIVATE KEY");
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    await writeToml(toml(small));
    expect((await loadError()).message).toContain("2048 bits or more");
    await writeToml("");
    const fromEnv = await loadError({ MOOSE_JWT__SECRET: privatePem });
    expect(fromEnv.message).toContain("MOOSE_JWT__SECRET");
    expect(fromEnv.message).not.toContain("PRIVATE KEY");
  });

  it("a secret needs issuer and audience; enforcing needs a secret", async () => {
    await writeToml(toml(publicPem, `audience = "app"\n`));
    expect(await loadError()).toMatchObject({ code: "CONFIG_INVALID_VALUE", message: expect.stringContaining("jwt.issuer is empty"), config: { key: "jwt.issuer" } });
    await writeToml(`[jwt]\nenforce_on_all_ingest_apis = true\n`);
    expect(await loadError()).toMatchObject({ message: expect.stringContaining("jwt.secret is empty, but jwt.enforce_on_all_ingest_apis"), config: { key: "jwt.secret" } });
  });
});

describe("row policies' user", () => {
  it("defaults to MooseStack's moose_rls_user with the main password; a wrong rls_password is refused without repeating it", async () => {
    await writeToml("");
    expect((await loadConfig(project.dir, {})).clickhouse_config).toMatchObject({ rls_user: "moose_rls_user", rls_password: "" });
    expect((await loadConfig(project.dir, { MOOSE_CLICKHOUSE_CONFIG__RLS_USER: "tenant_reader" })).clickhouse_config.rls_user).toBe("tenant_reader");
    await writeToml(`[clickhouse_config]\nrls_password = 9137462\n`);
    const error = await loadError();
    expect(error.config).toMatchObject({ key: "clickhouse_config.rls_password" });
    expect(JSON.stringify({ message: error.message, hint: error.hint, details: error.details })).not.toContain("9137462");
  });

  it("must be a user of its own: the policies' role would filter the main user's every query", async () => {
    await writeToml(`[clickhouse_config]\nuser = "panda"\nrls_user = "panda"\n`);
    expect(await loadError()).toMatchObject({ code: "CONFIG_INVALID_VALUE", message: expect.stringContaining('clickhouse_config.rls_user is the main user "panda"'), config: { key: "clickhouse_config.rls_user" } });
    await writeToml("");
    expect(await loadError({ MOOSE_CLICKHOUSE_CONFIG__RLS_USER: " " })).toMatchObject({ message: expect.stringContaining("clickhouse_config.rls_user is empty") });
  });
});
