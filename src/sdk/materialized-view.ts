import { MooseError, type SourceLocation } from "../errors.js";
import type { MaterializedViewSpec } from "../manifest/types.js";
import { clusterOption, sourceOf } from "./component.js";
import { LifeCycle, type ClickHouseEngines } from "./enums.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import { OlapTable, type OlapConfig } from "./olap-table.js";
import { getRegistry, type Component } from "./registry.js";
import { toStaticQuery, type Sql } from "./sql.js";
import type { Selectable, View } from "./view.js";
import { markSqlPart } from "./sql-part.js";

export interface MaterializedViewConfig<T> {
  selectStatement: string | Sql;
  selectTables: Array<OlapTable<any> | View | Selectable>;
  /** Name of the target table to create (when targetTable is not given). */
  tableName?: string;
  materializedViewName: string;
  engine?: ClickHouseEngines;
  /** An existing target table, or the name/engine/order of the one to create. */
  targetTable?: OlapTable<T> | { name: string; engine?: ClickHouseEngines; orderByFields?: (keyof T & string)[] };
  orderByFields?: (keyof T & string)[];
  metadata?: Record<string, unknown>;
  lifeCycle?: LifeCycle;
  /** The `[[clickhouse_config.clusters]]` cluster the view (and the target table it creates) is on (moose-ts's option). */
  cluster?: string;
}

export class MaterializedView<T> implements Component {
  readonly kind = "MaterializedView" as const;
  readonly componentKind = "materializedViews" as const;
  readonly name: string;
  readonly id: string;
  readonly targetTable: OlapTable<T>;
  readonly selectSql: string;
  readonly sourceTables: string[];
  readonly lifeCycle: LifeCycle;
  readonly source: SourceLocation;
  readonly cluster?: string;

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(options: MaterializedViewConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = options.materializedViewName;
    this.id = options.materializedViewName;
    this.source = sourceOf(metadata);
    this.lifeCycle = options.lifeCycle ?? LifeCycle.FULLY_MANAGED;
    this.cluster = clusterOption(options.cluster, `materialized view "${this.name}"`, this.source).cluster;
    this.selectSql = toStaticQuery(options.selectStatement);
    this.sourceTables = options.selectTables.map((table) => table.id);
    const target = options.targetTable;
    if (target instanceof OlapTable || (target as { kind?: string } | undefined)?.kind === "OlapTable") {
      this.targetTable = target as OlapTable<T>;
    } else {
      if (metadata && !metadata.columns) {
        // Built from `MaterializedView<any>`: only an OlapTable given as targetTable has columns to go by.
        throw new MooseError("MISSING_TYPE_METADATA", `materialized view "${this.name}" creates its target table, but its row type is any`, {
          location: this.source,
          hint: "give it the row type (new MaterializedView<MyRow>(…)), or an OlapTable as targetTable",
        });
      }
      const described = target as { name: string; engine?: ClickHouseEngines; orderByFields?: (keyof T & string)[] } | undefined;
      const orderByFields = described?.orderByFields ?? options.orderByFields;
      const engine = described?.engine ?? options.engine;
      this.targetTable = new OlapTable<T>(
        described?.name ?? options.tableName ?? `${this.name}_target`,
        { ...(orderByFields ? { orderByFields } : {}), ...(engine ? { engine } : {}), ...(this.cluster !== undefined ? { cluster: this.cluster } : {}), lifeCycle: this.lifeCycle } as OlapConfig<T>,
        metadata,
      );
    }
    getRegistry().register(this);
  }

  toSpec(): MaterializedViewSpec {
    return {
      name: this.id,
      sql: this.selectSql,
      sourceTables: this.sourceTables,
      targetTable: this.targetTable.id,
      ...(this.cluster !== undefined ? { cluster: this.cluster } : {}),
      lifeCycle: this.lifeCycle,
      source: this.source,
    };
  }
}
// A table, view, stream or dictionary interpolated into `sql` is its quoted name (./sql-part.ts).
markSqlPart(MaterializedView.prototype);
