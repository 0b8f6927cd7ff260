/**
 * MooseStack's SelectRowPolicy: the rows of some tables that a request may read, chosen by a claim of
 * its JWT (`org_id` = the token's `org_id`). moose-ts plans and migrates it as a SqlResource named like
 * the policy, whose spec also carries the policy itself (`rowPolicy`), so the server knows which
 * claims scope which tables:
 *
 *   setup     CREATE ROLE IF NOT EXISTS moose_rls_role
 *             GRANT SELECT ON * TO moose_rls_role             (every table of the app's database)
 *             CREATE ROW POLICY OR REPLACE <name> ON <table> AS RESTRICTIVE FOR SELECT
 *               USING <column> = getSetting('SQL_moose_rls_<column>') TO moose_rls_role   (one per table)
 *   teardown  DROP ROW POLICY IF EXISTS <name> ON <table>     (one per table)
 *
 * Queries made for a request with a JWT (or through `getMooseUtils({ rlsContext })`) run as the RLS
 * user, who holds only that role, with `SQL_moose_rls_<column>` set to the claim's value. Restrictive
 * policies combine with AND, on the table and through the views that read it. A claim the token lacks
 * leaves its setting unset, and ClickHouse then refuses the query (it fails closed). The embedded
 * engine has no access control: moose applies the same filters to its queries itself
 * (src/infra/clickhouse/row-policy-emulation.ts).
 */
import { MooseError, type SourceLocation } from "../errors.js";
import { rowPolicyStatements } from "../infra/clickhouse/row-policies.js";
import type { RowPolicySpec, SqlResourceSpec } from "../manifest/types.js";
import { sourceOf } from "./component.js";
import { METADATA_MARKER, readMetadata, type InjectedArgument } from "./metadata.js";
import type { OlapTable } from "./olap-table.js";
import { getRegistry } from "./registry.js";
import { SqlResource } from "./sql-resource.js";

export interface SelectRowPolicyConfig<Tables extends readonly OlapTable<any>[] = readonly OlapTable<any>[]> {
  /** The tables it filters (and the views that read them). */
  tables: readonly [...Tables];
  /** The column compared with the claim; every table must have it. */
  column: keyof Tables[number]["columns"] & string;
  /** The JWT claim whose value the column must equal. */
  claim: string;
}

export class SelectRowPolicy<Tables extends readonly OlapTable<any>[] = readonly OlapTable<any>[]> {
  readonly kind = "SelectRowPolicy" as const;
  readonly name: string;
  readonly config: Readonly<SelectRowPolicyConfig<Tables>>;
  readonly source: SourceLocation;

  constructor(name: string, config: SelectRowPolicyConfig<Tables>, injected?: InjectedArgument) {
    this.source = sourceOf(readMetadata(injected));
    const fail = (message: string, hint: string): never => {
      throw new MooseError("INVALID_ROW_POLICY", `SelectRowPolicy "${name}": ${message}`, { location: this.source, hint });
    };
    if (typeof name !== "string" || name.trim() === "") fail("its name is empty", 'name it, e.g. new SelectRowPolicy("tenant_isolation", …)');
    const tables: readonly OlapTable<any>[] = Array.isArray(config?.tables) ? config.tables : [];
    if (tables.length === 0) fail("tables is empty", "list the OlapTables it filters: { tables: [EventsTable], … }");
    for (const key of ["column", "claim"] as const) {
      if (typeof config[key] !== "string" || config[key].trim() === "") fail(`${key} is empty`, `e.g. { column: "org_id", claim: "org_id" }`);
    }
    for (const table of tables) {
      if (!table?.columnArray?.some((column) => column.name === config.column)) {
        fail(`table ${String(table?.name)} has no column ${config.column}`, "every table of a policy needs the column it compares with the claim");
      }
    }
    this.name = name;
    this.config = Object.freeze({ ...config, tables: Object.freeze([...config.tables]) as unknown as readonly [...Tables] });
    getRegistry().registerOther("SelectRowPolicy", name, this, this.source);
    const spec: RowPolicySpec = { tables: tables.map((table) => table.id), column: config.column, claim: config.claim };
    new RowPolicyResource(name, spec, tables, { [METADATA_MARKER]: 1 as const, source: this.source });
  }

  /** The tables it filters, as ClickHouse names them. */
  get tableRefs(): { name: string; database?: string }[] {
    return this.config.tables.map((table) => ({ name: table.generateTableName(), ...(table.config.database ? { database: table.config.database } : {}) }));
  }
}

/** The SqlResource a policy is migrated as: its statements, and the policy in its spec. */
class RowPolicyResource extends SqlResource {
  constructor(
    name: string,
    readonly rowPolicy: RowPolicySpec,
    tables: readonly OlapTable<any>[],
    injected: InjectedArgument,
  ) {
    const { setup, teardown } = rowPolicyStatements(name, rowPolicy);
    super(name, setup, teardown, { pullsDataFrom: [...tables] }, injected);
  }

  override toSpec(): SqlResourceSpec {
    return { ...super.toSpec(), rowPolicy: { ...this.rowPolicy, tables: [...this.rowPolicy.tables] } };
  }
}
