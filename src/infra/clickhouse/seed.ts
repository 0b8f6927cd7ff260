/**
 * `moose seed clickhouse`: copies rows of the code's tables from another ClickHouse (production,
 * staging) into the local database, as MooseStack's seed does. Each table is one
 * `INSERT … SELECT … FROM url(…, 'Native')` that the local engine runs itself: the rows stream from
 * the source's HTTP interface in ClickHouse's binary format, so no value passes through JavaScript
 * (64-bit integers and decimals stay exact) and a large table never sits in this process's memory.
 * The source query goes out as an HTTP GET, which ClickHouse runs read-only.
 */
import { ExitCode, MooseError } from "../../errors.js";
import { isInsertable, type Manifest, type TableSpec } from "../../manifest/types.js";
import type { ClickHouseDriver } from "./driver.js";
import { quoteIdentifier, quoteString } from "./quote.js";
import { countRows } from "./rows.js";

/** Where the rows come from: the source's HTTP origin, its database and credentials (parsed from --clickhouse-url). */
export interface SeedSource {
  url: string;
  database: string;
  user: string;
  password: string;
}

export interface SeedOptions {
  /** Rows per table; undefined copies every row. */
  limit?: number;
  /** The source query's ORDER BY (`timestamp DESC` with a limit: the newest rows). */
  orderBy?: string;
}

export interface SeedSelection {
  tables: TableSpec[];
  skipped: Array<{ table: string; reason: string }>;
}

/** Engines whose tables hold rows of their own; the others read or forward elsewhere (Kafka, S3Queue, Null, Distributed, Buffer, …). */
const STORING_ENGINE = /MergeTree$|^(Memory|Log|TinyLog|StripeLog)$/;

/**
 * The tables to copy. Without `only`, a materialized view's target is left out: the view fills it
 * locally from the rows copied into its sources, and copying it too would count those twice.
 */
export function selectSeedTables(manifest: Manifest, only?: string): SeedSelection {
  const viewTargets = new Map(Object.values(manifest.materializedViews).map((view) => [view.targetTable, view.name]));
  const tables: TableSpec[] = [];
  const skipped: SeedSelection["skipped"] = [];
  for (const [id, table] of Object.entries(manifest.tables)) {
    if (only !== undefined && id !== only) continue;
    if (!STORING_ENGINE.test(table.engine.name)) skipped.push({ table: id, reason: `its ${table.engine.name} engine stores no rows of its own` });
    else if (only === undefined && viewTargets.has(id)) skipped.push({ table: id, reason: `the materialized view ${viewTargets.get(id)} fills it from its sources (--table ${id} copies it anyway)` });
    else tables.push(table);
  }
  return { tables, skipped };
}

/** The columns an INSERT may write. */
export function insertableColumns(table: TableSpec): string[] {
  return table.columns.filter(isInsertable).map((column) => column.name);
}

/** Every byte but letters and digits percent-encoded: url() reads `{…}`, `|` and `*` in a URL as patterns. */
function percentEncoded(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

/**
 * What the statement cannot carry: a line break in a credential would end its HTTP header (and start
 * another), and a comment or `;` in --order-by would cut the source query short.
 */
export function refuseUnsafeSeedInput(source: SeedSource, options: SeedOptions): void {
  for (const [what, value] of [["user", source.user], ["password", source.password]] as const) {
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new MooseError("USAGE", `the source's ${what} holds a control character, which an HTTP header cannot carry`, { exitCode: ExitCode.usage });
  }
  if (options.orderBy !== undefined && /--|\/\*|#|;/.test(options.orderBy)) {
    throw new MooseError("USAGE", `--order-by takes an ORDER BY list (\`timestamp DESC\`), without comments or \`;\` (got ${JSON.stringify(options.orderBy)})`, { exitCode: ExitCode.usage });
  }
}

/** The statement the local engine runs to copy one table from the source. */
export function seedStatement(table: TableSpec, source: SeedSource, options: SeedOptions): string {
  const columns = insertableColumns(table).map(quoteIdentifier).join(", ");
  const select =
    `SELECT ${columns} FROM ${quoteIdentifier(source.database)}.${quoteIdentifier(table.name)}` +
    (options.orderBy !== undefined ? ` ORDER BY ${options.orderBy}` : "") +
    (options.limit !== undefined ? ` LIMIT ${options.limit}` : "") +
    " FORMAT Native";
  const url = `${source.url}/?query=${percentEncoded(select)}`;
  const headers = `headers('X-ClickHouse-User' = ${quoteString(source.user)}, 'X-ClickHouse-Key' = ${quoteString(source.password)})`;
  return `INSERT INTO ${quoteIdentifier(table.name)} (${columns}) SELECT ${columns} FROM url(${quoteString(url)}, 'Native', ${headers})`;
}

export interface SeededTable {
  table: string;
  /** Rows the table gained. */
  copied: number;
  /** Rows in the local table afterwards. */
  total: number;
}

export interface SeedReport {
  seeded: SeededTable[];
  skipped: Array<{ table: string; reason: string }>;
  failed: Array<{ table: string; error: string }>;
}

/**
 * Copies `selection`'s tables from the source into `target`, one after another. A table the local
 * database or the source lacks is skipped; a table whose copy fails is reported and the rest go on.
 * `sourceTables`: the names the source's database has.
 */
export async function seedTables(target: ClickHouseDriver, source: SeedSource, sourceTables: Set<string>, selection: SeedSelection, options: SeedOptions, onTable: (done: SeededTable) => void): Promise<SeedReport> {
  const local = new Set((await target.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase()")).map((row) => row.name));
  const report: SeedReport = { seeded: [], skipped: [...selection.skipped], failed: [] };
  for (const table of selection.tables) {
    if (!local.has(table.name)) {
      const make = table.lifeCycle === "EXTERNALLY_MANAGED" ? "run `moose dev`: it creates EXTERNALLY_MANAGED tables locally" : "run `moose dev`, or `moose migrate up --embedded`";
      report.skipped.push({ table: table.name, reason: `the local database has no such table yet (${make})` });
      continue;
    }
    if (!sourceTables.has(table.name)) {
      report.skipped.push({ table: table.name, reason: `the source has no table ${table.name} in database ${source.database}` });
      continue;
    }
    try {
      const before = await countRows(target, table.name);
      await target.exec(seedStatement(table, source, options));
      const total = await countRows(target, table.name);
      const seeded = { table: table.name, copied: total - before, total };
      report.seeded.push(seeded);
      onTable(seeded);
    } catch (error) {
      report.failed.push({ table: table.name, error: withoutSecret((error as Error).message, source.password) });
    }
  }
  return report;
}

/** The engine quotes a failed statement in its error: the source's password (the header's literal) never reaches the terminal. */
function withoutSecret(message: string, secret: string): string {
  return secret === "" ? message : message.split(quoteString(secret)).join("'***'");
}
