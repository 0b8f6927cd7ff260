import { MooseError, type SourceLocation } from "../errors.js";
import type { ColumnSpec, StreamSpec } from "../manifest/types.js";
import { requireColumns, sourceOf, versionedId } from "./component.js";
import { LifeCycle } from "./enums.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import type { OlapTable } from "./olap-table.js";
import { evaluatingModule, getRegistry, type AddsFromOtherModules, type Component } from "./registry.js";
import { columnsRecord, type Column } from "./column.js";
import type { DeadLetterQueue } from "./dead-letter.js";
import { loadRuntime } from "./runtime-link.js";
import { markSqlPart } from "./sql-part.js";

export type ZeroOrMany<T> = T | T[] | undefined | null;
export type SyncOrAsyncTransform<T, U> = (record: T) => ZeroOrMany<U> | Promise<ZeroOrMany<U>>;
export type Consumer<T> = (record: T) => Promise<void> | void;

export interface TransformConfig<T> {
  version?: string;
  metadata?: { description?: string };
  /** Where its failed records go; `null`: nowhere, even when the stream has a defaultDeadLetterQueue (as MooseStack). */
  deadLetterQueue?: DeadLetterQueue<T> | null;
  sourceFile?: string;
}
export interface ConsumerConfig<T> {
  version?: string;
  /** As TransformConfig's. */
  deadLetterQueue?: DeadLetterQueue<T> | null;
  sourceFile?: string;
}

/** A Schema Registry reference (accepted; moose-ts sends plain JSON). */
export type SchemaRegistryReference = { id: number } | { subjectLatest: string } | { subject: string; version: number };
export interface KafkaSchemaConfig {
  kind: "JSON" | "AVRO" | "PROTOBUF";
  reference: SchemaRegistryReference;
}

/** A message routed to a stream by a multi-transform (`stream.routed(values)`). */
export class RoutedMessage {
  constructor(
    public destination: Stream<any>,
    public values: ZeroOrMany<any>,
  ) {}
}

/**
 * The user's function behind a wrapper (DeadLetterQueue adapts records with asTyped): plans hash
 * the code the user wrote, not the wrapper's. A Symbol.for key, since the SDK may be loaded twice.
 */
const USER_FUNCTION = Symbol.for("moose-ts.userFunction");

export function wrappingUserFunction<F extends (...args: any[]) => unknown>(wrapper: F, user: (...args: any[]) => unknown): F {
  return Object.assign(wrapper, { [USER_FUNCTION]: userFunctionOf(user) });
}

export function userFunctionOf(fn: (...args: any[]) => unknown): (...args: any[]) => unknown {
  return (fn as { [USER_FUNCTION]?: (...args: any[]) => unknown })[USER_FUNCTION] ?? fn;
}

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
  defaultDeadLetterQueue?: DeadLetterQueue<T>;
  /** Accepted for compatibility; moose-ts sends JSON without a schema registry. */
  schemaConfig?: KafkaSchemaConfig;
}

export class Stream<T> implements Component, AddsFromOtherModules {
  readonly kind = "Stream" as const;
  readonly componentKind = "streams" as const;
  readonly name: string;
  readonly id: string;
  readonly config: StreamConfig<T>;
  readonly source: SourceLocation;
  readonly columnArray: ColumnSpec[];
  /** The message type has an index signature: records keep the fields beyond its columns (MooseStack's name). */
  readonly allowExtraFields: boolean;
  /** Where the message type has a JavaScript `Date` (see InjectedMetadata.dateFields): functions get Dates there. */
  readonly dateFields: readonly (readonly string[])[];
  /** The message type's columns by field name (as OlapTable.columns). */
  readonly columns: { [K in keyof Required<T>]: Column };
  readonly defaultDeadLetterQueue?: DeadLetterQueue<T>;
  /**
   * Transforms registered with addTransform, by destination stream id (type-checked exactly as
   * MooseStack does); `moose dev` and `moose prod` run them (src/streams).
   */
  readonly _transformations = new Map<string, [Stream<any>, SyncOrAsyncTransform<T, any>, TransformConfig<T>][]>();
  _multipleTransformations?: (record: T) => [RoutedMessage];
  /** Consumers registered with addConsumer (run by src/streams). */
  readonly _consumers: { consumer: Consumer<T>; config: ConsumerConfig<T> }[] = [];
  /**
   * The app module whose top level added a transform or consumer (under `moose dev`): the file that
   * adds it (transforms.ts) may run again while the stream's own file (models.ts) does not.
   */
  private readonly addedBy = new WeakMap<object, string>();

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config?: StreamConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config ?? {};
    this.id = versionedId(name, this.config.version);
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `stream "${name}"`, this.source);
    this.allowExtraFields = metadata?.extraFields === true;
    this.dateFields = metadata?.dateFields ?? [];
    this.columns = columnsRecord<T>(this.columnArray);
    if (this.config.defaultDeadLetterQueue) this.defaultDeadLetterQueue = this.config.defaultDeadLetterQueue;
    getRegistry().register(this);
  }

  /** Checks one or more records against the stream's type and sends them to its topic (JSON values) on redpanda_config.broker. */
  async send(values: ZeroOrMany<T>): Promise<void> {
    const records = values === undefined || values === null ? [] : Array.isArray(values) ? values : [values];
    const runtime = await loadRuntime();
    await runtime.sendToStream(this.id, this.columnArray, records, this.source, { extraFields: this.allowExtraFields });
  }

  /** Closes the producer send() opened (shared by the process). */
  async closeProducer(): Promise<void> {
    const runtime = await loadRuntime();
    await runtime.closeProducer();
  }

  /**
   * Registers a transformation from this stream into `destination`: run on every record by `moose
   * dev` and `moose prod` (docs/streams.md).
   */
  addTransform<U>(destination: Stream<U>, transformation: SyncOrAsyncTransform<T, U>, config?: TransformConfig<T>): void {
    const config_ = this.withDefaultDeadLetterQueue(config);
    const existing = this._transformations.get(destination.id) ?? [];
    if (existing.some(([, , other]) => other.version === config_.version)) {
      throw new MooseError("DUPLICATE_TRANSFORM", `stream "${this.name}" already has a transform to "${destination.name}"${config_.version ? ` with version ${config_.version}` : ""}`, {
        location: this.source,
        hint: "give each transform to the same destination a distinct version",
      });
    }
    const entry: [Stream<any>, SyncOrAsyncTransform<T, any>, TransformConfig<T>] = [destination, transformation, config_];
    this.recordAdder(entry);
    existing.push(entry);
    this._transformations.set(destination.id, existing);
  }

  /** Registers a consumer of this stream's messages (run as addTransform's functions are). */
  addConsumer(consumer: Consumer<T>, config?: ConsumerConfig<T>): void {
    const config_ = this.withDefaultDeadLetterQueue(config);
    if (this._consumers.some((other) => other.config.version === config_.version)) {
      throw new MooseError("DUPLICATE_CONSUMER", `stream "${this.name}" already has a consumer${config_.version ? ` with version ${config_.version}` : " without a version"}`, {
        location: this.source,
        hint: "give each consumer of a stream a distinct version",
      });
    }
    const entry = { consumer, config: config_ };
    this.recordAdder(entry);
    this._consumers.push(entry);
  }

  private recordAdder(entry: object): void {
    const module = evaluatingModule();
    if (module !== undefined) this.addedBy.set(entry, module);
  }

  /** Forgets the transforms, consumers and routing transform the given app files added (they run again, or are gone). */
  forgetAddedBy(files: ReadonlySet<string>): void {
    const addedByThem = (entry: object) => files.has(this.addedBy.get(entry) ?? "");
    for (const [destination, entries] of this._transformations) {
      const kept = entries.filter((entry) => !addedByThem(entry));
      if (kept.length > 0) this._transformations.set(destination, kept);
      else this._transformations.delete(destination);
    }
    const consumers = this._consumers.filter((entry) => !addedByThem(entry));
    this._consumers.splice(0, this._consumers.length, ...consumers);
    if (this._multipleTransformations && addedByThem(this._multipleTransformations)) this._multipleTransformations = undefined;
  }

  /** A transform's or consumer's config, its dead letters going to the stream's defaultDeadLetterQueue unless it names a queue (as MooseStack). */
  private withDefaultDeadLetterQueue<C extends { deadLetterQueue?: DeadLetterQueue<T> | null }>(config: C | undefined): C {
    const given = config ?? ({} as C);
    return given.deadLetterQueue === undefined && this.defaultDeadLetterQueue ? { ...given, deadLetterQueue: this.defaultDeadLetterQueue } : given;
  }

  /** A message for this stream, returned from an addMultiTransform function. */
  routed = (values: ZeroOrMany<T>): RoutedMessage => new RoutedMessage(this, values);

  /** One transformation routing each record to several streams (`stream.routed(values)`), run as addTransform's. */
  addMultiTransform(transformation: (record: T) => [RoutedMessage]): void {
    this.recordAdder(transformation);
    this._multipleTransformations = transformation;
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
// A table, view, stream or dictionary interpolated into `sql` is its quoted name (./sql-part.ts).
markSqlPart(Stream.prototype);
