import { describe, expect, it } from "vitest";
import { formatTimestamp, MIGRATION_FILE_PATTERN, nextTimestamp, toSlug } from "../../../src/migrations/layout.js";

describe("migration ids", () => {
  it("formats UTC timestamps as YYYYMMDDTHHMMSSZ", () => {
    expect(formatTimestamp(new Date("2026-11-27T08:01:12.570Z"))).toBe("20261127T080112Z");
  });

  it("bumps a new id past the newest existing one, so ids sort in creation order", () => {
    const now = new Date("2026-11-27T08:01:12Z");
    expect(nextTimestamp(now)).toBe("20261127T080112Z");
    expect(nextTimestamp(now, "20261127T080112Z_a")).toBe("20261127T080113Z");
    expect(nextTimestamp(now, "20261127T235959Z_future")).toBe("20261128T000000Z");
    expect(nextTimestamp(now, "20261101T000000Z_old")).toBe("20261127T080112Z");
  });

  it("derives file-name-safe slugs", () => {
    expect(toSlug("Add UserEvents table!")).toBe("add_user_events_table");
    expect(toSlug("***")).toBe("migration");
    expect(toSlug("x".repeat(80))).toHaveLength(60);
    expect(MIGRATION_FILE_PATTERN.test(`20261127T080112Z_${toSlug("Ünïcode näme")}.ts`)).toBe(true);
  });
});
