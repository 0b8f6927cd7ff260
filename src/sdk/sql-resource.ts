/**
 * MooseStack's SqlResource: SQL that creates what moose-ts has no class for (a dictionary, a
 * function, a row policy, a view in raw SQL) and the SQL that removes it. Migrations run the setup
 * when it appears, the teardown when it goes, and the old teardown then the new setup when either
 * changes; each statement is judged by what ClickHouse's parser says it does (src/steps/judge.ts).
 */
import { MooseError, type SourceLocation } from "../errors.js";
import type { SqlResourceSpec } from "../manifest/types.js";
import { sourceOf } from "./component.js";
import { findMetadata } from "./metadata.js";
import { getRegistry, type Component } from "./registry.js";
import { isSql, toStaticQuery, type Sql } from "./sql.js";

/** A table, view or SqlResource a resource reads or writes (its `id` names it in the manifest). */
export interface SqlObject {
  readonly id: string;
}

export class SqlResource implements Component {
  readonly kind = "SqlResource" as const;
  readonly componentKind = "sqlResources" as const;
  readonly name: string;
  readonly id: string;
  readonly setup: readonly string[];
  readonly teardown: readonly string[];
  readonly pullsDataFrom: SqlObject[];
  readonly pushesDataTo: SqlObject[];
  readonly source: SourceLocation;

  constructor(
    name: string,
    setup: readonly (string | Sql)[],
    teardown: readonly (string | Sql)[],
    options?: { pullsDataFrom?: SqlObject[]; pushesDataTo?: SqlObject[] },
    ...injected: unknown[]
  ) {
    this.source = sourceOf(findMetadata(injected));
    this.name = name;
    this.id = name;
    this.setup = statements(name, "setup", setup, this.source);
    this.teardown = statements(name, "teardown", teardown, this.source);
    if (this.setup.length === 0) {
      throw new MooseError("INVALID_SQL_RESOURCE", `SqlResource "${name}" has no setup statements`, { location: this.source, hint: "pass the statements that create it, e.g. [\"CREATE DICTIONARY …\"]" });
    }
    this.pullsDataFrom = options?.pullsDataFrom ?? [];
    this.pushesDataTo = options?.pushesDataTo ?? [];
    getRegistry().register(this);
  }

  toSpec(): SqlResourceSpec {
    return {
      name: this.id,
      setup: [...this.setup],
      teardown: [...this.teardown],
      pullsDataFrom: this.pullsDataFrom.map((object) => object.id),
      pushesDataTo: this.pushesDataTo.map((object) => object.id),
      source: this.source,
    };
  }
}

/** Each statement as text (a `sql` template with its values written as literals), trimmed, without a trailing `;`. */
function statements(name: string, part: "setup" | "teardown", given: readonly (string | Sql)[], location: SourceLocation): string[] {
  if (!Array.isArray(given)) {
    throw new MooseError("INVALID_SQL_RESOURCE", `SqlResource "${name}": ${part} must be an array of statements`, { location, hint: `e.g. ["CREATE …"]` });
  }
  return given.map((statement, index) => {
    const text = typeof statement === "string" ? statement : isSql(statement) ? toStaticQuery(statement) : undefined;
    const trimmed = text?.trim().replace(/;\s*$/, "").trim();
    if (!trimmed) {
      throw new MooseError("INVALID_SQL_RESOURCE", `SqlResource "${name}": ${part} statement ${index + 1} is ${text === undefined ? "neither a string nor a sql`…` template" : "empty"}`, { location });
    }
    return trimmed;
  });
}
