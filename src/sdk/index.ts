/**
 * moose-ts: what user model code imports. Names and constructor shapes follow MooseStack's
 * `@514labs/moose-lib`, so ported code only changes its import.
 */
export * from "./brands.js";
export { LifeCycle, ClickHouseEngines } from "./enums.js";
export {
  OlapTable,
  type OlapConfig,
  type TableIndex,
  type TableProjection,
  type TableConstraint,
  type BaseOlapConfig,
  type EngineConfig,
  type LegacyOlapConfig,
  type MergeTreeConfig,
  type ReplacingMergeTreeConfig,
  type AggregatingMergeTreeConfig,
  type SummingMergeTreeConfig,
  type CollapsingMergeTreeConfig,
  type VersionedCollapsingMergeTreeConfig,
  type ReplicatedMergeTreeConfig,
  type ReplicatedReplacingMergeTreeConfig,
  type ReplicatedAggregatingMergeTreeConfig,
  type ReplicatedSummingMergeTreeConfig,
  type ReplicatedCollapsingMergeTreeConfig,
  type ReplicatedVersionedCollapsingMergeTreeConfig,
  type ReplicatedEngineProperties,
  type S3QueueConfig,
  type S3QueueTableSettings,
  type S3Config,
  type BufferConfig,
  type DistributedConfig,
  type KafkaConfig,
  type KafkaTableSettings,
  type IcebergS3Config,
  type MergeConfig,
  type Insertable,
  type InsertOptions,
  type InsertResult,
  type FailedRecord,
} from "./olap-table.js";
export type { Column } from "./column.js";
export {
  Stream,
  RoutedMessage,
  type StreamConfig,
  type TransformConfig,
  type ConsumerConfig,
  type KafkaSchemaConfig,
  type SchemaRegistryReference,
  type ZeroOrMany,
  type SyncOrAsyncTransform,
  type Consumer,
} from "./stream.js";
export { DeadLetterQueue, type DeadLetterModel, type DeadLetter } from "./dead-letter.js";
export {
  WebApp,
  expressMiddleware,
  getMooseUtilsFromRequest,
  getLegacyMooseUtils,
  type WebAppConfig,
  type WebAppHandler,
  type FrameworkApp,
  type ExpressRequestWithMoose,
} from "./web-app.js";
export {
  getTables,
  getTable,
  getStreams,
  getStream,
  getIngestApis,
  getIngestApi,
  getApis,
  getApi,
  getViews,
  getView,
  getMaterializedViews,
  getMaterializedView,
  getWorkflows,
  getWorkflow,
  getWebApps,
  getWebApp,
} from "./lookup.js";
export {
  getMooseUtils,
  getMooseClients,
  MooseCache,
  cliLog,
  type CliLogData,
  type GetMooseUtilsOptions,
  type RuntimeClickHouseConfig,
  type TaskFunction,
  type TaskDefinition,
} from "./utilities.js";
export { mooseRuntimeEnv, mooseEnvSecrets } from "./runtime-env.js";
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
export { sql, Sql, ApiHelpers, ConsumptionHelpers, joinQueries, toStaticQuery, toQuery, quoteIdentifier, type Value, type RawValue } from "./sql.js";
export { getRegistry, Registry, type Component } from "./registry.js";
export { registryToManifest } from "./manifest.js";
export { METADATA_MARKER, type InjectedMetadata } from "./metadata.js";
export { defineMigration, type MigrationDefinition, type Step, type SqlStep, type KafkaStep, type NoteStep, type RunStep, type StepContext } from "../steps/index.js";
