import { describe, expect, it } from "vitest";
import { METADATA_MARKER } from "../../../src/sdk/metadata.js";
import { Api } from "../../../src/sdk/api.js";
import type { MooseClient } from "../../../src/sdk/api.js";
import { consumptionRoutes } from "../../../src/server/consumption.js";

const source = { file: "app/index.ts", line: 7 };
const noClient = {} as MooseClient; // these handlers never query

function api(name: string, schema: Record<string, unknown>, handler: (params: any) => Promise<unknown>, version?: string) {
  return new Api<any>(name, handler, version ? { version } : {}, { [METADATA_MARKER]: 1, source, schema });
}

describe("consumptionRoutes", () => {
  const echo = api("echo", { type: "object", properties: { n: { type: "integer" } }, required: ["n"] }, async ({ n }) => ({ twice: n * 2 }));
  const versioned = api("report", { type: "object", properties: {} }, async () => ({ rows: [] }), "3");
  const route = consumptionRoutes([echo, versioned], noClient);

  it("calls the handler with validated params and returns its value", async () => {
    expect(await route("echo", new URLSearchParams("n=21"))).toEqual({ status: 200, body: { twice: 42 } });
  });

  it("unwraps a QueryResult returned as is (MooseStack style)", async () => {
    const direct = api("direct", { type: "object", properties: {} }, async () => ({ json: async () => [{ id: 1 }] }));
    expect(await consumptionRoutes([direct], noClient)("direct", new URLSearchParams())).toEqual({ status: 200, body: [{ id: 1 }] });
  });

  it("answers 400 with field errors before the handler runs", async () => {
    expect(await route("echo", new URLSearchParams("n=x"))).toEqual({
      status: 400,
      body: { error: "invalid query parameters for /api/echo", fields: [{ field: "n", message: "must be integer" }] },
    });
  });

  it("answers 404 naming the versions when only a versioned API has that name", async () => {
    expect(await route("report", new URLSearchParams())).toEqual({ status: 404, body: { error: "no API at /api/report; it has versions: /api/report/3" } });
    expect((await route("report/3", new URLSearchParams()))?.status).toBe(200);
    expect(await route("missing", new URLSearchParams())).toEqual({ status: 404, body: { error: "no API at /api/missing" } });
    // A 16 KB path is named by its first 200 characters.
    expect(await route("x".repeat(16_000), new URLSearchParams())).toEqual({ status: 404, body: { error: `no API at /api/${"x".repeat(195)}…` } });
  });

  it("refuses at start an API whose params schema is not valid JSON Schema, at its source line", () => {
    const broken = api("broken", { type: "no-such-type" }, async () => null);
    expect(() => consumptionRoutes([broken], noClient)).toThrow(expect.objectContaining({ code: "API_SCHEMA_INVALID", location: source }));
  });
});
