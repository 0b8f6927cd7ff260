import { describe, expect, it } from "vitest";
import { isDestructiveStep, stepKind, stepSummary } from "../../../src/steps/index.js";

describe("steps", () => {
  it("classifies data-deleting steps", () => {
    expect(isDestructiveStep({ sql: "DROP TABLE IF EXISTS `Users`" })).toBe(true);
    expect(isDestructiveStep({ sql: "ALTER TABLE Users DROP COLUMN age" })).toBe(true);
    expect(isDestructiveStep({ sql: "  truncate table Users" })).toBe(true);
    expect(isDestructiveStep({ sql: "ALTER TABLE `Users` DELETE WHERE 1" })).toBe(true);
    expect(isDestructiveStep({ sql: "DROP VIEW IF EXISTS v" })).toBe(false);
    expect(isDestructiveStep({ sql: "ALTER TABLE Users ADD COLUMN age Int32" })).toBe(false);
    expect(isDestructiveStep({ kafka: { deleteTopic: { topic: "t" } } })).toBe(true);
    expect(isDestructiveStep({ note: "DROP TABLE x" })).toBe(false);
  });

  it("trusts a generated step's risk over its statement", () => {
    expect(isDestructiveStep({ sql: "DROP TABLE IF EXISTS `Users__moose_old`", risk: "rewrite" })).toBe(false);
    expect(isDestructiveStep({ sql: "ALTER TABLE x MODIFY TTL ts + INTERVAL 1 DAY", risk: "data-loss" })).toBe(true);
  });

  it("names and summarises each kind", () => {
    expect(stepKind({ run: async () => {} })).toBe("run");
    expect(stepSummary({ sql: "SELECT 1\nFROM x" })).toBe("SELECT 1");
    expect(stepSummary({ kafka: { addPartitions: { topic: "t", count: 3 } } })).toBe("kafka addPartitions");
  });
});
