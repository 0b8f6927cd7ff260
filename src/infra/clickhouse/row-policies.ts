/**
 * The app's row policies (SelectRowPolicy, src/sdk/select-row-policy.ts) at query time.
 *
 * A ClickHouse server applies them itself: a scoped query runs as the RLS user with
 * `SQL_moose_rls_<column>` settings (`scopeSettings`). The embedded engine has no access control, so
 * moose applies them to a scoped query as `additional_table_filters` (`emulatedRowFilters`): per
 * table, the AND of its policies' `column = value`, which ClickHouse also applies where a view or
 * subquery reads that table — as a server's restrictive row policies do. A setting the caller did not
 * set (a claim its token lacks) is left as `getSetting('SQL_moose_rls_<column>')`, which fails the
 * query as the server's policy would: nothing is read unscoped.
 */
import { MooseError } from "../../errors.js";
import type { Manifest, RowPolicySpec } from "../../manifest/types.js";
import type { ClickHouseDriver } from "./driver.js";
import { quoteIdentifier, quoteString } from "./quote.js";

/** The role every row policy is for; the RLS user holds it (MooseStack's name, kept in live databases). */
export const MOOSE_RLS_ROLE = "moose_rls_role";
/** The user scoped queries run as, unless `clickhouse_config.rls_user` names another. */
export const MOOSE_RLS_USER = "moose_rls_user";
/** A policy reads its claim's value from the setting `SQL_moose_rls_<column>` (ClickHouse's custom-setting prefix is `SQL_`). */
export const MOOSE_RLS_SETTING_PREFIX = "SQL_moose_rls_";

/** Setting name → claim name, for every row policy of the app. */
export type RowPoliciesConfig = Record<string, string>;

/** What a scoped query runs with: the role, and the settings its policies read. */
export interface RowPolicyOptions {
  role: string;
  clickhouse_settings: Record<string, string>;
}

/** The settings a query needs for `claims`: each policy's setting set to its claim's value; a claim that is absent stays unset. */
export function buildRowPolicyOptionsFromClaims(config: RowPoliciesConfig, claims: Record<string, unknown>): RowPolicyOptions {
  const settings: Record<string, string> = Object.create(null);
  for (const [setting, claim] of Object.entries(config)) {
    const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
    if (value !== undefined && value !== null) settings[setting] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { role: MOOSE_RLS_ROLE, clickhouse_settings: settings };
}

export function rowPolicySetting(column: string): string {
  return `${MOOSE_RLS_SETTING_PREFIX}${column}`;
}

/** A row-policy RowPoliciesConfig from the policies' specs (the manifest's, or the registry's). */
export function rowPoliciesConfig(policies: Iterable<Pick<RowPolicySpec, "column" | "claim">>): RowPoliciesConfig {
  const config: RowPoliciesConfig = Object.create(null);
  for (const policy of policies) config[rowPolicySetting(policy.column)] = policy.claim;
  return config;
}

/** The statements that create and remove a policy (pure; the statements migrations run). */
export function rowPolicyStatements(name: string, policy: RowPolicySpec): { setup: string[]; teardown: string[] } {
  const using = `${quoteIdentifier(policy.column)} = getSetting(${quoteString(rowPolicySetting(policy.column))})`;
  return {
    setup: [
      `CREATE ROLE IF NOT EXISTS ${MOOSE_RLS_ROLE}`,
      `GRANT SELECT ON * TO ${MOOSE_RLS_ROLE}`,
      ...policy.tables.map(
        (table) => `CREATE ROW POLICY OR REPLACE ${quoteIdentifier(name)} ON ${quoteIdentifier(table)} AS RESTRICTIVE FOR SELECT USING ${using} TO ${MOOSE_RLS_ROLE}`,
      ),
    ],
    teardown: policy.tables.map((table) => `DROP ROW POLICY IF EXISTS ${quoteIdentifier(name)} ON ${quoteIdentifier(table)}`),
  };
}

/** The RLS user's password: `clickhouse_config.rls_password`, else the main user's of the ClickHouse served. */
export function rlsPassword(config: { rls_password: string }, mainPassword: string): string {
  return config.rls_password || mainPassword;
}

export function rowPoliciesOf(manifest: Pick<Manifest, "sqlResources">): RowPolicySpec[] {
  return Object.values(manifest.sqlResources).flatMap((resource) => (resource.rowPolicy ? [resource.rowPolicy] : []));
}

/** The settings a scoped query runs with for a caller's claims (a JWT's payload, or `rlsContext`). */
export function scopeSettings(policies: readonly Pick<RowPolicySpec, "column" | "claim">[], claims: Record<string, unknown>): Record<string, string> {
  return buildRowPolicyOptionsFromClaims(rowPoliciesConfig(policies), claims).clickhouse_settings;
}

/** A table that reads other tables' rows under its own name (Merge, Buffer, Distributed, Dictionary, materialized view), and its ordinary columns. */
export interface WrapperTable {
  name: string;
  columns: string[];
}

/**
 * `additional_table_filters` (a Map literal, as the setting is written) that make the embedded engine
 * read `database`'s tables as the RLS user would read them from a server, given the scoped query's
 * settings. The filters do not reach the tables a `wrappers` table reads (nor is it known which), so
 * each wrapper is filtered by every policy, and one that lacks a policy's column among its ordinary
 * columns reads nothing (it fails closed).
 */
export function emulatedRowFilters(policies: readonly RowPolicySpec[], database: string, settings: Record<string, string>, wrappers: readonly WrapperTable[] = []): string | undefined {
  const byTable = new Map<string, string[]>();
  const conditionOf = (policy: RowPolicySpec): string => {
    const setting = rowPolicySetting(policy.column);
    const value = Object.hasOwn(settings, setting) ? quoteString(settings[setting]!) : `getSetting(${quoteString(setting)})`;
    return `${quoteIdentifier(policy.column)} = ${value}`;
  };
  for (const policy of policies) {
    for (const table of policy.tables) byTable.set(table, [...(byTable.get(table) ?? []), conditionOf(policy)]);
  }
  if (byTable.size === 0) return undefined;
  for (const wrapper of wrappers) {
    const filterable = policies.every((policy) => wrapper.columns.includes(policy.column));
    byTable.set(wrapper.name, filterable ? [...new Set(policies.map(conditionOf))] : ["0"]);
  }
  const entries = [...byTable].map(([table, conditions]) => `${quoteString(`${database}.${table}`)}: ${quoteString(conditions.join(" AND "))}`);
  return `{${entries.join(", ")}}`;
}

/**
 * On a server: the RLS user exists and holds the policies' role (made by the policies' migration
 * steps), so its queries are scoped. Created with the given password when missing; a user made by
 * hand is only granted the role. Run with the server's main user, which needs access management.
 */
export async function ensureRlsUser(driver: ClickHouseDriver, user: string, password: string): Promise<void> {
  const name = quoteIdentifier(user);
  try {
    await driver.exec(`CREATE USER IF NOT EXISTS ${name} IDENTIFIED WITH sha256_password BY ${quoteString(password)} DEFAULT DATABASE ${quoteIdentifier(driver.database)}`);
    await driver.exec(`GRANT ${MOOSE_RLS_ROLE} TO ${name}`);
  } catch (error) {
    // ClickHouse's reason only: the failed statement (kept in the driver's error) holds the password.
    const reason = String((error as MooseError).details?.clickhouseMessage ?? (error as Error).message.split("\n")[0]);
    throw new MooseError("RLS_USER_SETUP_FAILED", `the app has row policies, and the RLS user ${user} could not be set up: ${reason}`, {
      config: { key: "clickhouse_config.rls_user" },
      hint: `give clickhouse_config.user access management, or create ${user} yourself with the role ${MOOSE_RLS_ROLE} (GRANT ${MOOSE_RLS_ROLE} TO ${user}) and set clickhouse_config.rls_password`,
    });
  }
}
