/** A stream's JavaScript `Date` fields, found by the extractor, so its functions get Dates (as MooseStack's runner gives them). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";

const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-date-fields-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const APP = `import { DeadLetterQueue, IngestPipeline, Stream, type Aggregated, type ClickHouseDefault, type DateTimeString, type Key, type SimpleAggregated } from "moose-ts";
interface Visit { at: Date; label: string }
interface Event {
  id: Key<string>;
  at: Date;
  seen?: Date | null;
  stamped: Date & ClickHouseDefault<"now()">;
  text: DateTimeString;
  visits: Visit[];
  last: Visit;
  days: Date[];
  byKey: Record<string, Date>;
  pair: [string, Date];
  "event.time": Date;
  latest: Date & SimpleAggregated<"max", Date>;
  firstSeen: string & Aggregated<"min", [Date]>;
}
export const events = new IngestPipeline<Event>("Events", { table: false, stream: true, ingestApi: true });
export const plain = new Stream<{ id: string; n: number }>("Plain");
export const dead = new DeadLetterQueue<Event>("Dead");
const expected = [["at"], ["seen"], ["stamped"], ["visits", "[]", "at"], ["last", "at"], ["days", "[]"], ["byKey", "{}"], ["pair", "1"], ["event.time"], ["latest"]];
if (JSON.stringify(events.stream!.dateFields) !== JSON.stringify(expected)) throw new Error("dateFields: " + JSON.stringify(events.stream!.dateFields));
if (plain.dateFields.length !== 0) throw new Error("plain: " + JSON.stringify(plain.dateFields));
if (JSON.stringify(dead.dateFields) !== JSON.stringify([["failedAt"]])) throw new Error("dead: " + JSON.stringify(dead.dateFields));
`;

it("records where a stream's message type has a Date (nested, in arrays, maps and tuples, optional, branded, a SimpleAggregated's value), not where a string is only formatted as one or an aggregate state's argument is one", async () => {
  const projectDir = path.join(scratch, "app");
  mkdirSync(path.join(projectDir, "app"), { recursive: true });
  writeFileSync(path.join(projectDir, "app", "index.ts"), APP);
  const manifest = await extractManifest({ projectDir });
  // The columns are unchanged by it: both the Date and the formatted string are DateTime columns.
  expect(manifest.streams.Events!.columns.filter((column) => column.type === "DateTime('UTC')").map((column) => column.name)).toEqual(["at", "seen", "stamped", "text", "event.time"]);
});
