import { MooseError, type SourceLocation } from "../errors.js";
import type { ColumnSpec } from "../manifest/types.js";
import { columnsRecord, type Column } from "./column.js";
import { requireColumns, sourceOf } from "./component.js";
import type { LifeCycle } from "./enums.js";
import { DeadLetterQueue, type DeadLetterModel } from "./dead-letter.js";
import { IngestApi, type IngestConfig } from "./ingest-api.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import { OlapTable, type OlapConfig } from "./olap-table.js";
import { Stream, type StreamConfig } from "./stream.js";

export interface IngestPipelineConfig<T> {
  table: boolean | OlapConfig<T>;
  stream: boolean | Omit<StreamConfig<T>, "destination">;
  ingestApi?: boolean | Omit<IngestConfig<T>, "destination">;
  /** Older MooseStack name for ingestApi. */
  ingest?: boolean | Omit<IngestConfig<T>, "destination">;
  /** A dead-letter queue stream (`<name>DeadLetterQueue`) for records that fail. */
  deadLetterQueue?: boolean | StreamConfig<DeadLetterModel>;
  version?: string;
  path?: string;
  metadata?: { description?: string };
  lifeCycle?: LifeCycle;
}

/** A table, a stream sinking into it and an ingest API feeding the stream, all of one row type. */
export class IngestPipeline<T> {
  readonly kind = "IngestPipeline" as const;
  readonly name: string;
  readonly config: IngestPipelineConfig<T>;
  readonly source: SourceLocation;
  readonly table?: OlapTable<T>;
  readonly stream?: Stream<T>;
  readonly ingestApi?: IngestApi<T>;
  readonly deadLetterQueue?: DeadLetterQueue<T>;
  readonly columnArray: ColumnSpec[];
  /** The row type's columns by field name (its parts'): interpolate them into `sql` as quoted column names. */
  readonly columns: { [K in keyof Required<T>]: Column };

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config: IngestPipelineConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config;
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `ingest pipeline "${name}"`, this.source);
    this.columns = columnsRecord<T>(this.columnArray);
    if (metadata?.extraFields && config.table) {
      throw new MooseError("INVALID_PIPELINE", `ingest pipeline "${name}" has a table, but its type has an index signature: the fields beyond its columns would be dropped writing the table`, {
        location: this.source,
        hint: "set table: false (the stream keeps every field; a transform can write a table of a fixed type), or list every field in the type",
      });
    }
    // The parts are created here, not in user code: they share the pipeline's location and types.
    const shared = { version: config.version, lifeCycle: config.lifeCycle };
    if (config.table) {
      const tableConfig = config.table === true ? {} : config.table;
      this.table = new OlapTable<T>(name, { ...withoutUndefined(shared), ...tableConfig }, metadata);
    }
    if (config.deadLetterQueue) {
      const queueConfig = config.deadLetterQueue === true ? {} : config.deadLetterQueue;
      this.deadLetterQueue = new DeadLetterQueue<T>(`${name}DeadLetterQueue`, { ...withoutUndefined(shared), ...queueConfig }, metadata);
    }
    if (config.stream) {
      const streamConfig = config.stream === true ? {} : config.stream;
      // The pipeline's queue takes the dead letters of the stream's sync, transforms and consumers unless the stream names its own.
      const queue = withoutUndefined({ defaultDeadLetterQueue: this.deadLetterQueue });
      this.stream = new Stream<T>(name, { ...withoutUndefined(shared), ...queue, ...streamConfig, destination: this.table }, metadata);
    }
    const ingest = config.ingestApi ?? config.ingest;
    if (ingest) {
      const destination = this.stream ?? this.table;
      if (!destination) {
        throw new MooseError("INVALID_PIPELINE", `ingest pipeline "${name}" has an ingest API but neither a stream nor a table to send payloads to`, {
          location: this.source,
          hint: "set stream: true (or table: true), or turn ingestApi off",
        });
      }
      const ingestConfig = ingest === true ? {} : ingest;
      // As MooseStack: the pipeline's version and path win over the ingest API's own.
      this.ingestApi = new IngestApi<T>(
        name,
        { ...withoutUndefined({ deadLetterQueue: this.deadLetterQueue }), ...ingestConfig, ...withoutUndefined({ version: config.version, path: config.path }), destination },
        metadata,
      );
    }
  }
}

function withoutUndefined<V extends Record<string, unknown>>(value: V): Partial<V> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<V>;
}
