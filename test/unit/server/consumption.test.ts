import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { assertValid } from "../../../src/sdk/query/validation.js";
import { METADATA_MARKER } from "../../../src/sdk/metadata.js";
import { Api } from "../../../src/sdk/api.js";
import type { MooseClient } from "../../../src/sdk/api.js";
import { consumptionRoutes } from "../../../src/server/consumption.js";

const source = { file: "app/index.ts", line: 7 };
const noClient = {} as MooseClient; // these handlers never query
// typia's own error class, from the MooseStack fixture that depends on typia.
const { TypeGuardError } = createRequire(import.meta.url)("../../fixtures/moosestack-cjs/node_modules/typia/lib/TypeGuardError.js") as {
  TypeGuardError: new (props: { method: string; path?: string; expected: string; value: unknown }) => Error;
};

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

  it("answers with the status of a { status, body } result (MooseStack's rule), and only a real status counts", async () => {
    const statused = api("statused", { type: "object", properties: {} }, async () => ({ status: 404, body: { message: "no such order" } }));
    const text = api("text", { type: "object", properties: {} }, async () => ({ status: 202, body: "started" }));
    const domain = api("domain", { type: "object", properties: {} }, async () => ({ status: "paid", body: "order text" }));
    // An interim status is no final answer: the object is the body.
    const interim = api("interim", { type: "object", properties: {} }, async () => ({ status: 100, body: "go on" }));
    const routes = consumptionRoutes([statused, text, domain, interim], noClient);
    expect(await routes("interim", new URLSearchParams())).toEqual({ status: 200, body: { status: 100, body: "go on" } });
    expect(await routes("statused", new URLSearchParams())).toEqual({ status: 404, body: { message: "no such order" } });
    expect(await routes("text", new URLSearchParams())).toEqual({ status: 202, body: '"started"', contentType: "application/json" });
    expect(await routes("domain", new URLSearchParams())).toEqual({ status: 200, body: { status: "paid", body: "order text" } });
  });

  it("answers 400 with field errors before the handler runs", async () => {
    expect(await route("echo", new URLSearchParams("n=x"))).toEqual({
      status: 400,
      body: { error: "invalid query parameters for /api/echo", fields: [{ field: "n", message: "must be integer" }] },
    });
  });

  it("serves a name's only version at the name too, as MooseStack; with several, answers 404 naming them", async () => {
    expect(await route("report", new URLSearchParams())).toEqual({ status: 200, body: { rows: [] } });
    expect((await route("report/3", new URLSearchParams()))?.status).toBe(200);
    const twoVersions = consumptionRoutes([versioned, api("report", { type: "object", properties: {} }, async () => ({ rows: [4] }), "4")], noClient);
    expect(await twoVersions("report", new URLSearchParams())).toEqual({ status: 404, body: { error: "no API at /api/report; it has versions: /api/report/3, /api/report/4" } });
    expect(await twoVersions("report", new URLSearchParams("version=4"))).toEqual({ status: 200, body: { rows: [4] } });
    expect(await route("missing", new URLSearchParams())).toEqual({ status: 404, body: { error: "no API at /api/missing" } });
    // A 16 KB path is named by its first 200 characters.
    expect(await route("x".repeat(16_000), new URLSearchParams())).toEqual({ status: 404, body: { error: `no API at /api/${"x".repeat(195)}…` } });
  });

  it("answers 400 when the handler refuses its input with BadRequestError or typia's TypeGuardError", async () => {
    const checked = api("checked", { type: "object", properties: {} }, async () =>
      assertValid({ success: false, errors: [{ path: "$input.limit", expected: "number & Minimum<1>", value: 0 }] }),
    );
    const asserted = api("asserted", { type: "object", properties: {} }, async () => {
      throw new TypeGuardError({ method: "typia.assert", path: "$input.id", expected: "string", value: 3 });
    });
    const failing = api("failing", { type: "object", properties: {} }, async () => {
      throw new Error("Code: 60. DB::Exception: Unknown table");
    });
    const routes = consumptionRoutes([checked, asserted, failing], noClient);
    expect(await routes("checked", new URLSearchParams())).toEqual({
      status: 400,
      body: { error: "Validation failed", details: [{ path: "$input.limit", message: "Expected number & Minimum<1>", expected: "number & Minimum<1>", received: "0" }] },
    });
    expect(await routes("asserted", new URLSearchParams())).toEqual({ status: 400, body: { error: "Error on typia.assert(): invalid type on $input.id, expect to be string" } });
    // Any other error stays the server's: a generic 500 (./http.ts), never its text.
    await expect(routes("failing", new URLSearchParams())).rejects.toThrow("Unknown table");
  });

  it("refuses at start an API whose params schema is not valid JSON Schema, at its source line", () => {
    const broken = api("broken", { type: "no-such-type" }, async () => null);
    expect(() => consumptionRoutes([broken], noClient)).toThrow(expect.objectContaining({ code: "API_SCHEMA_INVALID", location: source }));
  });
});
