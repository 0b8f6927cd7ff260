/**
 * What the connected server accepts, from its version (probed once when the connection opens,
 * remote.ts), and the adaptation of generated column changes for servers without `IF [NOT] EXISTS`
 * on columns: the existence check runs first, as a query, and the statement without the clause
 * runs only when it would have done something. The decision is made on typed values (the step's
 * cause and the server's version); the statement is only ever one this module's sibling ddl.ts
 * generated, in the one shape it writes (`ALTER TABLE t [ON CLUSTER c] <COMMAND> IF [NOT] EXISTS col …`).
 *
 * Oldest version moose-ts relies on per feature (docs/clusters.md keeps the table for users):
 *   columnIfExists   20.1 here (ClickHouse has it from 19.x; 18.16, tested, does not)
 *   exchangeTables   21.8 with an Atomic database (18.16 has neither): before it a rebuild swaps
 *                    with one multi-table RENAME (executor.ts), which is not atomic across tables
 */
import type { StepCause } from "../../steps/index.js";
import type { ClickHouseDriver } from "./driver.js";

export interface ServerCapabilities {
  /** `ADD COLUMN IF NOT EXISTS`, `DROP|MODIFY|COMMENT|RENAME COLUMN IF EXISTS`. */
  columnIfExists: boolean;
  /** `EXCHANGE TABLES a AND b` (an atomic swap). */
  exchangeTables: boolean;
}

/** The embedded engine (chdb 26.x) and servers of unknown version have everything. */
export function capabilitiesOf(version: readonly [number, number] | undefined): ServerCapabilities {
  if (version === undefined) return { columnIfExists: true, exchangeTables: true };
  const [major, minor] = version;
  return { columnIfExists: major >= 20, exchangeTables: major > 21 || (major === 21 && minor >= 8) };
}

/** The version the remote driver probed when it connected; undefined for the embedded engine. */
export function serverCapabilities(driver: ClickHouseDriver): ServerCapabilities {
  const version = (driver as { serverVersion?: [number, number] }).serverVersion;
  return capabilitiesOf(driver.kind === "remote" ? version : undefined);
}

const COLUMN_OPERATIONS: ReadonlySet<string> = new Set(["addColumn", "dropColumn", "modifyColumn", "renameColumn"]);

/** A generated column change as a server without `IF [NOT] EXISTS` on columns takes it. */
export interface GuardedColumnStatement {
  /** The statement without the clause. */
  sql: string;
  table: string;
  column: string;
  /** Run it when the column is present (DROP/MODIFY/COMMENT/RENAME) or absent (ADD). */
  runWhen: "present" | "absent";
}

const IDENTIFIER = String.raw`(?:\x60(?:[^\x60\\]|\\.)*\x60|[A-Za-z_][A-Za-z0-9_]*)`;
const GUARDED = new RegExp(
  String.raw`^(ALTER TABLE (${IDENTIFIER})(?: ON CLUSTER ${IDENTIFIER})? (ADD|DROP|MODIFY|COMMENT|RENAME) COLUMN) (IF NOT EXISTS|IF EXISTS) (${IDENTIFIER})`,
);

function unquote(identifier: string): string {
  if (!identifier.startsWith("`")) return identifier;
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0" };
  return identifier.slice(1, -1).replace(/\\(.)/g, (_, ch: string) => escapes[ch] ?? ch);
}

/**
 * The step's statement for a server without column `IF [NOT] EXISTS`; undefined when the step is
 * not a generated column change (its cause says so) or already has no such clause.
 */
export function guardColumnStatement(sql: string, cause: StepCause | undefined): GuardedColumnStatement | undefined {
  if (cause === undefined || !COLUMN_OPERATIONS.has(cause.operation)) return undefined;
  const match = GUARDED.exec(sql);
  if (!match) return undefined;
  const [whole, head, table, , clause, column] = match;
  return {
    sql: `${head} ${column}${sql.slice(whole!.length)}`,
    table: unquote(table!),
    column: unquote(column!),
    runWhen: clause === "IF NOT EXISTS" ? "absent" : "present",
  };
}
