import type { SourceLocation } from "../errors.js";
import type { ViewSpec } from "../manifest/types.js";
import { clusterOption, sourceOf } from "./component.js";
import { LifeCycle } from "./enums.js";
import { findMetadata } from "./metadata.js";
import type { OlapTable } from "./olap-table.js";
import { getRegistry, type Component } from "./registry.js";
import { toStaticQuery, type Sql } from "./sql.js";
import { markSqlPart } from "./sql-part.js";

/** Something a SELECT can read from: a table, a view or a materialized view's target. */
export interface Selectable {
  readonly id: string;
}

export interface ViewConfig {
  selectStatement: string | Sql;
  baseTables: Array<OlapTable<any> | View | Selectable>;
  metadata?: Record<string, unknown>;
  lifeCycle?: LifeCycle;
  /** The `[[clickhouse_config.clusters]]` cluster the view is created on (ON CLUSTER; moose-ts's option). */
  cluster?: string;
}

export class View implements Component {
  readonly kind = "View" as const;
  readonly componentKind = "views" as const;
  readonly name: string;
  readonly id: string;
  readonly selectSql: string;
  readonly sourceTables: string[];
  readonly lifeCycle: LifeCycle;
  readonly source: SourceLocation;
  readonly cluster?: string;

  constructor(name: string, config: ViewConfig);
  /** @deprecated MooseStack's positional form; use `new View(name, { selectStatement, baseTables })`. */
  constructor(name: string, selectStatement: string | Sql, baseTables: Array<OlapTable<any> | View | Selectable>, metadata?: Record<string, unknown>);
  constructor(name: string, ...args: unknown[]) {
    const config: ViewConfig =
      typeof args[0] === "string" || (typeof args[0] === "object" && args[0] !== null && "strings" in args[0])
        ? { selectStatement: args[0] as string | Sql, baseTables: (args[1] as ViewConfig["baseTables"]) ?? [] }
        : (args[0] as ViewConfig);
    this.name = name;
    this.id = name;
    this.selectSql = toStaticQuery(config.selectStatement);
    this.sourceTables = config.baseTables.map((table) => table.id);
    this.lifeCycle = config.lifeCycle ?? LifeCycle.FULLY_MANAGED;
    this.source = sourceOf(findMetadata(args));
    this.cluster = clusterOption(config.cluster, `view "${name}"`, this.source).cluster;
    getRegistry().register(this);
  }

  toSpec(): ViewSpec {
    return {
      name: this.id,
      sql: this.selectSql,
      sourceTables: this.sourceTables,
      ...(this.cluster !== undefined ? { cluster: this.cluster } : {}),
      lifeCycle: this.lifeCycle,
      source: this.source,
    };
  }
}
// A table, view, stream or dictionary interpolated into `sql` is its quoted name (./sql-part.ts).
markSqlPart(View.prototype);
