/**
 * `--clickhouse-url http(s)://user:password@host:port/database[?setting=value&…]`: where it points,
 * with whom, and the settings its query parameters give every statement. The database may also be
 * given as `?database=name` (ClickHouse's own HTTP parameter, as MooseStack's docs write URLs). Kept
 * apart from the driver so commands can read a URL without loading @clickhouse/client.
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

export function parseClickHouseUrl(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(text, "it is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw badUrl(text, `the scheme is ${url.protocol.replace(":", "")}, not http or https`);
  const segments = url.pathname.split("/").filter(Boolean);
  if (segments.length > 1) throw badUrl(text, "the path must be just the database name");
  const inPath = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
  // ClickHouse's HTTP parameter: the connection's database, not a setting for each statement.
  const inQuery = url.searchParams.get("database") ?? undefined;
  url.searchParams.delete("database");
  if (inPath !== undefined && inQuery !== undefined && inPath !== inQuery) throw badUrl(text, `it names two databases, ${inPath} (the path) and ${inQuery} (?database=)`);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 8443 : 8123;
  const flag = { flag: "--clickhouse-url" };
  return {
    url: `${url.protocol}//${url.host}`,
    host: url.hostname,
    port,
    user: decodeURIComponent(url.username) || "default",
    password: decodeURIComponent(url.password),
    database: inPath || inQuery || "default",
    settings: Object.fromEntries(url.searchParams),
    origin: { describe: () => flag },
  };
}

/**
 * `text` with the password of its user info masked, also in a URL that does not parse (a password
 * holding `/` or `@`, a scheme left out): everything between the first `:` and the last `@` before
 * the query. A `@` in the query (a setting's value) is not user info.
 */
export function withoutPassword(text: string): string {
  const slashes = text.indexOf("//");
  const start = slashes >= 0 ? slashes + 2 : 0;
  const query = text.slice(start).search(/[?#]/);
  const end = query >= 0 ? start + query : text.length;
  const authority = text.slice(start, end);
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  if (at < 0 || colon < 0 || colon > at) return text;
  return `${text.slice(0, start)}${authority.slice(0, colon + 1)}***${authority.slice(at)}${text.slice(end)}`;
}

export function badUrl(text: string, why: string): MooseError {
  const redacted = withoutPassword(text);
  return new MooseError("CLICKHOUSE_BAD_URL", `Invalid --clickhouse-url ${redacted}: ${why}.`, {
    exitCode: ExitCode.usage,
    hint: "Use http(s)://user:password@host:port/database[?setting=value&…] (or …/?database=name), e.g. http://default:@localhost:8123/default.",
  });
}

