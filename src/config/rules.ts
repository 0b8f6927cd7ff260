/**
 * Rules on config values beyond their type: a port is a port, a host is not empty, and the HTTP
 * server does not listen on other machines' network without authentication unless asked to.
 * Each rule returns what is wrong (to follow "must be …") or undefined; the loader names the key
 * and where the value came from.
 */
import { createPublicKey } from "node:crypto";
import { BlockList, isIP } from "node:net";
import type { Config } from "./types.js";

export type ConfigValue = string | number | boolean;

export interface ValueRule {
  /** What a valid value is, e.g. "a port number from 1 to 65535". */
  expected: string;
  check(value: ConfigValue): boolean;
}

const port: ValueRule = {
  expected: "a port number from 1 to 65535",
  check: (value) => typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535,
};

const host: ValueRule = {
  expected: 'a host name or address (not empty; e.g. "localhost")',
  check: (value) => typeof value === "string" && value.trim() !== "" && !/\s/.test(value),
};

const positive: ValueRule = {
  expected: "a whole number of at least 1",
  check: (value) => typeof value === "number" && Number.isInteger(value) && value >= 1,
};

const notNegative: ValueRule = {
  expected: "a whole number of at least 0",
  check: (value) => typeof value === "number" && Number.isInteger(value) && value >= 0,
};

/**
 * A database of the app's own: ClickHouse's `system` and `information_schema` hold no tables of the
 * app (creating them there half-works, and the journal written there reads back empty).
 */
const appDatabase: ValueRule = {
  expected: 'the name of a database of the app\'s own (not empty, not ClickHouse\'s "system", "information_schema" or "INFORMATION_SCHEMA")',
  check: (value) => typeof value === "string" && value.trim() !== "" && !["system", "information_schema"].includes(value.toLowerCase()),
};

/**
 * A PEM RSA public key of at least 2048 bits, as RS256 needs (a smaller one would refuse every
 * token), and nothing private anywhere in the value, which has no place in a config file.
 */
const rsaPublicKey: ValueRule = {
  expected: 'a PEM RSA public key of 2048 bits or more ("-----BEGIN PUBLIC KEY-----" …) and no private key, or empty',
  check: (value) => typeof value === "string" && (value.trim() === "" || isRsaPublicKey(value)),
};

function isRsaPublicKey(pem: string): boolean {
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem) || /PRIVATE KEY/.test(pem)) return false;
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  } catch {
    return false;
  }
}

/** `section.key` → its rule. Keys without one accept any value of their type. */
export const VALUE_RULES: Readonly<Record<string, ValueRule>> = {
  "clickhouse_config.host": host,
  "clickhouse_config.db_name": appDatabase,
  "clickhouse_config.host_port": port,
  "clickhouse_config.native_port": port,
  "http_server_config.host": host,
  "http_server_config.port": port,
  "temporal_config.temporal_host": host,
  "temporal_config.temporal_port": port,
  "redpanda_config.replication_factor": positive,
  "redpanda_config.sync_batch_size": positive,
  "redpanda_config.sync_batch_timeout_ms": positive,
  "redpanda_config.process_retries": notNegative,
  "jwt.secret": rsaPublicKey,
};

export function valueRule(section: string, key: string): ValueRule | undefined {
  return Object.hasOwn(VALUE_RULES, `${section}.${key}`) ? VALUE_RULES[`${section}.${key}`] : undefined;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** 127.0.0.0/8, ::1 (in any spelling, bracketed or IPv4-mapped) and `localhost`. */
export function isLoopbackHost(name: string): boolean {
  const bare = name.trim().replace(/^\[(.*)\]$/, "$1");
  if (bare.toLowerCase() === "localhost") return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The API server serves /ingest and /api without authentication unless API keys or [jwt] guard them
 * (src/server/api-auth.ts), and /admin needs its key: listening beyond loopback needs
 * an admin API key, or `allow_unauthenticated_public = true` to say it is intended.
 */
export function exposesUnauthenticatedServer(config: Config): boolean {
  const server = config.http_server_config;
  return !isLoopbackHost(server.host) && config.authentication.admin_api_key === "" && !server.allow_unauthenticated_public;
}
