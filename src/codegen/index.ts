/**
 * The external models file in each language a project's models can be written in (`language` in
 * moose.config.toml), and how a model in it differs from the database's table.
 */
import path from "node:path";
import { normalizeKey } from "../diff/normalize.js";
import type { ColumnSpec, TableSpec } from "../manifest/types.js";
import { declarePythonColumn, PYTHON_TABLE, pythonExternalModelsSource } from "./external-models-python.js";
import { declareColumn, declaredNames, externalModelsSource, TYPESCRIPT_TABLE, Unsupported, type ExternalModelsOptions, type ModelNames } from "./external-models.js";

export { GENERATED_MARK, oneLine } from "./external-models.js";

export interface ModelLanguage {
  name: "TypeScript" | "Python";
  /** How a line comment starts. */
  comment: "//" | "#";
  /** The config key that makes a model EXTERNALLY_MANAGED. */
  lifeCycleKey: "lifeCycle" | "life_cycle";
  /** Where `moose db pull` writes by default, relative to the project. */
  defaultFile: string;
  extension: string;
  /** The file the app starts from, which must import the external models file. */
  rootFile: string;
  /** The line of the root file that imports the file; `file`: its path in the project (`app/externalModels.ts`). */
  importLine(file: string): string;
  source(tables: TableSpec[], options: ExternalModelsOptions): string;
  /** The names a file of this language gives each table's model and table, by table name (what `source` keeps). */
  declaredNames(text: string): Map<string, ModelNames>;
  /** Each column's declaration as the file writes it: a model and a table differ where these do. */
  declarations(table: TableSpec): Map<string, string>;
  /** `column Type` of each column no model of the language maps back to. */
  unsupported(table: TableSpec): string[];
}

export const MODEL_LANGUAGES: Record<"typescript" | "python", ModelLanguage> = {
  typescript: {
    name: "TypeScript",
    comment: "//",
    lifeCycleKey: "lifeCycle",
    defaultFile: "app/externalModels.ts",
    extension: ".ts",
    rootFile: "app/index.ts",
    importLine: (file) => {
      const module = path.posix.relative("app", file).replace(/\.ts$/, "");
      return `export * from "${module.startsWith(".") ? module : `./${module}`}";`;
    },
    source: externalModelsSource,
    declaredNames: (text) => declaredNames(text, TYPESCRIPT_TABLE),
    ...byColumn(declareColumn),
  },
  python: {
    name: "Python",
    comment: "#",
    lifeCycleKey: "life_cycle",
    defaultFile: "app/external_models.py",
    extension: ".py",
    rootFile: "app/main.py",
    // A plain import: constructing the tables registers them, and the root file's own names stay its own.
    importLine: (file) => `import ${file.replace(/\.py$/, "").split("/").join(".")}  # noqa: F401`,
    source: pythonExternalModelsSource,
    declaredNames: (text) => declaredNames(text, PYTHON_TABLE),
    ...byColumn(declarePythonColumn),
  },
};

/** A language's `declarations` and `unsupported`, from how it declares one column. */
function byColumn(declare: (column: ColumnSpec) => string): Pick<ModelLanguage, "declarations" | "unsupported"> {
  const declared = (table: TableSpec) =>
    table.columns.map((column) => {
      try {
        return { column, declaration: declare(column) };
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        return { column, declaration: undefined };
      }
    });
  return {
    declarations: (table) => new Map(declared(table).map(({ column, declaration }) => [column.name, declaration ?? `unsupported ${column.type}`])),
    unsupported: (table) => declared(table).filter(({ declaration }) => declaration === undefined).map(({ column }) => `${column.name} ${column.type}`),
  };
}

/** `+ t (new)`, `~ t: + column x; ~ column y; ORDER BY (…)`, `= t (unchanged)`: the file's model against the database's table. */
export function changeLine(before: TableSpec | undefined, live: TableSpec, language: ModelLanguage): string {
  if (before === undefined) return `+ ${live.name} (new)`;
  const changes = columnChanges(language.declarations(before), language.declarations(live));
  if (normalizeKey(before.orderBy).join(", ") !== normalizeKey(live.orderBy).join(", ")) changes.push(`ORDER BY (${live.orderBy.join(", ")})`);
  return changes.length === 0 ? `= ${live.name} (unchanged)` : `~ ${live.name}: ${changes.join("; ")}`;
}

/** Columns compared as the file writes them: the model's are as the build maps them, the database's as introspected. */
function columnChanges(old: Map<string, string>, now: Map<string, string>): string[] {
  return [
    ...[...now.keys()].filter((name) => !old.has(name)).map((name) => `+ column ${name}`),
    ...[...old.keys()].filter((name) => !now.has(name)).map((name) => `- column ${name}`),
    ...[...now.entries()].filter(([name, declaration]) => old.has(name) && old.get(name) !== declaration).map(([name]) => `~ column ${name}`),
  ];
}
