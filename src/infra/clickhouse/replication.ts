/**
 * The embedded engine (chdb) has no Keeper, so it cannot create Replicated* tables. On it, moose-ts
 * creates the table with the engine being replicated (`ReplicatedReplacingMergeTree('/p', '{replica}',
 * ver)` → `ReplacingMergeTree(ver)`) and compares live tables with the code the same way; migration
 * files and every real server keep the Replicated engine as written. It has no cluster either: a
 * statement generated ON CLUSTER runs there without the clause.
 */
import { splitTopLevel } from "../../diff/normalize.js";
import type { EngineSpec, Manifest } from "../../manifest/types.js";
import { quoteIdentifier } from "./quote.js";

/** `Replicated<Family>MergeTree` → `<Family>MergeTree`, dropping the Keeper path and replica name (string literals). */
export function unreplicatedEngine(engine: EngineSpec): EngineSpec {
  const match = /^Replicated(\w*MergeTree)$/.exec(engine.name);
  if (!match) return engine;
  const [path, replica] = engine.params;
  const keeperArgs = path !== undefined && replica !== undefined && isStringLiteral(path) && isStringLiteral(replica) ? 2 : 0;
  return { name: match[1]!, params: engine.params.slice(keeperArgs) };
}

/** A CREATE TABLE statement with a Replicated* engine rewritten by unreplicatedEngine; other SQL unchanged. */
export function unreplicatedSql(sql: string): string {
  const match = /^(ENGINE\s*=\s*)Replicated(\w*MergeTree)\b(\s*\(([\s\S]*?)\))?[ \t]*$/m.exec(sql);
  if (!match || !/^\s*CREATE\s+TABLE\b/i.test(sql)) return sql;
  const params = match[4] === undefined || match[4].trim() === "" ? [] : splitTopLevel(match[4]);
  const engine = unreplicatedEngine({ name: `Replicated${match[2]}`, params });
  const clause = `${match[1]}${engine.name}${engine.params.length > 0 ? `(${engine.params.join(", ")})` : ""}`;
  return sql.slice(0, match.index) + clause + sql.slice(match.index + match[0].length);
}

/**
 * A generated statement on a cluster as the embedded engine (one process, no cluster) runs it: the
 * ` ON CLUSTER <name>` the DDL builders wrote for the step's cause's cluster, taken out once.
 */
export function withoutOnCluster(sql: string, cluster: string | undefined): string {
  if (cluster === undefined) return sql;
  const clause = ` ON CLUSTER ${quoteIdentifier(cluster)}`;
  const at = sql.indexOf(clause);
  return at === -1 ? sql : sql.slice(0, at) + sql.slice(at + clause.length);
}

/** The manifest as the embedded engine holds it: every Replicated* table engine unreplicated. */
export function unreplicatedManifest(manifest: Manifest): Manifest {
  const tables = Object.fromEntries(Object.entries(manifest.tables).map(([id, table]) => [id, { ...table, engine: unreplicatedEngine(table.engine) }]));
  return { ...manifest, tables };
}

function isStringLiteral(text: string): boolean {
  return /^'(?:[^'\\]|\\.)*'$/.test(text.trim());
}
