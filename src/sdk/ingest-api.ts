import type { SourceLocation } from "../errors.js";
import type { ColumnSpec, IngestApiSpec, JsonSchema } from "../manifest/types.js";
import { requireColumns, sourceOf } from "./component.js";
import { readMetadata, type InjectedArgument } from "./metadata.js";
import type { OlapTable } from "./olap-table.js";
import { getRegistry, type Component } from "./registry.js";
import type { DeadLetterQueue } from "./dead-letter.js";
import type { Stream } from "./stream.js";

export interface IngestConfig<T> {
  /** Where accepted payloads go: a stream, or a table when streaming is off. */
  destination: Stream<T> | OlapTable<T>;
  version?: string;
  /** URL path under /ingest/ (default `name` or `name/version`). */
  path?: string;
  metadata?: { description?: string };
  /**
   * MooseStack's queue for payloads the ingest API refuses. Accepted for compatibility; moose-ts
   * answers such payloads with 400 naming each field (the caller keeps them) and does not write
   * them to the queue (docs/moosestack-differences.md).
   */
  deadLetterQueue?: DeadLetterQueue<T>;
}

export class IngestApi<T> implements Component {
  readonly kind = "IngestApi" as const;
  readonly componentKind = "ingestApis" as const;
  readonly name: string;
  /** The URL path under /ingest/. */
  readonly id: string;
  readonly config: IngestConfig<T>;
  readonly source: SourceLocation;
  readonly columnArray: ColumnSpec[];
  /** The payload type has an index signature: records keep the fields beyond its columns (MooseStack's name). */
  readonly allowExtraFields: boolean;
  readonly schema: JsonSchema;

  /** @param injected added by the moose-ts build plugin; never pass it yourself. */
  constructor(name: string, config: IngestConfig<T>, injected?: InjectedArgument) {
    const metadata = readMetadata(injected);
    this.name = name;
    this.config = config;
    this.id = config.path ?? (config.version ? `${name}/${config.version}` : name);
    this.source = sourceOf(metadata);
    this.columnArray = requireColumns(metadata, `ingest API "${name}"`, this.source);
    this.allowExtraFields = metadata?.extraFields === true;
    this.schema = metadata?.schema ?? {};
    getRegistry().register(this);
  }

  toSpec(): IngestApiSpec {
    return {
      name: this.name,
      ...(this.config.version !== undefined ? { version: this.config.version } : {}),
      path: this.id,
      columns: this.columnArray,
      schema: this.schema,
      destination: this.config.destination.id,
      source: this.source,
    };
  }
}
