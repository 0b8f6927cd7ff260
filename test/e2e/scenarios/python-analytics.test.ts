/**
 * examples/analytics-python (the Python twin of examples/analytics) under `moose dev`, ClickHouse
 * only: page views posted to the ingest API flow through the materialized view, and both versions
 * of the Python `top-pages` API — run by the Python worker, their queries bound and run on dev's
 * ClickHouse — answer what the TypeScript app answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";
import { Output, Project } from "./project.js";

describe("moose dev on examples/analytics-python", { timeout: 180_000 }, () => {
  let project: Project;
  let dev: Output;
  let api: string;

  beforeAll(async () => {
    const apiPort = await freePort();
    project = Project.copy("analytics-python", {
      MOOSE_PYTHON: testPython(),
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(await freePort()),
      MOOSE_HTTP_SERVER_CONFIG__PORT: String(apiPort),
    });
    api = `http://localhost:${apiPort}`;
    dev = new Output(project.spawnMoose(["dev"]));
    await dev.waitFor(/moose dev ready in \d+ ms/);
  }, 120_000);

  afterAll(async () => {
    if (dev) expect(await dev.stop()).toBe(0);
    project?.remove();
  });

  it("ingests page views; /api/top-pages and /api/top-pages/2 answer from the materialized view", async () => {
    expect(dev.text).toContain("+ PageStats_mv (Materialized View)");
    const ingested = await fetch(`${api}/ingest/PageView`, {
      method: "POST",
      body: JSON.stringify([
        { eventId: "e1", timestamp: "2026-01-05T10:00:00Z", page: "/docs", userId: "u1", durationMs: 30 },
        { eventId: "e2", timestamp: "2026-01-05T10:00:05Z", page: "/docs", userId: "u2", durationMs: 10 },
        { eventId: "e3", timestamp: "2026-01-05T10:00:09Z", page: "/pricing", userId: "u1", durationMs: 20 },
      ]),
    });
    expect(await ingested.json()).toEqual({ ingested: 3 });

    const top = await fetch(`${api}/api/top-pages`);
    expect(top.status, dev.text).toBe(200);
    expect(await top.json()).toEqual([
      { page: "/docs", views: 2, totalDurationMs: 40 },
      { page: "/pricing", views: 1, totalDurationMs: 20 },
    ]);
    expect(await (await fetch(`${api}/api/top-pages?limit=1`)).json()).toEqual([{ page: "/docs", views: 2, totalDurationMs: 40 }]);
    expect(await (await fetch(`${api}/api/top-pages/2?page=/docs`)).json()).toEqual([{ page: "/docs", views: 2, averageDurationMs: 20 }]);

    const missing = await fetch(`${api}/api/top-pages/2`);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain("page");
    const badLimit = await fetch(`${api}/api/top-pages?limit=ten`);
    expect(badLimit.status).toBe(400);
  });
});
