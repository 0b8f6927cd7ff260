/**
 * The processes an app's streams ask for, as manifest specs (for plans and migrations) and with
 * their functions (for the runners in src/streams): a sync for each stream with a destination
 * table, a transform for each addTransform / addMultiTransform, a consumer for each addConsumer.
 */
import { createHash } from "node:crypto";
import { MULTI_DESTINATION, type ProcessSpec } from "../manifest/types.js";
import { getRegistry, type Registry } from "./registry.js";
import { userFunctionOf, type Stream } from "./stream.js";

export { MULTI_DESTINATION };

/** The function a transform or consumer runs on each record; sync processes have none. */
export type ProcessFunction = (record: any) => unknown;

/** The one naming of processes, shared by the manifest and the runners (docs/streams.md). */
export function processId(spec: Pick<ProcessSpec, "kind" | "source" | "destination" | "version">): string {
  const versioned = spec.version !== undefined ? `@${spec.version}` : "";
  switch (spec.kind) {
    case "sync":
      return `sync:${spec.source}->${spec.destination ?? ""}`;
    case "transform":
      return spec.destination === MULTI_DESTINATION ? `transform:${spec.source}->*` : `transform:${spec.source}->${spec.destination ?? ""}${versioned}`;
    case "consumer":
      return `consumer:${spec.source}${versioned}`;
  }
}

/** sha256 (hex) of a function's source text: the code identity a plan compares. */
function codeHash(fn: ProcessFunction): string {
  return createHash("sha256").update(Function.prototype.toString.call(userFunctionOf(fn))).digest("hex");
}

export function processSpecs(registry: Registry = getRegistry()): Record<string, ProcessSpec> {
  return Object.fromEntries([...processFunctions(registry)].map(([id, { spec }]) => [id, spec]));
}

/** Every process of the registered streams by id, with the function transforms and consumers run. */
export function processFunctions(registry: Registry = getRegistry()): Map<string, { spec: ProcessSpec; run?: ProcessFunction }> {
  const processes = new Map<string, { spec: ProcessSpec; run?: ProcessFunction }>();
  const add = (spec: ProcessSpec, run?: ProcessFunction) => processes.set(processId(spec), run ? { spec, run } : { spec });
  for (const stream of registry.list<Stream<unknown>>("streams")) {
    const location = stream.source;
    const destinationTable = stream.config.destination;
    // A sync's dead letters (records that do not fit the table) go to the stream's defaultDeadLetterQueue.
    const syncQueue = stream.defaultDeadLetterQueue ? { deadLetterQueue: stream.defaultDeadLetterQueue.id } : {};
    if (destinationTable) add({ kind: "sync", source: stream.id, destination: destinationTable.id, ...syncQueue, location });
    const withDates = (fn: ProcessFunction) => withDateFields(stream.dateFields, fn);
    for (const entries of stream._transformations.values()) {
      for (const [destination, transformation, config] of entries) {
        add(functionSpec("transform", stream, transformation, config, destination.id), withDates(transformation));
      }
    }
    const multi = stream._multipleTransformations;
    if (multi) add(functionSpec("transform", stream, multi, {}, MULTI_DESTINATION), withDates(multi));
    for (const { consumer, config } of stream._consumers) add(functionSpec("consumer", stream, consumer, config), withDates(consumer));
  }
  return processes;
}

/**
 * `fn` called with the record's `Date` fields as Date objects (JSON carries them as text), as
 * MooseStack's runner calls a stream's functions. A value that is no date-time text is left as it is.
 */
function withDateFields(paths: readonly (readonly string[])[], fn: ProcessFunction): ProcessFunction {
  if (paths.length === 0) return fn;
  return (record: unknown) => {
    for (const path of paths) reviveAt(record, path, 0);
    return fn(record);
  };
}

/** Replaces the date-time text at `path` (from `index` on) below `value` with Dates, in place. */
function reviveAt(value: unknown, path: readonly string[], index: number): unknown {
  if (index === path.length) {
    if (typeof value !== "string") return value;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date;
  }
  if (typeof value !== "object" || value === null) return value;
  const step = path[index]!;
  const target = value as Record<string, unknown>;
  if (step === "[]" || step === "{}") {
    if (step === "[]" && !Array.isArray(value)) return value;
    for (const key of Object.keys(target)) target[key] = reviveAt(target[key], path, index + 1);
  } else if (Object.hasOwn(target, step)) {
    target[step] = reviveAt(target[step], path, index + 1);
  }
  return value;
}

function functionSpec(
  kind: "transform" | "consumer",
  stream: Stream<unknown>,
  fn: ProcessFunction,
  config: { version?: string; deadLetterQueue?: { id: string } | null },
  destination?: string,
): ProcessSpec {
  return {
    kind,
    source: stream.id,
    ...(destination !== undefined ? { destination } : {}),
    ...(config.version !== undefined ? { version: config.version } : {}),
    codeHash: codeHash(fn),
    ...(config.deadLetterQueue ? { deadLetterQueue: config.deadLetterQueue.id } : {}),
    location: stream.source,
  };
}
