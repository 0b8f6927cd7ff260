/**
 * What the connected server accepts, from its version (probed once when the connection opens,
 * remote.ts), and what moose-ts does with a generated statement the server does not accept.
 *
 * Column `IF [NOT] EXISTS`: the existence check runs first, as a query, and the statement without the
 * clause runs only when it would have done something. The decision is made on typed values (the
 * step's cause, which names the table and column, and the server's version); the statement is only
 * adapted when it starts exactly as ddl.ts writes it (`ALTER TABLE t [ON CLUSTER c] <COMMAND> IF [NOT] EXISTS col …`).
 * On a cluster the check is not made (the connected host cannot speak for the others): the plain
 * statement runs on every host, and a host where it was already done answers with an error the
 * executor counts as done (executor.ts).
 *
 * Newer features: the plan records in each step's `cause.needs` which ones its statement uses
 * (columnFeatures / tableFeatures below, from the typed specs). Before a run applies anything, a
 * step needing a feature the server lacks is refused (SERVER_FEATURE_UNSUPPORTED) unless an
 * adaptation exists: a column rename (add + ALTER UPDATE + drop), the removal of a default or
 * comment (`MODIFY COLUMN c <type>`, `COMMENT COLUMN c ''`) and a settings change (the data-keeping
 * rebuild), all run by the executor from the cause's typed data. A step whose statement is not the
 * one its cause generates (edited by hand) runs as written.
 *
 * Oldest version moose-ts relies on per feature (docs/clusters.md keeps the table for users):
 *   columnIfExists   20.1 here (ClickHouse has it from 19.x; 18.16, tested, does not)
 *   exchangeTables   21.8 with an Atomic database (18.16 has neither): before it a rebuild swaps
 *                    with one multi-table RENAME (executor.ts), which is not atomic across tables
 *   FEATURE_SINCE    the rest; 18.16 rejects every one of them (tested)
 */
import { MooseError } from "../../errors.js";
import type { ColumnSpec, TableSpec } from "../../manifest/types.js";
import type { RemovableProperty, ServerFeature, SqlStep, StepCause } from "../../steps/index.js";
import type { ClickHouseDriver } from "./driver.js";
import { modifySettingsSql, removeColumnPropertySql, renameColumnSql, resetSettingsSql } from "./ddl.js";
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

/** The version the remote driver probed when it connected; undefined for the embedded engine (it has everything). */
export function serverVersionOf(driver: ClickHouseDriver): ServerVersion | undefined {
  return driver.kind === "remote" ? (driver as { serverVersion?: ServerVersion }).serverVersion : undefined;
}

export function serverCapabilities(driver: ClickHouseDriver): ServerCapabilities {
  return capabilitiesOf(serverVersionOf(driver));
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

/** `[major, minor]`, as the remote driver reads it from `SELECT version()`. */
export type ServerVersion = readonly [number, number];

/**
 * The oldest ClickHouse with each feature, and its name in messages. 18.16 has none of them (tested);
 * the versions are ClickHouse's changelog's (skip indexes: experimental behind a setting before 20.1).
 */
export const FEATURE_SINCE: Readonly<Record<ServerFeature, { since: ServerVersion; what: string }>> = {
  renameColumn: { since: [20, 4], what: "RENAME COLUMN" },
  removeColumnProperty: { since: [21, 3], what: "MODIFY COLUMN … REMOVE" },
  materializeColumn: { since: [21, 10], what: "ALTER TABLE … MATERIALIZE COLUMN" },
  modifySetting: { since: [19, 11], what: "ALTER TABLE … MODIFY SETTING" },
  resetSetting: { since: [21, 8], what: "ALTER TABLE … RESET SETTING" },
  ttl: { since: [19, 6], what: "TTL (table or column)" },
  removeTtl: { since: [20, 10], what: "ALTER TABLE … REMOVE TTL" },
  codec: { since: [19, 1], what: "column compression codecs (CODEC)" },
  skipIndex: { since: [20, 1], what: "data skipping indexes (INDEX … TYPE … GRANULARITY)" },
  rowPolicy: { since: [20, 7], what: "row policies (CREATE ROLE, GRANT, CREATE ROW POLICY … USING getSetting(…))" },
};

export function formatVersion(version: ServerVersion): string {
  return `${version[0]}.${version[1]}`;
}

/** Whether a server of `version` has `feature`; undefined (the embedded engine) has everything. */
export function supports(version: ServerVersion | undefined, feature: ServerFeature): boolean {
  if (version === undefined) return true;
  const [major, minor] = FEATURE_SINCE[feature].since;
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

/** The features a column's definition uses (what `columnDefinition` writes). */
export function columnFeatures(column: ColumnSpec): ServerFeature[] {
  return [...(column.codec !== undefined ? (["codec"] as const) : []), ...(column.ttl !== undefined ? (["ttl"] as const) : [])];
}

/** The features a table's CREATE uses. */
export function tableFeatures(table: TableSpec): ServerFeature[] {
  const features = new Set<ServerFeature>(table.columns.flatMap(columnFeatures));
  if (table.ttl !== undefined) features.add("ttl");
  if (table.indexes.length > 0) features.add("skipIndex");
  return [...features].sort();
}

/** A generated step an old server runs in other statements, from the typed data of the step's cause. */
export type Adaptation =
  | { kind: "rename"; table: string; from: string; to: string }
  /** `MODIFY COLUMN c <its type>` drops a default on 18.x; an empty comment is no comment. */
  | { kind: "remove"; table: string; column: string; property: Extract<RemovableProperty, "default" | "materialized" | "alias" | "comment"> }
  /** The data-keeping rebuild, with the live table's CREATE and the changed settings. */
  | { kind: "settings"; table: string; set: Record<string, string>; reset: string[] };

/** The feature each adaptation stands in for. */
const ADAPTS: Record<Adaptation["kind"], ReadonlySet<ServerFeature>> = {
  rename: new Set(["renameColumn"]),
  remove: new Set(["removeColumnProperty"]),
  settings: new Set(["modifySetting", "resetSetting"]),
};

/** A codec or TTL cannot be taken away without REMOVE, but then an old server has neither anyway. */
function isAdaptedRemoval(property: RemovableProperty): property is "default" | "materialized" | "alias" | "comment" {
  return property === "default" || property === "materialized" || property === "alias" || property === "comment";
}

/**
 * The adaptation of a generated rename, property removal or settings change, when its statement is
 * exactly the one its cause generates (compared whole with ddl.ts's, so a statement edited by hand runs
 * as written). All are adapted on one server only: their existence checks, mutation waits and copies
 * read the connected host, and 18.x's ON CLUSTER alters of Replicated tables lose commented columns
 * (executor.ts).
 */
function adaptationOf(step: SqlStep): Adaptation | "edited" | undefined {
  const cause = step.cause;
  if (cause === undefined) return undefined;
  const target = cause.column;
  const settings = cause.settings;
  if (cause.operation === "renameColumn" && target?.renamedTo !== undefined) {
    if (step.sql !== renameColumnSql(target.table, target.name, target.renamedTo, cause.cluster)) return "edited";
    return cause.cluster === undefined ? { kind: "rename", table: target.table, from: target.name, to: target.renamedTo } : undefined;
  }
  if (cause.operation === "modifyColumn" && target?.removes !== undefined) {
    if (step.sql !== removeColumnPropertySql(target.table, target.name, target.removes, cause.cluster)) return "edited";
    const property = target.removes;
    return isAdaptedRemoval(property) && cause.cluster === undefined ? { kind: "remove", table: target.table, column: target.name, property } : undefined;
  }
  if (cause.operation === "modifySettings" && settings !== undefined) {
    const generated = settings.reset.length > 0 ? resetSettingsSql(cause.target, settings.reset, cause.cluster) : modifySettingsSql(cause.target, settings.set, cause.cluster);
    if (step.sql !== generated) return "edited";
    return cause.cluster === undefined ? { kind: "settings", table: cause.target, set: settings.set, reset: settings.reset } : undefined;
  }
  return undefined;
}

/** How a step runs on a server of `version`: as written, adapted, or not at all (the feature it lacks). */
export type StepSupport = { kind: "native" } | { kind: "adapted"; adaptation: Adaptation } | { kind: "unsupported"; feature: ServerFeature };

export function stepSupport(step: SqlStep, version: ServerVersion | undefined): StepSupport {
  const missing = (step.cause?.needs ?? []).filter((feature) => !supports(version, feature));
  if (missing.length === 0) return { kind: "native" };
  const adaptation = adaptationOf(step);
  if (adaptation === "edited") return { kind: "native" };
  if (adaptation !== undefined && missing.every((feature) => ADAPTS[adaptation.kind].has(feature))) return { kind: "adapted", adaptation };
  return { kind: "unsupported", feature: missing[0]! };
}

/** The refusal of a step whose statement needs `feature`, which the server lacks; `where` names the step. */
export function featureUnsupported(feature: ServerFeature, version: ServerVersion, where: string, cause: StepCause | undefined): MooseError {
  const { since, what } = FEATURE_SINCE[feature];
  const onCluster = cause?.cluster !== undefined && Object.values(ADAPTS).some((features) => features.has(feature));
  return new MooseError(
    "SERVER_FEATURE_UNSUPPORTED",
    `${where} uses ${what}, which ClickHouse has from ${formatVersion(since)}; the server is ${formatVersion(version)}${onCluster ? ` and the step runs on cluster ${cause.cluster}, where moose-ts does not adapt it` : ""}. Nothing was applied.`,
    {
      hint: `upgrade the server to ${formatVersion(since)} or later, or change the model so that the migration does without ${what} (docs/clusters.md, "What each server version supports"). A step you rewrote by hand for this server: remove "${feature}" from its cause's needs, then run \`moose migrate hash\``,
      details: { feature, serverVersion: formatVersion(version), oldestVersion: formatVersion(since), ...(cause?.cluster !== undefined ? { cluster: cause.cluster } : {}) },
    },
  );
}
