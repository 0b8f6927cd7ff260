import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "../../../src/config/suggest.js";

describe("editDistance", () => {
  it("counts inserts, deletes and substitutions", () => {
    expect(editDistance("hostport", "host_port")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});

describe("closestMatch", () => {
  it("returns the nearest candidate within the typo budget", () => {
    expect(closestMatch("host-port", ["host", "host_port", "native_port"])).toBe("host_port");
    expect(closestMatch("DB_NAME", ["db_name", "user"])).toBe("db_name");
  });

  it("treats a leading part of a name as close", () => {
    expect(closestMatch("redpanda", ["features", "redpanda_config", "clickhouse_config"])).toBe("redpanda_config");
  });

  it("returns nothing when every candidate is far away", () => {
    expect(closestMatch("xyz", ["host_port", "native_port"])).toBeUndefined();
  });
});
