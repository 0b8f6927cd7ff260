/**
 * examples/analytics under `moose dev` (ClickHouse only, streaming off): the ingest API is served
 * from the first build, rows posted to it flow through the materialized view to the API, and an
 * ingest API added by a save is served after the reload. (The dev loop itself is covered by
 * test/e2e/dev*.test.ts; this is the ingest path through it.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../helpers/kafka.js";
import { MAIN, Output, Project } from "./project.js";

// Each step runs several CLI commands, each extracting the app: room for a busy 2-core CI machine.
describe("moose dev serves ingest APIs (examples/analytics)", { timeout: 180_000 }, () => {
  let project: Project;
  let dev: Output;
  let api: string;

  beforeAll(async () => {
    const apiPort = await freePort();
    project = Project.copy("analytics", {
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(await freePort()),
      MOOSE_HTTP_SERVER_CONFIG__PORT: String(apiPort),
    });
    api = `http://localhost:${apiPort}`;
    dev = new Output(project.spawnMoose(["dev"]));
    await dev.waitFor(/moose dev ready in \d+ ms/);
  }, 120_000);

  afterAll(async () => {
    await dev?.stop();
    project?.remove();
  });

  const post = (path: string, body: unknown) => fetch(`${api}/ingest/${path}`, { method: "POST", body: JSON.stringify(body) });

  it("takes rows on POST /ingest/PageView; the API returns the aggregate", async () => {
    const response = await post("PageView", [
      { eventId: "e1", timestamp: "2026-01-05T10:00:00Z", page: "/docs", userId: "u1", durationMs: 30 },
      { eventId: "e2", timestamp: "2026-01-05T10:00:05Z", page: "/docs", userId: "u2", durationMs: 10 },
    ]);
    expect(response.status).toBe(200);
    const top = await fetch(`${api}/api/top-pages`);
    expect(await top.json()).toEqual([{ page: "/docs", views: 2, totalDurationMs: 40 }]);
  });

  it("serves an ingest API added by a save after the reload", async () => {
    expect((await post("Signup", { userId: "u1" })).status).toBe(404);
    const mark = dev.text.length;
    await project.append(
      MAIN,
      `
export const signups = new IngestPipeline<{ userId: Key<string> }>("Signup", { table: true, stream: false, ingestApi: true });
`,
    );
    const [reload] = await dev.waitFor(/(✓|✖) reload (in|failed after) \d+ ms/, mark);
    expect(reload, dev.text.slice(mark)).toMatch(/✓ reload in/);
    const response = await post("Signup", { userId: "u1" });
    expect(await response.json()).toEqual({ ingested: 1 });
  });
});
