/**
 * moose.config.toml → Config. Start from the documented defaults, lay the file over them, then the
 * `MOOSE_<SECTION>__<KEY>` environment variables. Every key is checked against CONFIG_SCHEMA: an
 * unknown one or a value of the wrong type stops with an error naming the key, where it came from
 * (file and line, or the variable) and the closest valid name. Values are then checked against
 * their rules (./rules.ts: ports, hosts) and, once file and environment are merged, the HTTP server
 * is checked not to listen publicly without authentication.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse, TomlError } from "smol-toml";
import { MooseError } from "../errors.js";
import { fieldKind, fieldNames, isSectionName, SECTION_NAMES, TOP_LEVEL_KEYS, type FieldKind, type SectionName } from "./schema.js";
import { IGNORED_TOP_LEVEL_KEYS, ignoredKeys, isIgnoredMooseStackKey, isIgnoredSection, SECTION_ALIASES } from "./moosestack.js";
import { findKeyLine } from "./locate.js";
import { exposesUnauthenticatedServer, valueRule } from "./rules.js";
import { closestMatch } from "./suggest.js";
import { CLUSTERS_EXPECTED, journalClusterProblem, readClusters } from "./clusters.js";
import { DEFAULT_CONFIG, type Config } from "./types.js";

export const CONFIG_FILE_NAME = "moose.config.toml";

const ENV_PREFIX = "MOOSE_";
const ENV_SEPARATOR = "__";
/** MooseStack's documented names for [jwt] keys, besides MOOSE_JWT__<KEY>. */
const ENV_ALIASES: Readonly<Record<string, [SectionName, string]>> = {
  MOOSE_JWT_PUBLIC_KEY: ["jwt", "secret"],
  MOOSE_JWT_ISSUER: ["jwt", "issuer"],
  MOOSE_JWT_AUDIENCE: ["jwt", "audience"],
};
/** Keys whose values an error never repeats (a private key pasted where the public one goes, a password). */
const UNSHOWN_VALUES = new Set(["jwt.secret", "clickhouse_config.password", "clickhouse_config.rls_password", "temporal_config.api_key"]);

type Value = string | number | boolean;
/** Where a value came from, for error messages. */
type Origin = { kind: "file"; file: string; toml: string } | { kind: "env"; variable: string };
/** `section.key` → where its value was last set (absent: the default). */
type Origins = Map<string, Origin>;

/** Where the one "accepted but not used" warning goes; once per file and list per process by default. */
export type ConfigWarn = (message: string) => void;

const warned = new Set<string>();
const warnOnce: ConfigWarn = (message) => {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
};

export async function loadConfig(projectDir: string, env: NodeJS.ProcessEnv = process.env, warn: ConfigWarn = warnOnce): Promise<Config> {
  const config = structuredClone(DEFAULT_CONFIG);
  const origins: Origins = new Map();
  const filePath = path.join(projectDir, CONFIG_FILE_NAME);
  const toml = await readIfExists(filePath);
  if (toml !== undefined) {
    const ignored = applyFile(config, toml, displayPath(filePath), origins);
    if (ignored.length > 0) {
      warn(
        `${displayPath(filePath)}: ${ignored.length === 1 ? "this MooseStack key is" : "these MooseStack keys are"} accepted but not used by moose-ts: ${ignored.join(", ")} ` +
          "(see docs/moosestack-differences.md)",
      );
    }
  }
  applyEnv(config, env, origins);
  checkExposure(config, origins);
  checkJournalCluster(config, origins);
  checkJwt(config, origins);
  checkRlsUser(config);
  return config;
}

async function readIfExists(filePath: string): Promise<string | undefined> {
  try {
    return await readFile(filePath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new MooseError("CONFIG_UNREADABLE", `cannot read ${filePath}: ${(error as Error).message}`, {
      hint: "check the file's permissions",
      cause: error,
    });
  }
}

/** Lays the file over config; returns the MooseStack keys it accepted without using (`section` or `section.key`). */
function applyFile(config: Config, toml: string, file: string, origins: Origins): string[] {
  let document: Record<string, unknown>;
  try {
    document = parse(toml);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const firstLine = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    throw new MooseError("CONFIG_INVALID_TOML", `${file} is not valid TOML: ${firstLine}`, {
      location: { file, line: error.line, col: error.column },
      hint: `fix the syntax at line ${error.line}, column ${error.column}:\n${error.codeblock}`,
      cause: error,
    });
  }
  const origin: Origin = { kind: "file", file, toml };
  const ignored: string[] = [];
  for (const [name, sectionValue] of Object.entries(document)) {
    if (!isPlainTable(sectionValue) && (Object.hasOwn(TOP_LEVEL_KEYS, name) || IGNORED_TOP_LEVEL_KEYS.includes(name))) {
      if (IGNORED_TOP_LEVEL_KEYS.includes(name)) ignored.push(name);
      else setTopLevel(config, name as keyof typeof TOP_LEVEL_KEYS, sectionValue, origin);
      continue;
    }
    if (isStateInClickHouse(name, sectionValue)) continue; // what moose-ts does anyway: the journal and state live in ClickHouse
    if (isIgnoredSection(name)) {
      ignored.push(name);
      continue;
    }
    const section = knownSection(SECTION_ALIASES[name] ?? name, origin);
    if (!isPlainTable(sectionValue)) {
      throw invalidType([section], "a table", sectionValue, origin, `write it as a [${section}] section`);
    }
    for (const [key, value] of Object.entries(sectionValue)) {
      if (isClustersKey(section, key)) {
        setClusters(config, value, origin, origins);
        continue;
      }
      if (fieldKind(section, key) === undefined && isIgnoredMooseStackKey(section, key)) {
        ignored.push(`${section}.${key}`);
        continue;
      }
      const kind = knownField(section, key, origin);
      if (!matchesKind(value, kind)) throw invalidType([section, key], describeKind(kind), value, origin);
      setField(config, section, key, value as Value, origin, origins);
    }
  }
  return ignored;
}

/** MooseStack's `[state_config] storage = "clickhouse"` (its default) describes moose-ts exactly; "redis" does not. */
function isStateInClickHouse(name: string, value: unknown): boolean {
  if (name !== "state_config" || !isPlainTable(value)) return false;
  const keys = Object.keys(value);
  return keys.every((key) => key === "storage") && String(value.storage ?? "clickhouse").toLowerCase() === "clickhouse";
}

/** `language` and `source_dir`, the top-level keys moose-ts uses. */
function setTopLevel(config: Config, key: keyof typeof TOP_LEVEL_KEYS, value: unknown, origin: Origin): void {
  const example = key === "language" ? '"Typescript"' : '"src"';
  if (typeof value !== "string") throw invalidType([key], `a string (e.g. ${example})`, value, origin);
  if (key === "language") {
    const language = value.toLowerCase();
    if (language !== "typescript" && language !== "python") throw invalidValue([key], '"Typescript" or "Python"', value, origin);
    config.language = language;
    return;
  }
  const normalized = value.trim().replace(/\\/g, "/").replace(/\/+$/, "");
  if (normalized === "" || path.isAbsolute(normalized) || normalized.split("/").includes("..")) {
    throw invalidValue([key], 'a folder inside the project (e.g. "src" or "app")', value, origin);
  }
  config.source_dir = normalized;
}

function applyEnv(config: Config, env: NodeJS.ProcessEnv, origins: Origins): void {
  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined || !variable.startsWith(ENV_PREFIX)) continue;
    if (Object.hasOwn(ENV_ALIASES, variable)) {
      const [section, key] = ENV_ALIASES[variable];
      setField(config, section, key, raw, { kind: "env", variable }, origins);
      continue;
    }
    const separator = variable.indexOf(ENV_SEPARATOR, ENV_PREFIX.length);
    // MOOSE_ variables without `__` are other settings (e.g. MOOSE_ADMIN_TOKEN), not config overrides.
    if (separator === -1) continue;
    const origin: Origin = { kind: "env", variable };
    const sectionName = variable.slice(ENV_PREFIX.length, separator).toLowerCase();
    const key = variable.slice(separator + ENV_SEPARATOR.length).toLowerCase();
    // MooseStack's own variables for keys moose-ts does not use (MOOSE_REDIS_CONFIG__URL, …) are left alone.
    if (isIgnoredSection(sectionName) || (fieldKind(SECTION_ALIASES[sectionName] ?? sectionName, key) === undefined && isIgnoredMooseStackKey(SECTION_ALIASES[sectionName] ?? sectionName, key))) continue;
    const section = knownSection(SECTION_ALIASES[sectionName] ?? sectionName, origin);
    if (isClustersKey(section, key)) {
      setClusters(config, raw, origin, origins);
      continue;
    }
    const kind = knownField(section, key, origin);
    const value = coerce(raw, kind);
    if (value === undefined) throw invalidType([section, key], describeKind(kind), raw, origin);
    setField(config, section, key, value, origin, origins);
  }
}

function knownSection(name: string, origin: Origin): SectionName {
  if (isSectionName(name)) return name;
  const candidates = origin.kind === "file" ? [...SECTION_NAMES, ...Object.keys(TOP_LEVEL_KEYS)] : SECTION_NAMES;
  const suggestion = closestMatch(name, candidates);
  throw unknownKey([name], suggestion, candidates, origin, "section");
}

function knownField(section: SectionName, key: string, origin: Origin): FieldKind {
  const kind = fieldKind(section, key);
  if (kind) return kind;
  const candidates = [...fieldNames(section), ...(section === "clickhouse_config" ? ["clusters"] : []), ...ignoredKeys(section)];
  throw unknownKey([section, key], closestMatch(key, candidates), candidates, origin, "key");
}

/** Sets a value of the right type after checking it against its rule (./rules.ts), if any. */
function setField(config: Config, section: SectionName, key: string, value: Value, origin: Origin, origins: Origins): void {
  const rule = valueRule(section, key);
  if (rule && !rule.check(value)) throw invalidValue([section, key], rule.expected, value, origin);
  (config[section] as Record<string, Value>)[key] = value;
  origins.set(`${section}.${key}`, origin);
}

/** `clickhouse_config.clusters`, the one list-valued key: an array of tables in the file, comma-separated names in the environment. */
function isClustersKey(section: SectionName, key: string): boolean {
  return section === "clickhouse_config" && key === "clusters";
}

function setClusters(config: Config, value: unknown, origin: Origin, origins: Origins): void {
  const clusters = readClusters(value, origin.kind);
  const expected = origin.kind === "env" ? "comma-separated cluster names (letters, digits, underscores)" : `${CLUSTERS_EXPECTED}, each name used once`;
  if (clusters === undefined) throw invalidType(["clickhouse_config", "clusters"], expected, value, origin);
  config.clickhouse_config.clusters = clusters;
  origins.set("clickhouse_config.clusters", origin);
}

function checkJournalCluster(config: Config, origins: Origins): void {
  const problem = journalClusterProblem(config.clickhouse_config);
  if (problem === undefined) return;
  const key = "clickhouse_config.journal_cluster";
  const origin = origins.get(key) ?? origins.get("clickhouse_config.clusters");
  const where = origin === undefined ? "" : ` in ${origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file}`;
  throw new MooseError("CONFIG_INVALID_VALUE", `${key}${where} ${problem}`, {
    config: origin === undefined ? { key } : configLocation(key, ["clickhouse_config", "journal_cluster"], origin),
    hint: `set ${key} to the name of one [[clickhouse_config.clusters]] entry (docs/clusters.md)`,
    details: { key },
  });
}

/** A JWT secret needs the claims it is checked with; enforcing JWTs needs a secret. */
function checkJwt(config: Config, origins: Origins): void {
  const { jwt } = config;
  const missing = (key: "secret" | "issuer" | "audience", because: string) => {
    const origin = origins.get(`jwt.${because}`);
    const where = origin === undefined ? "" : ` (set in ${origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file})`;
    return new MooseError("CONFIG_INVALID_VALUE", `jwt.${key} is empty, but jwt.${because}${where} needs it`, {
      config: { key: `jwt.${key}` },
      hint: key === "secret" ? "set jwt.secret (or MOOSE_JWT_PUBLIC_KEY) to the PEM RSA public key your identity provider signs tokens with" : `set jwt.${key} (or MOOSE_JWT_${key.toUpperCase()}) to the ${key === "issuer" ? "iss" : "aud"} claim your tokens carry`,
      details: { key: `jwt.${key}` },
    });
  };
  if (jwt.secret.trim() !== "") {
    if (jwt.issuer === "") throw missing("issuer", "secret");
    if (jwt.audience === "") throw missing("audience", "secret");
  } else {
    if (jwt.enforce_on_all_ingest_apis) throw missing("secret", "enforce_on_all_ingest_apis");
    if (jwt.enforce_on_all_consumptions_apis) throw missing("secret", "enforce_on_all_consumptions_apis");
  }
}

/**
 * Row-policy scoped queries run as rls_user, whom the policies' role filters on every query: it must
 * not be the main user, whose queries (migrations, ingest, syncs) read and write every row.
 */
function checkRlsUser(config: Config): void {
  const { user, rls_user } = config.clickhouse_config;
  if (rls_user.trim() === "" || rls_user === user) {
    throw new MooseError("CONFIG_INVALID_VALUE", `clickhouse_config.rls_user is ${rls_user.trim() === "" ? "empty" : `the main user ${JSON.stringify(user)}`}; it must be a user of its own`, {
      config: { key: "clickhouse_config.rls_user" },
      hint: 'leave it at its default, "moose_rls_user", or name another user for row-policy scoped queries',
      details: { key: "clickhouse_config.rls_user" },
    });
  }
}

/**
 * /ingest and /api take no credentials: a host other than loopback needs an admin API key, or the
 * explicit `allow_unauthenticated_public = true`. The error points at where the host was set.
 */
function checkExposure(config: Config, origins: Origins): void {
  if (!exposesUnauthenticatedServer(config)) return;
  const key = "http_server_config.host";
  const origin = origins.get(key);
  const host = config.http_server_config.host;
  const where = origin === undefined ? "" : ` in ${origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file}`;
  throw new MooseError(
    "CONFIG_PUBLIC_WITHOUT_AUTH",
    `${key}${where} is ${JSON.stringify(host)}, which is not a loopback address: other machines would reach the server, and with no [authentication] admin_api_key its admin API would be unprotected`,
    {
      config: origin === undefined ? { key } : configLocation(key, ["http_server_config", "host"], origin),
      hint:
        'listen on loopback (host = "localhost" or "127.0.0.1"), or set [authentication] admin_api_key (`moose generate hash-token`: it protects /admin; ' +
        "/ingest and /api stay open to whoever reaches the port unless MOOSE_INGEST_API_KEY / MOOSE_CONSUMPTION_API_KEY or [jwt] guard them, as in MooseStack), " +
        "or, if the server is meant to be public without authentication, set http_server_config.allow_unauthenticated_public = true " +
        "(MOOSE_HTTP_SERVER_CONFIG__ALLOW_UNAUTHENTICATED_PUBLIC=true)",
      details: { key, host, ...(origin?.kind === "env" ? { env: origin.variable } : {}) },
    },
  );
}

function matchesKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "boolean":
      return typeof value === "boolean";
  }
}

/** Environment variables are text: parse them as the field's kind, or undefined if they are not one. */
function coerce(raw: string, kind: FieldKind): Value | undefined {
  switch (kind) {
    case "string":
      return raw;
    case "integer": {
      const trimmed = raw.trim();
      return /^[+-]?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : undefined;
    }
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      if (lower === "true" || lower === "1") return true;
      if (lower === "false" || lower === "0") return false;
      return undefined;
    }
  }
}

function describeKind(kind: FieldKind): string {
  switch (kind) {
    case "string":
      return 'a string (e.g. "localhost")';
    case "integer":
      return "an integer (e.g. 18123)";
    case "boolean":
      return "a boolean (true or false)";
  }
}

function isPlainTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function unknownKey(
  keyPath: string[],
  suggestion: string | undefined,
  candidates: readonly string[],
  origin: Origin,
  what: "section" | "key",
): MooseError {
  const key = keyPath.join(".");
  const where = origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file;
  const inSection = what === "key" ? ` in [${keyPath[0]}]` : "";
  const didYouMean = suggestion ? ` (did you mean ${suggestion}?)` : "";
  const valid = `valid ${what === "section" ? "sections" : "keys"}${inSection}: ${candidates.join(", ")}`;
  return new MooseError("CONFIG_UNKNOWN_KEY", `unknown ${what} "${keyPath[keyPath.length - 1]}"${inSection} in ${where}${didYouMean}`, {
    config: configLocation(key, keyPath, origin),
    hint: suggestion ? `rename it to ${renamed(origin, what, keyPath[keyPath.length - 1], suggestion)}; ${valid}` : `remove it; ${valid}`,
    details: { key, ...(suggestion ? { suggestion } : {}), ...(origin.kind === "env" ? { env: origin.variable } : {}) },
  });
}

function invalidType(
  keyPath: string[],
  expected: string,
  actual: unknown,
  origin: Origin,
  hint?: string,
): MooseError {
  const key = keyPath.join(".");
  const where = origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file;
  const got = UNSHOWN_VALUES.has(key) ? `${describeValue(actual)} (not shown)` : origin.kind === "env" ? JSON.stringify(actual) : `${describeValue(actual)} ${JSON.stringify(actual)}`;
  return new MooseError("CONFIG_INVALID_TYPE", `${key} in ${where} must be ${expected}, got ${got}`, {
    config: configLocation(key, keyPath, origin),
    hint: hint ?? `set ${origin.kind === "env" ? origin.variable : key} to ${expected}`,
    details: { key, expected, ...(origin.kind === "env" ? { env: origin.variable } : {}) },
  });
}

function invalidValue(keyPath: string[], expected: string, actual: Value, origin: Origin): MooseError {
  const key = keyPath.join(".");
  const where = origin.kind === "env" ? `environment variable ${origin.variable}` : origin.file;
  const shown = UNSHOWN_VALUES.has(key) ? "a value not shown here" : JSON.stringify(actual);
  return new MooseError("CONFIG_INVALID_VALUE", `${key} in ${where} must be ${expected}, got ${shown}`, {
    config: configLocation(key, keyPath, origin),
    hint: `set ${origin.kind === "env" ? origin.variable : key} to ${expected}`,
    details: { key, expected, ...(UNSHOWN_VALUES.has(key) ? {} : { value: actual }), ...(origin.kind === "env" ? { env: origin.variable } : {}) },
  });
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a float";
  if (typeof value === "object" && value !== null) return "a table";
  return `a ${typeof value}`;
}

function configLocation(key: string, keyPath: string[], origin: Origin) {
  if (origin.kind === "env") return { key };
  const line = findKeyLine(origin.toml, keyPath) ?? findKeyLine(origin.toml, keyPath.slice(0, 1));
  return { key, file: origin.file, ...(line ? { line } : {}) };
}

/** The name to use instead of `wrong`: the key itself in the file, the whole variable in the environment. */
function renamed(origin: Origin, what: "section" | "key", wrong: string, suggestion: string): string {
  if (origin.kind === "file") return suggestion;
  const variable = origin.variable;
  return what === "section"
    ? ENV_PREFIX + suggestion.toUpperCase() + variable.slice(ENV_PREFIX.length + wrong.length)
    : variable.slice(0, variable.length - wrong.length) + suggestion.toUpperCase();
}

/** Paths in messages: relative to the working directory when inside it, absolute otherwise. */
function displayPath(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : path.resolve(filePath);
}
