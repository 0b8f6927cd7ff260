/**
 * `moose peek --stream` through the built CLI against a real Kafka broker (scripts/kafka-local, or
 * MOOSE_TEST_KAFKA_BROKER): the newest records of a stream's topic as JSON lines, the table of the
 * same name by default, --file, and no consumer group left behind. Needs `npm run build`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { runMoose } from "../server/cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("../server/fixtures/app", import.meta.url));
const APP = `import { OlapTable, Stream, type Key } from "moose-ts";

interface Click {
  id: Key<string>;
  n: number;
}

export const clicksTable = new OlapTable<Click>("Clicks");
export const clicks = new Stream<Click>("Clicks", { destination: clicksTable });
export const audit = new Stream<Click>("Audit", { parallelism: 2 });
export const quiet = new Stream<Click>("Quiet");
export const committed = new Stream<Click>("Committed");
`;

let broker: TestBroker;
let kafka: kafkajs.Kafka;
const namespace = testNamespace();
const projectDir = mkdtempSync(join(tmpdir(), "moose-peek-stream-"));

const lines = (stdout: string) => stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as unknown);

beforeAll(async () => {
  broker = await startTestBroker();
  kafka = new kafkajs.Kafka({ clientId: "peek-stream-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
  cpSync(FIXTURE, projectDir, { recursive: true });
  writeFileSync(join(projectDir, "app", "index.ts"), APP);
  writeFileSync(
    join(projectDir, "moose.config.toml"),
    `[features]\nstreaming_engine = true\n\n[clickhouse_config]\ndb_name = "peek_stream"\n\n[redpanda_config]\nbroker = "${broker.broker}"\nnamespace = "${namespace}"\n`,
  );
  // The topics come from the migration, as in a real project.
  for (const args of [["migrate", "generate", "--name", "init"], ["migrate", "up", "--embedded"]]) {
    const result = await runMoose([...args, "--dir", projectDir]);
    if (result.code !== ExitCode.ok) throw new Error(`${args.join(" ")}: ${result.stderr}`);
  }
  const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: "peek_stream" });
  await driver.exec("INSERT INTO Clicks (id, n) VALUES ('in-the-table', 0)");
  await driver.close();

  const producer = kafka.producer();
  await producer.connect();
  // Seven records over Audit's two partitions, each with its own time, so "newest" is well defined.
  const start = Date.now() - 60_000;
  await producer.send({
    topic: `${namespace}Audit`,
    messages: [0, 1, 2, 3, 4, 5, 6].map((n) => ({ partition: n % 2, timestamp: String(start + n * 1000), value: JSON.stringify({ id: `a${n}`, n }) })),
  });
  await producer.send({ topic: `${namespace}Clicks`, messages: [{ value: JSON.stringify({ id: "on-the-topic", n: 1 }) }, { value: "not json" }] });
  await producer.disconnect();
  // Records written in a transaction: the topic's last offset is the commit marker, not a record.
  const transactional = kafka.producer({ transactionalId: `${namespace}peek-test`, idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  const transaction = await transactional.transaction();
  await transaction.send({ topic: `${namespace}Committed`, messages: [1, 2, 3].map((n) => ({ value: JSON.stringify({ id: `t${n}`, n }) })) });
  await transaction.commit();
  await transactional.disconnect();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

describe("moose peek --stream", () => {
  it("prints the newest records across the topic's partitions, oldest first, and leaves no consumer group behind", async () => {
    const peeked = await runMoose(["peek", "Audit", "--stream", "--limit", "3", "--dir", projectDir]);
    expect(peeked.code, peeked.stderr).toBe(ExitCode.ok);
    expect(lines(peeked.stdout)).toEqual([{ id: "a4", n: 4 }, { id: "a5", n: 5 }, { id: "a6", n: 6 }]);

    const everything = await runMoose(["peek", "Audit", "-s", "-l", "100", "--dir", projectDir]);
    expect(lines(everything.stdout)).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => ({ id: `a${n}`, n })));

    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    expect(groups.map((group) => group.groupId).filter((id) => id.startsWith("moose-ts:peek:"))).toEqual([]);
  });

  it("reads the table when a table and a stream share the name, the stream with --stream; a value that is not JSON comes as its text", async () => {
    const table = await runMoose(["peek", "Clicks", "--dir", projectDir]);
    expect(table.code, table.stderr).toBe(ExitCode.ok);
    expect(lines(table.stdout)).toEqual([{ id: "in-the-table", n: 0 }]);

    const stream = await runMoose(["peek", "Clicks", "--stream", "--dir", projectDir]);
    expect(stream.code, stream.stderr).toBe(ExitCode.ok);
    expect(lines(stream.stdout)).toEqual([{ id: "on-the-topic", n: 1 }, "not json"]);
  });

  it("reads a name only a stream has without --stream, and an empty topic as no lines", async () => {
    const audit = await runMoose(["peek", "Audit", "-l", "1", "--dir", projectDir]);
    expect(lines(audit.stdout)).toEqual([{ id: "a6", n: 6 }]);
    const quiet = await runMoose(["peek", "Quiet", "--dir", projectDir]);
    expect(quiet.code, quiet.stderr).toBe(ExitCode.ok);
    expect(quiet.stdout).toBe("");
  });

  it("reads a topic written in transactions to its end (the last offset is a commit marker) without waiting out its deadline", async () => {
    const peeked = await runMoose(["peek", "Committed", "-l", "1", "--dir", projectDir]);
    expect(peeked.code, peeked.stderr).toBe(ExitCode.ok);
    // No partition left unread at the deadline (which would be said in a warning).
    expect(peeked.stderr).not.toContain("warning");
    // The marker takes the offset the newest record would: -l 1 reaches only it, -l 2 the last record.
    expect(lines(peeked.stdout)).toEqual([]);
    expect(lines((await runMoose(["peek", "Committed", "-l", "2", "--dir", projectDir])).stdout)).toEqual([{ id: "t3", n: 3 }]);
  });

  it("writes the lines to --file instead of the terminal", async () => {
    const file = join(projectDir, "audit.jsonl");
    const written = await runMoose(["peek", "Audit", "-s", "-l", "2", "--file", file, "--dir", projectDir]);
    expect(written.code, written.stderr).toBe(ExitCode.ok);
    expect(written.stdout).toBe("");
    expect(written.stderr).toContain("wrote 2 records of Audit");
    expect(lines(readFileSync(file, "utf8"))).toEqual([{ id: "a5", n: 5 }, { id: "a6", n: 6 }]);
  });

  it("refuses --table for a name only a stream has, --table with --stream, and a stream with --clickhouse-url", async () => {
    const notATable = await runMoose(["peek", "Audit", "--table", "--dir", projectDir]);
    expect(notATable.code).toBe(ExitCode.error);
    expect(notATable.stderr).toContain("PEEK_UNKNOWN_NAME");
    expect(notATable.stderr).toContain("no table or view named");

    const both = await runMoose(["peek", "Clicks", "-t", "-s", "--dir", projectDir]);
    expect(both.code).toBe(ExitCode.usage);
    expect(both.stderr).toContain("cannot be used with");

    // --clickhouse-url reads tables only: a stream (asked for, or the only one of the name) is a usage error.
    for (const args of [["Clicks", "-s"], ["Audit"]]) {
      const remote = await runMoose(["peek", ...args, "--clickhouse-url", "http://127.0.0.1:1", "--dir", projectDir]);
      expect(remote.code, args.join(" ")).toBe(ExitCode.usage);
      expect(remote.stderr).toContain("reads tables only");
    }
  });

  it("says the topic is missing for a stream the code has and no migration created yet", async () => {
    const newerDir = mkdtempSync(join(tmpdir(), "moose-peek-stream-newer-"));
    try {
      cpSync(projectDir, newerDir, { recursive: true, filter: (source) => !source.includes(".moose") });
      writeFileSync(join(newerDir, "app", "index.ts"), `${APP}export const fresh = new Stream<Click>("Fresh");\n`);
      const missing = await runMoose(["peek", "Fresh", "--stream", "--dir", newerDir]);
      expect(missing.code).toBe(ExitCode.error);
      expect(missing.stderr).toContain(`PEEK_NO_TOPIC: the stream's topic "${namespace}Fresh" does not exist on the broker at ${broker.broker}`);
    } finally {
      rmSync(newerDir, { recursive: true, force: true });
    }
  });

  it("says streaming is off when it is (config key named)", async () => {
    const offDir = mkdtempSync(join(tmpdir(), "moose-peek-stream-off-"));
    try {
      cpSync(projectDir, offDir, { recursive: true, filter: (source) => !source.includes(".moose") });
      writeFileSync(join(offDir, "moose.config.toml"), `[features]\nstreaming_engine = false\n\n[clickhouse_config]\ndb_name = "peek_stream"\n`);
      const off = await runMoose(["peek", "Audit", "--stream", "--dir", offDir]);
      expect(off.code).toBe(ExitCode.error);
      expect(off.stderr).toContain("PEEK_STREAMING_OFF");
      expect(off.stderr).toContain("features.streaming_engine");
    } finally {
      rmSync(offDir, { recursive: true, force: true });
    }
  });
});
