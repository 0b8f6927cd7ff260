/** Stream and ingest message types with an index signature (MooseStack's allowExtraFields): extracted, ingested, refused for tables. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { extractManifest } from "../../../src/extract/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import type { KafkaProducer } from "../../../src/infra/kafka/producer.js";
import { ingestRoutes, tableRecords } from "../../../src/server/ingest.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-extra-fields-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: string, index: string): string {
  const projectDir = path.join(scratch, name);
  mkdirSync(path.join(projectDir, "app"), { recursive: true });
  writeFileSync(path.join(projectDir, "app", "index.ts"), index);
  return projectDir;
}

const WEBHOOK = `import { IngestPipeline, Stream, type Key } from "moose-ts";
interface Webhook { id: Key<string>; source: string; [key: string]: any }
export const hooks = new IngestPipeline<Webhook>("Hooks", { table: false, stream: true, ingestApi: true });
export const raw = new Stream<Webhook>("RawHooks");
if (!hooks.stream!.allowExtraFields || !hooks.ingestApi!.allowExtraFields || !raw.allowExtraFields) throw new Error("allowExtraFields not set");
`;

describe("message types with an index signature", () => {
  it("have their named fields as columns, and their ingest API keeps every other field on the way to the topic", async () => {
    const manifest = await extractManifest({ projectDir: project("webhook", WEBHOOK) });
    expect(manifest.streams.Hooks!.columns.map((column) => column.name)).toEqual(["id", "source"]);
    expect(manifest.streams.RawHooks!.columns.map((column) => column.name)).toEqual(["id", "source"]);
    expect(manifest.tables).toEqual({});
    expect(manifest.ingestApis.Hooks!.columns.map((column) => column.name)).toEqual(["id", "source"]);

    const sent: unknown[][] = [];
    const producer: KafkaProducer = { send: async (_stream, values) => void sent.push(values), close: async () => {} };
    const ingest = ingestRoutes(manifest, { driver: {} as ClickHouseDriver, producer });
    const record = { id: "h1", source: "github", action: "opened", payload: { number: 7 } };
    expect(await ingest("Hooks", record)).toEqual({ status: 200, body: { ingested: 1 } });
    expect(sent).toEqual([[record]]);
    // The named fields are still required and typed.
    expect((await ingest("Hooks", { source: "github", action: "opened" }))?.status).toBe(400);
    expect((await ingest("Hooks", { id: "h2", source: 3 }))?.status).toBe(400);
  });

  it("keep their other fields through Stream.send's check; a table's check drops them", () => {
    const columns = [{ name: "id", type: "String", nullable: false }];
    const streamRecord = { id: "h1", action: "opened" };
    expect(tableRecords(columns, { extraFields: true }).problems(streamRecord)).toEqual([]);
    expect(streamRecord).toEqual({ id: "h1", action: "opened" });
    const tableRow = { id: "h1", action: "opened" };
    expect(tableRecords(columns).problems(tableRow)).toEqual([]);
    expect(tableRow).toEqual({ id: "h1" });
  });

  it("cannot be a pipeline's table: INVALID_PIPELINE at the pipeline's line", async () => {
    const error = await extractManifest({ projectDir: project("with-table", WEBHOOK.replace("table: false", "table: true")) }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).code).toBe("INVALID_PIPELINE");
    expect((error as MooseError).message).toContain("index signature");
    expect((error as MooseError).location).toMatchObject({ file: "app/index.ts", line: 3 });
  });
});
