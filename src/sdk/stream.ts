import type { SourceLocation } from "../errors.js";
import type { ColumnSpec, StreamSpec } from "../manifest/types.js";
import { requireColumns, sourceOf, versionedId } from "./component.js";
import { LifeCycle } from "./enums.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import type { OlapTable } from "./olap-table.js";
import { getRegistry, type Component } from "./registry.js";

const DEFAULT_RETENTION_SECONDS = 7 * 24 * 60 * 60;

export interface StreamConfig<T> {
  /** Number of topic partitions (MooseStack's name). */
  parallelism?: number;
  /** Same as parallelism; wins when both are set. */
  partitionCount?: number;
  /** Topic retention in seconds (default 7 days). */
  retentionPeriod?: number;
  replicationFactor?: number;
  /** Other topic configs, e.g. `{ "max.message.bytes": "1048576" }`. */
  topicConfig?: Record<string, string>;
  /** The table this stream sinks into. */
  destination?: OlapTable<T>;
  version?: string;
  metadata?: { description?: string };
  lifeCycle?: LifeCycle;
}

export class Stream<T> implements Component {
  readonly kind = "Stream" as const;
  readonly componentKind = "streams" as const;
  readonly name: string;
  readonly id: string;
  readonly config: StreamConfig<T>;
  readonly source: SourceLocation;
  readonly columnArray: ColumnSpec[];

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config?: StreamConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config ?? {};
    this.id = versionedId(name, this.config.version);
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `stream "${name}"`, this.source);
    getRegistry().register(this);
  }

  toSpec(): StreamSpec {
    const config = this.config;
    return {
      name: this.id,
      partitionCount: config.partitionCount ?? config.parallelism ?? 1,
      retentionMs: (config.retentionPeriod ?? DEFAULT_RETENTION_SECONDS) * 1000,
      ...(config.replicationFactor !== undefined ? { replicationFactor: config.replicationFactor } : {}),
      config: { ...(config.topicConfig ?? {}) },
      columns: this.columnArray,
      ...(config.destination ? { destination: config.destination.id } : {}),
      lifeCycle: config.lifeCycle ?? LifeCycle.FULLY_MANAGED,
      ...(config.version !== undefined ? { version: config.version } : {}),
      source: this.source,
    };
  }
}
