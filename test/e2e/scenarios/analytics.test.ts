/**
 * examples/analytics end to end, from the CLI only, on the embedded ClickHouse and a real Kafka
 * broker: its first migration creates the ingest pipeline (table, topic, ingest API), the
 * materialized view with its target table, and two versions of an API; `moose prod` then takes
 * rows on POST /ingest/PageView (to the topic; the stream's sync writes the table), the view
 * aggregates them, and GET /api/top-pages returns the
 * totals. Afterwards a stream config change plans as `(Config Change)` and a new versioned API as
 * `(API Endpoint)`, and both apply. The steps run in order, on one project.
 */
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { MAIN, Output, Project } from "./project.js";

const VIEWS = [
  { eventId: "e1", timestamp: "2026-01-05T10:00:00Z", page: "/home", userId: "u1", durationMs: 100 },
  { eventId: "e2", timestamp: "2026-01-05T10:00:01.250Z", page: "/home", userId: "u2", durationMs: 300 },
  { eventId: "e3", timestamp: "2026-01-05T10:00:02Z", page: "/pricing", userId: "u1", durationMs: 50 },
];
const LATE_VIEW = { eventId: "e4", timestamp: "2026-01-05T10:05:00Z", page: "/pricing", userId: "u3", durationMs: 150, referrer: "not in the type" };

// Each step runs several CLI commands, each extracting the app: room for a busy 2-core CI machine.
describe("examples/analytics: ingest → materialized view → API", { timeout: 180_000 }, () => {
  let broker: TestBroker;
  let namespace: string;
  let project: Project;
  let prod: Output;
  let serverUrl: string;
  let firstPlan: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    namespace = testNamespace();
    project = Project.copy("analytics", { MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: namespace });
    const generated = await project.moose(["migrate", "generate", "--name", "initial"]);
    expect(generated.code, generated.stderr).toBe(0);
    firstPlan = generated.stdout;
    const applied = await project.moose(["migrate", "up", "--embedded"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    prod = new Output(project.spawnMoose(["prod", "--embedded", "--port", "0"]));
    serverUrl = (await prod.waitFor(/moose prod listening on (http:\/\/\S+)/))[1]!;
  }, 600_000);

  afterAll(async () => {
    await prod?.stop();
    project?.remove();
    await broker?.stop();
  });

  const ingest = (body: unknown) =>
    fetch(`${serverUrl}/ingest/PageView`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const api = async (path: string) => {
    const response = await fetch(`${serverUrl}/api/${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };

  /** The answer once `done` holds for it (or the last one after 30 s). */
  async function eventually<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await ask();
      if (done(answer) || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("type-checks and builds: moose build counts every component", async () => {
    const build = await project.moose(["build"]);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/2 tables, 1 stream, 0 views, 1 materialized view, 2 APIs, 1 ingest API, 0 workflows/);
  });

  it("the first migration creates every component of the app", () => {
    for (const line of [
      "+ PageView (OLAP Table)",
      "+ PageStats (OLAP Table)",
      "+ PageStats_mv (Materialized View)",
      "+ PageView (Streaming Topic)",
      "+ ingest/PageView (Ingest API)",
      "+ api/top-pages (API Endpoint)",
      "+ api/top-pages/2 (API Endpoint)",
    ]) {
      expect(firstPlan).toContain(line);
    }
  });

  it("POST /ingest/PageView takes an array or one object; the API returns the view's aggregate", async () => {
    const batch = await ingest(VIEWS);
    expect(batch.status).toBe(200);
    expect(await batch.json()).toEqual({ ingested: 3 });
    const single = await ingest(LATE_VIEW);
    expect(single.status).toBe(200);
    expect(await single.json()).toEqual({ ingested: 1 });

    // The records reach the table through the topic and the stream's sync process, within moments.
    expect(
      await eventually(
        () => api("top-pages"),
        (answer) => JSON.stringify(answer.body).includes('"views":2,"totalDurationMs":200'),
      ),
    ).toEqual({
      status: 200,
      body: [
        { page: "/home", views: 2, totalDurationMs: 400 },
        { page: "/pricing", views: 2, totalDurationMs: 200 },
      ],
    });
    expect(await api("top-pages?limit=1")).toEqual({ status: 200, body: [{ page: "/home", views: 2, totalDurationMs: 400 }] });
  });

  it("the versioned API answers at /api/top-pages/2 and checks its parameters", async () => {
    expect(await api("top-pages/2?page=%2Fpricing")).toEqual({ status: 200, body: [{ page: "/pricing", views: 2, averageDurationMs: 100 }] });
    expect(await api("top-pages/2")).toEqual({
      status: 400,
      body: { error: "invalid query parameters for /api/top-pages/2", fields: [{ field: "page", message: "is required" }] },
    });
  });

  it("an invalid record is refused with field errors and nothing of the batch is written", async () => {
    const response = await ingest([{ ...VIEWS[0], eventId: "e5" }, { eventId: "e6", page: 7, timestamp: "yesterday" }]);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid records for /ingest/PageView",
      fields: [
        { field: "[1].userId", message: "is required" },
        { field: "[1].durationMs", message: "is required" },
        { field: "[1].timestamp", message: 'must match format "date-time"' },
        { field: "[1].page", message: "must be string" },
      ],
    });
    expect((await ingest("not an object")).status).toBe(400);
    const notJson = await fetch(`${serverUrl}/ingest/PageView`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${serverUrl}/ingest/Nope`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await fetch(`${serverUrl}/ingest/PageView`)).status).toBe(405);
    expect(await api("top-pages")).toMatchObject({ body: [{ page: "/home", views: 2 }, { page: "/pricing", views: 2 }] });
  });

  it("the accepted records are on the PageView topic, undeclared fields dropped", async () => {
    const kafka = new kafkajs.Kafka({ clientId: "scenario-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${namespace}reader` });
    const received: unknown[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: `${namespace}PageView`, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            received.push(JSON.parse(message.value!.toString()));
            if (received.length === 4) resolve();
          },
        });
      });
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received.length} messages`)), 60_000))]);
    } finally {
      await consumer.disconnect();
    }
    const { referrer: _dropped, ...lateView } = LATE_VIEW;
    expect(received).toEqual([...VIEWS, lateView]);
  }, 90_000);

  it("a stream config change plans as (Config Change), a new versioned API as (API Endpoint); both apply", async () => {
    expect(await prod.stop()).toBe(0);
    await project.edit(MAIN, "  stream: true,", "  stream: { retentionPeriod: 30 * 24 * 3600 },");
    await project.append(
      MAIN,
      `
/** GET /api/v2/metrics: ingest totals (a path with the version first, as in the docs' plan example). */
export const metrics = new Api<{}, { views: number }[]>(
  "metrics",
  async (_params, { client, sql }) => (await client.query.execute<{ views: number }>(sql\`SELECT toFloat64(count()) AS views FROM \${pageViewTable}\`)).json(),
  { path: "v2/metrics" },
);
`,
    );
    const plan = await project.moose(["plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("+ api/v2/metrics (API Endpoint)");
    expect(plan.stdout).toContain("~ PageView (Config Change)");
    expect(plan.stdout).not.toContain("(Schema Update)");

    expect((await project.moose(["migrate", "generate", "--name", "retention_and_metrics"])).code).toBe(0);
    const applied = await project.moose(["migrate", "up", "--embedded"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/\[kafka\] .*PageView/);

    const admin = new kafkajs.Kafka({ clientId: "scenario-test", brokers: [broker.broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const described = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${namespace}PageView` }], includeSynonyms: false });
      const retention = described.resources[0]!.configEntries.find((entry) => entry.configName === "retention.ms");
      expect(retention?.configValue).toBe("2592000000");
    } finally {
      await admin.disconnect();
    }

    prod = new Output(project.spawnMoose(["prod", "--embedded", "--port", "0"]));
    serverUrl = (await prod.waitFor(/moose prod listening on (http:\/\/\S+)/))[1]!;
    expect(await api("v2/metrics")).toEqual({ status: 200, body: [{ views: 4 }] });
  }, 180_000);

  it("moose ls lists the app's objects as applied; moose logs shows the refused ingest requests", async () => {
    expect(await prod.stop()).toBe(0);
    const ls = await project.moose(["ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    const status = Object.fromEntries((JSON.parse(ls.stdout) as Array<{ kind: string; id: string; status: string }>).map((item) => [`${item.kind} ${item.id}`, item.status]));
    expect(status).toMatchObject({
      "table PageView": "applied",
      "table PageStats": "applied",
      "materialized-view PageStats_mv": "applied",
      "stream PageView": "applied",
      "ingest-api PageView": "applied",
      "api top-pages": "applied",
      "api top-pages/2": "applied",
      "api v2/metrics": "applied",
    });
    const logs = await project.moose(["logs", "--filter", "/ingest/"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/WARN +server +POST \/ingest\/PageView → 400/);
    expect(logs.stdout).toMatch(/WARN +server +POST \/ingest\/Nope → 404/);
  });
});
