/** The external models file in each language a project's models can be written in (`language` in moose.config.toml). */
import type { TableSpec } from "../manifest/types.js";
import { pythonColumnDeclarations, pythonExternalModelsSource, pythonUnsupportedColumns } from "./external-models-python.js";
import { columnDeclarations, externalModelsSource, unsupportedColumns, type ExternalModelsOptions } from "./external-models.js";

export { GENERATED_MARK } from "./external-models.js";

export interface ModelLanguage {
  /** Where `moose db pull` writes by default, relative to the project. */
  defaultFile: string;
  extension: string;
  /** The file the app starts from, which must import the external models file. */
  rootFile: string;
  /** The line that imports the file from the root file; `module`: its path from app/, without the extension. */
  importLine(module: string): string;
  source(tables: TableSpec[], options: ExternalModelsOptions): string;
  /** Each column's declaration as the file writes it: a model and a table differ where these do. */
  declarations(table: TableSpec): Map<string, string>;
  /** `column Type` of each column no model of the language maps back to. */
  unsupported(table: TableSpec): string[];
}

export const MODEL_LANGUAGES: Record<"typescript" | "python", ModelLanguage> = {
  typescript: {
    defaultFile: "app/externalModels.ts",
    extension: ".ts",
    rootFile: "app/index.ts",
    importLine: (module) => `export * from "./${module}";`,
    source: externalModelsSource,
    declarations: columnDeclarations,
    unsupported: unsupportedColumns,
  },
  python: {
    defaultFile: "app/external_models.py",
    extension: ".py",
    rootFile: "app/main.py",
    importLine: (module) => `from app.${module.split("/").join(".")} import *  # noqa: F401,F403`,
    source: pythonExternalModelsSource,
    declarations: pythonColumnDeclarations,
    unsupported: pythonUnsupportedColumns,
  },
};
