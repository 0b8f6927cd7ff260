import { describe, expect, it } from "vitest";
import { apiResolver } from "../../../src/server/api-paths.js";

const none = new URLSearchParams();

describe("apiResolver", () => {
  const resolve = apiResolver([
    { name: "users", path: "users" },
    { name: "ver", version: "1", path: "ver/1" },
    { name: "ver", version: "2", path: "ver/2" },
    { name: "solo", version: "1.5", path: "solo/1.5" },
    { name: "revenue", version: "2", path: "finance/revenue" },
    { name: "report", version: "3", path: "reports/v/3" },
    { name: "both", path: "both" },
    { name: "both", version: "9", path: "both/9" },
  ]);

  it("finds each API at its own path", () => {
    for (const path of ["users", "ver/1", "ver/2", "solo/1.5", "finance/revenue", "reports/v/3", "both", "both/9"]) expect(resolve(path, none)).toBe(path);
  });

  it("finds the only version of a name at the name, unless an unversioned API has it", () => {
    expect(resolve("solo", none)).toBe("solo/1.5");
    expect(resolve("revenue", none)).toBe("finance/revenue");
    expect(resolve("ver", none)).toBeUndefined();
    expect(resolve("both", none)).toBe("both");
  });

  it("finds a version by ?version= or as name/version, whatever the API's path", () => {
    expect(resolve("ver", new URLSearchParams("version=2"))).toBe("ver/2");
    expect(resolve("revenue", new URLSearchParams("version=2"))).toBe("finance/revenue");
    expect(resolve("revenue/2", none)).toBe("finance/revenue");
    expect(resolve("ver", new URLSearchParams("version=3"))).toBeUndefined();
    expect(resolve("solo", new URLSearchParams("version=2"))).toBeUndefined();
    // An API at the path asked answers, whatever version the query names.
    expect(resolve("users", new URLSearchParams("version=7"))).toBe("users");
  });

  it("finds a path option that does not end in its version at path/version too", () => {
    expect(resolve("finance/revenue/2", none)).toBe("finance/revenue");
    expect(resolve("reports/v/3/3", none)).toBeUndefined();
  });

  it("finds nothing else", () => {
    for (const path of ["", "nope", "ver/3", "users/1", "solo/1.5/x"]) expect(resolve(path, none)).toBeUndefined();
  });
});
