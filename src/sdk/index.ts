/**
 * moose-ts: what user model code imports. Names and constructor shapes follow MooseStack's
 * `@514labs/moose-lib`, so ported code only changes its import.
 */
export * from "./brands.js";
export { LifeCycle, ClickHouseEngines } from "./enums.js";
export { OlapTable, type OlapConfig, type TableIndex } from "./olap-table.js";
export { Stream, type StreamConfig } from "./stream.js";
export { DeadLetterQueue, type DeadLetterModel } from "./dead-letter.js";
export { IngestApi, type IngestConfig } from "./ingest-api.js";
export { IngestPipeline, type IngestPipelineConfig } from "./ingest-pipeline.js";
export { View, type ViewConfig, type Selectable } from "./view.js";
export { MaterializedView, type MaterializedViewConfig } from "./materialized-view.js";
export {
  Api,
  ConsumptionApi,
  type ApiConfig,
  type EgressConfig,
  type ApiHandler,
  type ApiUtil,
  type MooseUtils,
  type ConsumptionUtil,
  type MooseClient,
  type QueryClient,
  type QueryResult,
  type WorkflowClient,
} from "./api.js";
export { Workflow, Task, type WorkflowConfig, type TaskConfig, type TaskContext } from "./workflow.js";
export { sql, Sql, ApiHelpers, toStaticQuery, toQuery, quoteIdentifier, type Value, type RawValue } from "./sql.js";
export { getRegistry, Registry, type Component } from "./registry.js";
export { registryToManifest } from "./manifest.js";
export { METADATA_MARKER, type InjectedMetadata } from "./metadata.js";
export { defineMigration, type MigrationDefinition, type Step, type SqlStep, type KafkaStep, type NoteStep, type RunStep, type StepContext } from "../steps/index.js";
