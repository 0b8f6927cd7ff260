/**
 * The pure parts of the stream processes: the sync's deduplication token and pending-range marker,
 * MooseStack's dead-letter record, backoff, consumer group ids, a sync's dead-letter queue from the
 * stream's defaultDeadLetterQueue, the processes' config keys, and dev's note when streaming is off.
 */
import kafkajs, { type Producer } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../../src/config/types.js";
import { startDevProcesses } from "../../../src/dev/processes.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { emptyManifest, type ColumnSpec } from "../../../src/manifest/types.js";
import { DeadLetterQueue } from "../../../src/sdk/dead-letter.js";
import { METADATA_MARKER } from "../../../src/sdk/metadata.js";
import { OlapTable } from "../../../src/sdk/olap-table.js";
import { processFunctions } from "../../../src/sdk/processes.js";
import { getRegistry } from "../../../src/sdk/registry.js";
import { Stream } from "../../../src/sdk/stream.js";
import { deadLetter } from "../../../src/streams/dead-letter.js";
import { backoffMs, processGroupId, refusedForGood, sendInParts, type TopicMessages } from "../../../src/streams/kafka.js";
import { RecordInvalidError } from "../../../src/streams/dead-letter.js";
import { deduplicationToken, pendingEnd } from "../../../src/streams/sync.js";

describe("sync bookkeeping", () => {
  it("names a batch by topic, partition, offset range and its first and last records' timestamps", () => {
    expect(deduplicationToken("staging_Events", 2, 100n, 149n, { first: "1767607200000", last: "1767607200150" })).toBe("staging_Events:2:100-149@1767607200000-1767607200150");
  });

  it("reads the pending range's end from offset metadata, and nothing from other metadata", () => {
    expect(pendingEnd("moose-ts:pending:9007199254740993")).toBe(9007199254740993n);
    expect(pendingEnd(null)).toBeUndefined();
    expect(pendingEnd("")).toBeUndefined();
    expect(pendingEnd("moose-ts:pending:")).toBeUndefined();
    expect(pendingEnd("someone else's metadata")).toBeUndefined();
  });
});

describe("dead letters", () => {
  it("carry MooseStack's fields: the record, the error's message and class name, when, and where", () => {
    const letter = deadLetter({ id: 1 }, new RangeError("too big"), "transform", new Date("2026-01-05T10:00:00Z"));
    expect(letter).toEqual({ originalRecord: { id: 1 }, errorMessage: "too big", errorType: "RangeError", failedAt: "2026-01-05T10:00:00.000Z", source: "transform" });
    expect(deadLetter({ id: 2 }, new RecordInvalidError("name: must be string"), "table").errorType).toBe("RecordInvalidError");
  });

  it("wrap a value that is not an object, and name a thrown non-error Unknown", () => {
    expect(deadLetter("text", "boom", "transform")).toMatchObject({ originalRecord: { value: "text" }, errorMessage: "boom", errorType: "Unknown" });
  });

  it("go with results in requests of at most 768 KiB; a refused request is halved down to the message refused alone", async () => {
    // What the splitting decides, against a stand-in that refuses as a broker does (the real broker: processes.test.ts).
    const tooLarge = () => {
      const refusal = new kafkajs.KafkaJSProtocolError({ type: "MESSAGE_TOO_LARGE", code: 10, retriable: false, message: "too large" } as unknown as Error);
      return new (kafkajs.KafkaJSNonRetriableError as unknown as new (error: Error, metadata: { cause: Error }) => Error)(refusal, { cause: refusal });
    };
    const requests: number[] = [];
    const delivered: string[] = [];
    const producer = {
      sendBatch: async ({ topicMessages }: { topicMessages: TopicMessages[] }) => {
        const messages = topicMessages.flatMap((entry) => entry.messages);
        const bytes = messages.reduce((sum, message) => sum + Buffer.byteLength(message.value as string), 0);
        requests.push(bytes);
        // A batch over 1 MiB, or a message over the topic's 64 KiB, is refused whole.
        if (bytes > 1 << 20 || messages.some((message) => Buffer.byteLength(message.value as string) > 64 << 10)) throw tooLarge();
        delivered.push(...messages.map((message) => (message.value as string).slice(0, 8)));
      },
    } as unknown as Producer;
    const refused: string[] = [];
    const onRefused = (_topic: string, message: { value: unknown }) => void refused.push(String(message.value).slice(0, 8));

    const results = Array.from({ length: 500 }, (_, index) => ({ value: `r${String(index).padStart(7, "0")}${"x".repeat(3000)}` }));
    await sendInParts(producer, [{ topic: "out", messages: results }], onRefused);
    expect(delivered).toHaveLength(500);
    expect(requests.every((bytes) => bytes <= 768 << 10)).toBe(true);
    expect(requests).toHaveLength(2);

    requests.length = 0;
    delivered.length = 0;
    const mixed = Array.from({ length: 21 }, (_, index) => ({ value: `m${String(index).padStart(7, "0")}${"y".repeat(index === 13 ? 100_000 : 100)}` }));
    await sendInParts(producer, [{ topic: "out", messages: mixed.slice(0, 10) }, { topic: "dead", messages: mixed.slice(10) }], onRefused);
    expect(refused).toEqual(["m0000013"]);
    expect(delivered).toHaveLength(20);
    expect(requests.length).toBeLessThanOrEqual(11);
  });

  it("that the queue refuses for good are told from a broker that is away, through kafkajs's wrappers", () => {
    const protocol = (type: string, retriable: boolean) => new kafkajs.KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as Error);
    // What a send rejects with: the retrier wraps a refusal in KafkaJSNonRetriableError, an outage longer than the retries in KafkaJSNumberOfRetriesExceeded.
    const tooLarge = protocol("MESSAGE_TOO_LARGE", false);
    expect(refusedForGood(new (kafkajs.KafkaJSNonRetriableError as unknown as new (error: Error, metadata: { cause: Error }) => Error)(tooLarge, { cause: tooLarge }))).toBe(true);
    expect(refusedForGood(protocol("TOPIC_AUTHORIZATION_FAILED", false))).toBe(true);
    const unknownTopic = protocol("UNKNOWN_TOPIC_OR_PARTITION", true);
    expect(refusedForGood(new kafkajs.KafkaJSNumberOfRetriesExceeded(unknownTopic, { retryCount: 8, retryTime: 5000, cause: unknownTopic } as never))).toBe(false);
    expect(refusedForGood(new kafkajs.KafkaJSNonRetriableError(new kafkajs.KafkaJSConnectionError("Connection error: ECONNREFUSED")))).toBe(false);
    expect(refusedForGood(new Error("a bug"))).toBe(false);
  });
});

describe("processes' kafka settings", () => {
  it("back off 100 ms, doubling, at most 5 s", () => {
    expect([1, 2, 3, 4, 10].map(backoffMs)).toEqual([100, 200, 400, 800, 5000]);
  });

  it("give each process of each project and namespace its own consumer group", () => {
    expect(processGroupId("/home/ada/shop", "staging_", "sync:Orders->Orders")).toBe("moose-ts:staging_shop:sync:Orders->Orders");
    expect(processGroupId("/home/ada/shop", "", "sync:Orders->Orders")).not.toBe(processGroupId("/home/ada/shop", "staging_", "sync:Orders->Orders"));
    // Named by package.json when the project has one: the same app deployed in /app and /srv/app shares its groups.
    const deployed = mkdtempSync(path.join(tmpdir(), "app-"));
    writeFileSync(path.join(deployed, "package.json"), JSON.stringify({ name: "shop" }));
    expect(processGroupId(deployed, "", "sync:Orders->Orders")).toBe("moose-ts:shop:sync:Orders->Orders");
    rmSync(deployed, { recursive: true, force: true });
  });
});

describe("moose dev with streaming off", () => {
  it("runs no process and says so once", async () => {
    const lines: string[] = [];
    const output = { info: (text: string) => void lines.push(text), error: (text: string) => void lines.push(text), color: false };
    const config = { ...DEFAULT_CONFIG, features: { ...DEFAULT_CONFIG.features, streaming_engine: false } };
    const processes = await startDevProcesses({ projectDir: "/tmp/off", config, driver: {} as ClickHouseDriver, output });
    const code = { ...emptyManifest(), processes: { "sync:A->A": { kind: "sync" as const, source: "A", destination: "A" } } };
    await processes.reload(code, emptyManifest());
    await processes.reload(code, emptyManifest());
    expect(lines).toEqual(["note: 1 stream process in the code is not run: [features] streaming_engine = false (ingest writes tables directly)"]);
    expect(await processes.report()).toEqual([]);
  });
});

describe("a sync's dead-letter queue", () => {
  it("is the stream's defaultDeadLetterQueue", () => {
    const columns: ColumnSpec[] = [{ name: "id", type: "String", nullable: false }];
    const injected = (line: number) => ({ [METADATA_MARKER]: 1 as const, source: { file: "app/index.ts", line }, columns });
    getRegistry().clear();
    try {
      const table = new OlapTable<{ id: string }>("Events", {}, injected(1));
      const dead = new DeadLetterQueue<{ id: string }>("EventsDead", {}, injected(2));
      new Stream<{ id: string }>("Events", { destination: table, defaultDeadLetterQueue: dead }, injected(3));
      expect(processFunctions(getRegistry()).get("sync:Events->Events")?.spec).toMatchObject({ kind: "sync", deadLetterQueue: "EventsDead" });
    } finally {
      getRegistry().clear();
    }
  });
});

describe("the processes' config keys", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-streams-config-"));
  const load = (env: NodeJS.ProcessEnv) => loadConfig(dir, env, () => {});

  it("default to sub-second freshness and three retries, and take overrides", async () => {
    expect((await load({})).redpanda_config).toMatchObject({ sync_batch_size: 10000, sync_batch_timeout_ms: 200, process_retries: 3 });
    expect((await load({ MOOSE_REDPANDA_CONFIG__SYNC_BATCH_TIMEOUT_MS: "50", MOOSE_REDPANDA_CONFIG__PROCESS_RETRIES: "0" })).redpanda_config).toMatchObject({ sync_batch_timeout_ms: 50, process_retries: 0 });
  });

  it("refuse a batch size below 1, naming the key", async () => {
    const error = await load({ MOOSE_REDPANDA_CONFIG__SYNC_BATCH_SIZE: "0" }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toMatchObject({ config: { key: "redpanda_config.sync_batch_size" }, message: expect.stringContaining("must be a whole number of at least 1") });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
