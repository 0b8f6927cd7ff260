/**
 * A journal from before per-host results gets its `host_results` column from the first run that
 * prepares it. Preparing runs before the lock, so two runs may both find the column missing and
 * both add it: the one that loses finds it there and goes on (18.x has no ADD COLUMN IF NOT EXISTS).
 */
import { describe, expect, it } from "vitest";
import { Journal } from "../../../src/migrations/runner/journal.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";

const database = useEmbeddedDatabase("journal_upgrade");

describe("a journal from before per-host results", () => {
  it("is prepared by two runs at once: both succeed and the column is there once", async () => {
    const driver = database();
    await driver.exec(
      "CREATE TABLE _moose_migrations (id String, checksum String, from_hash String, to_hash String, status String, steps_done UInt32, done_hash String, started_at DateTime, finished_at DateTime, duration_ms UInt64, applied_by String, error String, failed_step String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id",
    );
    const prepared = await Promise.allSettled([Journal.open(driver), Journal.open(driver), Journal.open(driver)]);
    expect(prepared.map((outcome) => (outcome.status === "rejected" ? String(outcome.reason) : "ok"))).toEqual(["ok", "ok", "ok"]);
    const columns = await driver.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '_moose_migrations' AND name = 'host_results'");
    expect(columns).toEqual([{ name: "host_results" }]);
  });
});
