/**
 * `--clickhouse-url http(s)://user:password@host:port/database[?setting=value&…]`: where it points,
 * with whom, and the settings its query parameters give every statement. The database may also be
 * given as `?database=name`, and the login as `?user=…&password=…` (ClickHouse's own HTTP parameters,
 * as MooseStack's docs write URLs); a `clickhouse://` native-protocol URL on port 9000 or 9440 reads
 * as the same server's HTTP(S) URL (8123, 8443). Kept apart from the driver so commands can read a URL
 * without loading @clickhouse/client.
 */
import type { ClickHouseSettings } from "@clickhouse/client";
import { ExitCode, MooseError, type ConfigLocation } from "../../errors.js";

/** Where the connection settings came from, for error messages. */
export interface Origin {
  /** `--clickhouse-url` or a config key. */
  describe(part: "host" | "credentials" | "database"): { config?: ConfigLocation; flag?: string };
}

export interface Endpoint {
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** ClickHouse settings for every statement: `--clickhouse-url`'s query parameters (`?distributed_ddl_task_timeout=30`). */
  settings: ClickHouseSettings;
  origin: Origin;
}

/** ClickHouse's native-protocol ports and the HTTP(S) ports of the same servers (MooseStack converts native URLs the same way). */
const NATIVE_TO_HTTP: Record<string, { protocol: "http:" | "https:"; port: string }> = {
  "": { protocol: "http:", port: "8123" },
  "9000": { protocol: "http:", port: "8123" },
  "9440": { protocol: "https:", port: "8443" },
};

export function parseClickHouseUrl(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(text, "it is not a URL");
  }
  if (url.protocol === "clickhouse:") {
    const http = NATIVE_TO_HTTP[url.port];
    if (!http) throw badUrl(text, `port ${url.port} of a clickhouse:// URL is no native-protocol port moose-ts knows the HTTP port of (9000 → 8123, 9440 → 8443): give the HTTP(S) URL`);
    url = new URL(`${http.protocol}//${url.username ? `${url.username}${url.password ? `:${url.password}` : ""}@` : ""}${url.hostname.includes(":") ? `[${url.hostname}]` : url.hostname}:${http.port}${url.pathname}${url.search}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw badUrl(text, `the scheme is ${url.protocol.replace(":", "")}, not http, https or clickhouse`);
  const segments = url.pathname.split("/").filter(Boolean);
  if (segments.length > 1) throw badUrl(text, "the path must be just the database name");
  const inPath = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
  // ClickHouse's HTTP parameter: the connection's database, not a setting for each statement.
  const inQuery = url.searchParams.get("database") ?? undefined;
  // So are user and password (`http://host:8123/?user=u&password=p`), when the URL has no user info.
  const queryUser = url.searchParams.get("user") ?? undefined;
  const queryPassword = url.searchParams.get("password") ?? undefined;
  for (const name of ["database", "user", "password"]) url.searchParams.delete(name);
  if (url.username !== "" && (queryUser !== undefined || queryPassword !== undefined)) throw badUrl(text, "it gives the user twice, before the host and as ?user= / ?password=");
  if (inPath !== undefined && inQuery !== undefined && inPath !== inQuery) throw badUrl(text, `it names two databases, ${inPath} (the path) and ${inQuery} (?database=)`);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 8443 : 8123;
  const flag = { flag: "--clickhouse-url" };
  return {
    url: `${url.protocol}//${url.host}`,
    host: url.hostname,
    port,
    user: decodeURIComponent(url.username) || queryUser || "default",
    password: decodeURIComponent(url.password) || queryPassword || "",
    database: inPath || inQuery || "default",
    settings: Object.fromEntries(url.searchParams),
    origin: { describe: () => flag },
  };
}

/**
 * `text` with the password of its user info masked, also in a URL that does not parse (a password
 * holding `/` or `@`, a scheme left out): everything between the first `:` and the last `@` before
 * the query, and a `password=` query parameter. A `@` in the query (a setting's value) is not user info.
 */
export function withoutPassword(text: string): string {
  const slashes = text.indexOf("//");
  const start = slashes >= 0 ? slashes + 2 : 0;
  const query = text.slice(start).search(/[?#]/);
  const end = query >= 0 ? start + query : text.length;
  const authority = text.slice(start, end);
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  // A password given as a query parameter (`?user=u&password=p`) too.
  const rest = text.slice(end).replace(/([?&]password=)[^&#]*/gi, "$1***");
  if (at < 0 || colon < 0 || colon > at) return text.slice(0, end) + rest;
  return `${text.slice(0, start)}${authority.slice(0, colon + 1)}***${authority.slice(at)}${rest}`;
}

export function badUrl(text: string, why: string): MooseError {
  const redacted = withoutPassword(text);
  return new MooseError("CLICKHOUSE_BAD_URL", `Invalid --clickhouse-url ${redacted}: ${why}.`, {
    exitCode: ExitCode.usage,
    hint: "Use http(s)://user:password@host:port/database[?setting=value&…] (or …/?database=name&user=…&password=…, or clickhouse://user:password@host:9440/database), e.g. http://default:@localhost:8123/default.",
  });
}
