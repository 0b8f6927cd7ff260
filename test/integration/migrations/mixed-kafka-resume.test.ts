/**
 * A migration mixing ClickHouse and Kafka steps fails part-way and resumes after the fix, against
 * real chdb and a real broker: the steps before the failure are not run again, the failed step and
 * the rest run once, and the table and the topic are both there. Two failures: a hand-written
 * `{ sql }` step whose input is missing, and a kafka step while the broker is unreachable.
 */
import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { openKafkaAdmin, type KafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { generateMigration, hashMigrations } from "../../../src/migrations/generate.js";
import { applyMigrations } from "../../../src/migrations/runner/apply.js";
import type { MigrationEvent } from "../../../src/migrations/runner/events.js";
import { readJournal } from "../../../src/migrations/runner/journal.js";
import { emptyManifest, type Manifest } from "../../../src/manifest/types.js";
import { tempDataDir } from "../../helpers/clickhouse.js";
import { BROKER_START_TIMEOUT_MS, freePort, redpandaConfig, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { tempProject, type TempProject } from "../../unit/migrations/helpers.js";

const data = tempDataDir("moose-mixed-resume-");
let broker: TestBroker;
let namespace: string;
let kafka: KafkaAdmin;
let driver: ClickHouseDriver;
let project: TempProject;

beforeAll(async () => {
  broker = await startTestBroker();
  namespace = testNamespace();
  kafka = openKafkaAdmin(redpandaConfig({ broker: broker.broker, namespace }));
  driver = await openEmbedded({ dataDir: data.dir, database: "mixed_resume" });
  project = tempProject();
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  await kafka?.close();
  await driver?.close();
  await broker?.stop();
  project?.remove();
  data.remove();
});

const idColumn = [{ name: "id", type: "String", nullable: false }];

/** A table and a stream of one name, as an IngestPipeline declares them. */
function pipeline(name: string): Pick<Manifest, "tables" | "streams"> {
  return {
    tables: {
      [name]: { name, columns: idColumn, orderBy: ["id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" },
    },
    streams: {
      [name]: { name, partitionCount: 1, retentionMs: 60_000, config: {}, columns: idColumn, destination: name, lifeCycle: "FULLY_MANAGED" },
    },
  };
}

/** Generates the migration to `manifest`, appends hand-written `up` steps, and re-sums the directory. */
async function generateWithSteps(manifest: Manifest, name: string, extraSteps: string): Promise<string> {
  const generated = await generateMigration({ projectDir: project.dir, manifest, name });
  if (generated.kind !== "written") throw new Error(`expected a written migration, got ${generated.kind}`);
  const text = await readFile(generated.file, "utf8");
  const upEnd = text.indexOf("\n  ],\n  down: [");
  expect(upEnd).toBeGreaterThan(0);
  await writeFile(generated.file, `${text.slice(0, upEnd)}\n${extraSteps}${text.slice(upEnd)}`);
  await hashMigrations({ projectDir: project.dir });
  return generated.id;
}

async function ids(table: string): Promise<string[]> {
  const rows = await driver.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`);
  return rows.map((row) => row.id);
}

async function topics(): Promise<string[]> {
  return (await kafka.describeTopics()).map((topic) => topic.name).sort();
}

function recorder(): { events: MigrationEvent[]; reporter: (event: MigrationEvent) => void } {
  const events: MigrationEvent[] = [];
  return { events, reporter: (event) => events.push(event) };
}

describe("a mixed ClickHouse + Kafka migration resumes after a failure", () => {
  const first = { ...emptyManifest(), ...pipeline("Events") };

  it("a failing { sql } step after the table and the topic: fix, run again, every step applied once", async () => {
    const id = await generateWithSteps(
      first,
      "events",
      [
        `    { summary: "seed a row", sql: "INSERT INTO Events VALUES ('seed')" },`,
        `    { summary: "copy the backfill", sql: "INSERT INTO Events SELECT id FROM Backfill" },`,
        `    { summary: "mark the end", sql: "INSERT INTO Events VALUES ('end')" },`,
      ].join("\n"),
    );

    const failed = recorder();
    const error = await applyMigrations({ projectDir: project.dir, driver, kafka, reporter: failed.reporter }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED" });
    expect(failed.events.filter((event) => event.type === "step-done").map((event) => event.type === "step-done" && event.summary)).toEqual([
      "create table Events",
      "create topic Events (1 partition)",
      "seed a row",
    ]);
    expect(failed.events.find((event) => event.type === "migration-failed")).toMatchObject({ id, index: 3, summary: "copy the backfill" });
    expect((await readJournal(driver)).get(id)).toMatchObject({ status: "failed", stepsDone: 3, failedStep: "copy the backfill" });
    expect(await ids("Events")).toEqual(["seed"]);
    expect(await topics()).toEqual(["Events"]);

    // The fix: the missing input now exists.
    await driver.exec("CREATE TABLE Backfill (id String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("Backfill", [{ id: "old-1" }, { id: "old-2" }]);

    const resumed = recorder();
    const result = await applyMigrations({ projectDir: project.dir, driver, kafka, reporter: resumed.reporter });
    expect(result.migrations).toEqual([id]);
    expect(resumed.events.find((event) => event.type === "migration-started")).toMatchObject({ id, resumeAt: 3 });
    expect(resumed.events.filter((event) => event.type === "step-done").map((event) => event.type === "step-done" && event.summary)).toEqual([
      "copy the backfill",
      "mark the end",
    ]);
    expect((await readJournal(driver)).get(id)).toMatchObject({ status: "applied", stepsDone: 5, error: "" });
    expect(await ids("Events")).toEqual(["end", "old-1", "old-2", "seed"]);
    expect(await topics()).toEqual(["Events"]);
  });

  it("a kafka step while the broker is unreachable: the table step is not repeated once the broker is back", async () => {
    const second = { ...first, tables: { ...first.tables, ...pipeline("Clicks").tables }, streams: { ...first.streams, ...pipeline("Clicks").streams } };
    const id = await generateWithSteps(second, "clicks", `    { summary: "seed a click", sql: "INSERT INTO Clicks VALUES ('c1')" },`);

    const deadBroker = openKafkaAdmin(redpandaConfig({ broker: `127.0.0.1:${await freePort()}`, namespace, message_timeout_ms: 200 }));
    const failed = recorder();
    try {
      const error = await applyMigrations({ projectDir: project.dir, driver, kafka: deadBroker, reporter: failed.reporter }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "MIGRATION_STEP_FAILED" });
      expect(String((error as Error).message)).toContain("KAFKA_UNREACHABLE");
    } finally {
      await deadBroker.close();
    }
    expect(failed.events.find((event) => event.type === "migration-failed")).toMatchObject({ id, index: 1, summary: "create topic Clicks (1 partition)" });
    expect((await readJournal(driver)).get(id)).toMatchObject({ status: "failed", stepsDone: 1 });
    expect(await ids("Clicks")).toEqual([]);
    expect(await topics()).toEqual(["Events"]);

    const resumed = recorder();
    await applyMigrations({ projectDir: project.dir, driver, kafka, reporter: resumed.reporter });
    expect(resumed.events.filter((event) => event.type === "step-done").map((event) => event.type === "step-done" && event.summary)).toEqual([
      "create topic Clicks (1 partition)",
      "seed a click",
    ]);
    expect((await readJournal(driver)).get(id)).toMatchObject({ status: "applied", stepsDone: 3 });
    expect(await ids("Clicks")).toEqual(["c1"]);
    expect(await topics()).toEqual(["Clicks", "Events"]);

    const again = recorder();
    await applyMigrations({ projectDir: project.dir, driver, kafka, reporter: again.reporter });
    expect(again.events.map((event) => event.type)).toEqual(["nothing-to-do"]);
  });
});
