import type { ColumnSpec } from "../manifest/types.js";
import { METADATA_MARKER, readMetadata, type InjectedArgument } from "./metadata.js";
import { Stream, wrappingUserFunction, type ConsumerConfig, type Consumer, type RoutedMessage, type StreamConfig, type SyncOrAsyncTransform, type TransformConfig } from "./stream.js";
import { sourceOf } from "./component.js";

/** A message that could not be processed, as MooseStack writes it to a dead-letter queue. */
export interface DeadLetterModel {
  originalRecord: Record<string, any>;
  errorMessage: string;
  errorType: string;
  failedAt: Date;
  source: "api" | "transform" | "table";
}

/** A dead letter with its original record recoverable as the queue's record type. */
export interface DeadLetter<T> extends DeadLetterModel {
  asTyped: () => T;
}

function withAsTyped<T>(record: DeadLetterModel): DeadLetter<T> {
  return { ...record, asTyped: () => record.originalRecord as T };
}

/** The fixed message schema of every dead-letter queue (no type argument to read it from). */
const DEAD_LETTER_COLUMNS: ColumnSpec[] = [
  { name: "originalRecord", type: "JSON", nullable: false },
  { name: "errorMessage", type: "String", nullable: false },
  { name: "errorType", type: "String", nullable: false },
  { name: "failedAt", type: "DateTime('UTC')", nullable: false },
  { name: "source", type: "LowCardinality(String)", nullable: false },
];

/** A stream of DeadLetterModel messages for records of type T that failed. */
export class DeadLetterQueue<T> extends Stream<DeadLetterModel> {
  /** Phantom: the record type the queue's messages carry in originalRecord. */
  declare readonly _recordType?: T;

  /** @param injected added by the moose-ts build plugin (source location only); never pass it yourself. */
  constructor(name: string, config?: StreamConfig<DeadLetterModel>, injected?: InjectedArgument) {
    const source = sourceOf(readMetadata(injected));
    super(name, config, { [METADATA_MARKER]: 1, source, columns: DEAD_LETTER_COLUMNS, dateFields: [["failedAt"]] });
  }

  override addTransform<U>(destination: Stream<U>, transformation: SyncOrAsyncTransform<DeadLetter<T>, U>, config?: TransformConfig<DeadLetterModel>): void {
    super.addTransform(destination, wrappingUserFunction((record: DeadLetterModel) => transformation(withAsTyped<T>(record)), transformation), config);
  }

  override addConsumer(consumer: Consumer<DeadLetter<T>>, config?: ConsumerConfig<DeadLetterModel>): void {
    super.addConsumer(wrappingUserFunction((record: DeadLetterModel) => consumer(withAsTyped<T>(record)), consumer), config);
  }

  override addMultiTransform(transformation: (record: DeadLetter<T>) => [RoutedMessage]): void {
    super.addMultiTransform(wrappingUserFunction((record: DeadLetterModel) => transformation(withAsTyped<T>(record)), transformation));
  }
}
