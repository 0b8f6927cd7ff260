/**
 * The record of SQL fragments ClickHouse's parser accepted (src/extract/accepted-sql.ts), kept
 * between processes: a later process (a fresh module instance here) finds what an earlier one
 * accepted; a damaged record, or one written for other checks, is not trusted; and a refused
 * fragment is never recorded, so the real check (chdb's parser) refuses it every time.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { AcceptedFragments } from "../../../src/extract/accepted-sql.js";
import { emptyManifest, type Manifest } from "../../../src/manifest/types.js";

const CHECKER = `accepted-sql test ${process.pid} ${Date.now()}`;

describe("accepted SQL fragments", () => {
  it("are found by a later process, and only for the same checks", () => {
    const first = AcceptedFragments.load(CHECKER);
    const key = first.key("expression", "now()");
    first.add(key);
    first.save();
    expect(AcceptedFragments.load(CHECKER).has(key)).toBe(true);
    const otherChecks = AcceptedFragments.load(`${CHECKER} changed`);
    expect(otherChecks.has(otherChecks.key("expression", "now()"))).toBe(false);
  });

  it("are not trusted from a damaged record", () => {
    const record = AcceptedFragments.load(`${CHECKER} damaged`);
    const key = record.key("expression", "1 + 1");
    record.add(key);
    record.save();
    const file = record.file!;
    writeFileSync(file, `${readFileSync(file, "utf8")}\n${"f".repeat(40)}`);
    expect(AcceptedFragments.load(`${CHECKER} damaged`).has(key)).toBe(false);
  });

  it("never hold a refused fragment: a fresh process refuses it again", async () => {
    const table = (defaultValue: string): Manifest => ({
      ...emptyManifest(),
      tables: {
        T: {
          name: "T",
          columns: [
            { name: "id", type: "String", nullable: false },
            { name: "n", type: "Int32", nullable: false, default: defaultValue },
          ],
          orderBy: ["id"],
          engine: { name: "MergeTree", params: [] },
          settings: {},
          indexes: [],
          lifeCycle: "FULLY_MANAGED",
        },
      },
    });
    const refusal = async () => {
      vi.resetModules();
      const { checkManifest } = await import("../../../src/extract/check.js");
      await checkManifest(table("1 + 1"));
      return checkManifest(table("1) , (2")).then(
        () => undefined,
        (error: unknown) => error,
      );
    };
    // Modules are fresh each time (errors.js too): the error is recognised by its code.
    for (const error of [await refusal(), await refusal()]) expect((error as { code?: string } | undefined)?.code).toBe("MODEL_INVALID");
  });
});
