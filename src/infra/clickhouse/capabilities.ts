/**
 * What the connected server accepts, from its version (probed once when the connection opens,
 * remote.ts), and the adaptation of generated column changes for servers without `IF [NOT] EXISTS`
 * on columns: the existence check runs first, as a query, and the statement without the clause
 * runs only when it would have done something. The decision is made on typed values (the step's
 * cause, which names the table and column, and the server's version); the statement is only adapted
 * when it starts exactly as ddl.ts writes it (`ALTER TABLE t [ON CLUSTER c] <COMMAND> IF [NOT] EXISTS col …`).
 * On a cluster the check is not made (the connected host cannot speak for the others): the plain
 * statement runs on every host, and a host where it was already done answers with an error the
 * executor counts as done (executor.ts).
 *
 * Oldest version moose-ts relies on per feature (docs/clusters.md keeps the table for users):
 *   columnIfExists   20.1 here (ClickHouse has it from 19.x; 18.16, tested, does not)
 *   exchangeTables   21.8 with an Atomic database (18.16 has neither): before it a rebuild swaps
 *                    with one multi-table RENAME (executor.ts), which is not atomic across tables
 */
import type { StepCause } from "../../steps/index.js";
import type { ClickHouseDriver } from "./driver.js";
import { quoteIdentifier } from "./quote.js";

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

/** The verbs a generated column change of each operation may start with (ddl.ts). */
const VERBS: Partial<Record<StepCause["operation"], ReadonlyArray<"ADD" | "DROP" | "MODIFY" | "COMMENT" | "RENAME">>> = {
  addColumn: ["ADD", "DROP"],
  dropColumn: ["DROP", "ADD"],
  modifyColumn: ["MODIFY", "COMMENT"],
  renameColumn: ["RENAME"],
};

/** A generated column change as a server without `IF [NOT] EXISTS` on columns takes it. */
export interface GuardedColumnStatement {
  /** The statement without the clause. */
  sql: string;
  table: string;
  column: string;
  verb: "ADD" | "DROP" | "MODIFY" | "COMMENT" | "RENAME";
  /** Run it when the column is present (DROP/MODIFY/COMMENT/RENAME) or absent (ADD). */
  runWhen: "present" | "absent";
}

/**
 * The step's statement for a server without column `IF [NOT] EXISTS`; undefined when the step is
 * not a generated column change (its cause names no column) or does not start the way ddl.ts writes
 * that change of that column (hand-edited: it runs as written). Table, column and verb come from the
 * cause; the statement is only compared with what they give, never read for names.
 */
export function guardColumnStatement(sql: string, cause: StepCause | undefined): GuardedColumnStatement | undefined {
  const target = cause?.column;
  if (cause === undefined || target === undefined) return undefined;
  const cluster = cause.cluster === undefined ? "" : ` ON CLUSTER ${quoteIdentifier(cause.cluster)}`;
  const column = quoteIdentifier(target.name);
  for (const verb of VERBS[cause.operation] ?? []) {
    const clause = verb === "ADD" ? "IF NOT EXISTS" : "IF EXISTS";
    const head = `ALTER TABLE ${quoteIdentifier(target.table)}${cluster} ${verb} COLUMN`;
    const prefix = `${head} ${clause} ${column}`;
    const rest = sql.slice(prefix.length);
    if (!sql.startsWith(prefix) || !(rest === "" || /^\s/.test(rest))) continue;
    return { sql: `${head} ${column}${rest}`, table: target.table, column: target.name, verb, runWhen: verb === "ADD" ? "absent" : "present" };
  }
  return undefined;
}
