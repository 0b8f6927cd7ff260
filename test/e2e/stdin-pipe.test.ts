/**
 * Every command that opens the embedded engine works with a pipe on stdin (scripts, xargs, ssh, CI
 * runners). The engine must never take stdin as INSERT data: with data waiting there, it either
 * refused inline inserts (the journal insert, half-way through `migrate up`) or inserted stdin's
 * bytes. examples/analytics without its topic, streaming off; the built CLI (`npm run build` first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/kafka.js";
import { cleanEnv, MAIN, MOOSE_BIN, Output, Project, type RunResult } from "./scenarios/project.js";

/** What waits on the commands' stdin: a line (as `echo hi |`) and a row the ingest tables would take. */
const STDIN = 'hi\n{"eventId":"FROM_STDIN","timestamp":"2026-01-01 00:00:00","page":"/stdin","userId":"stdin","durationMs":1}\n';

describe("commands on the embedded engine with a pipe on stdin", { timeout: 240_000 }, () => {
  let project: Project;
  let clickhousePort: number;
  let apiPort: number;

  /** Spawns `moose args` with STDIN waiting in a pipe; `closeStdin` false keeps the pipe open (ssh, CI). */
  function spawnWithStdin(args: string[], closeStdin: boolean): ChildProcess {
    const child = spawn(process.execPath, [MOOSE_BIN, ...args], { cwd: project.dir, env: cleanEnv(project.env), stdio: ["pipe", "pipe", "pipe"] });
    child.stdin!.on("error", () => {}); // the command may exit before reading: EPIPE is fine
    child.stdin!.write(STDIN);
    if (closeStdin) child.stdin!.end();
    return child;
  }

  function moose(args: string[], closeStdin = true): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawnWithStdin(args, closeStdin);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        child.stdin!.destroy();
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  const expectOk = (result: RunResult) => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/NOT_IMPLEMENTED|inlined and external data|CLICKHOUSE_QUERY_FAILED/);
  };

  beforeAll(async () => {
    clickhousePort = await freePort();
    apiPort = await freePort();
    project = Project.copy("analytics", {
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(clickhousePort),
      MOOSE_HTTP_SERVER_CONFIG__PORT: String(apiPort),
    });
    // No broker here: the pipeline without its topic.
    await project.edit(MAIN, "stream: true", "stream: false");
  });

  afterAll(() => project?.remove());

  it("build, plan and migrate generate", async () => {
    expectOk(await moose(["build"]));
    expectOk(await moose(["plan"]));
    expectOk(await moose(["migrate", "generate", "--name", "initial"]));
    expect(project.migrationFiles()).toHaveLength(1);
  });

  it("migrate up --embedded applies and journals (stdin closed after the data, and kept open)", async () => {
    const up = await moose(["migrate", "up", "--embedded"]);
    expectOk(up);
    expect(await project.tables()).toEqual(["PageStats", "PageStats_mv", "PageView"]);
    const journal = await project.sql<{ status: string; error: string }>(
      "SELECT status, error FROM _moose_migrations ORDER BY version DESC LIMIT 1",
    );
    expect(journal).toEqual([{ status: "applied", error: "" }]);
    // Nothing left to apply; the open pipe must not hang the run either.
    expectOk(await moose(["migrate", "up", "--embedded"], false));
  });

  it("migrate status --embedded and ls", async () => {
    const status = await moose(["migrate", "status", "--embedded", "--json"], false);
    expectOk(status);
    expect(status.stdout).toContain("applied");
    expectOk(await moose(["ls"]));
  });

  it("dev: ingest and the ClickHouse HTTP endpoint insert exactly the rows sent", async () => {
    const dev = new Output(spawnWithStdin(["dev"], false));
    try {
      await dev.waitFor(/moose dev ready in \d+ ms/, 0, 120_000);
      const ingest = await fetch(`http://localhost:${apiPort}/ingest/PageView`, {
        method: "POST",
        body: JSON.stringify([{ eventId: "e1", timestamp: "2026-01-05T10:00:00Z", page: "/docs", userId: "u1", durationMs: 30 }]),
      });
      expect(ingest.status, await ingest.clone().text()).toBe(200);
      const auth = `Basic ${Buffer.from("panda:pandapass").toString("base64")}`;
      const query = encodeURIComponent("INSERT INTO PageView FORMAT JSONEachRow");
      const insert = await fetch(`http://localhost:${clickhousePort}/?query=${query}`, {
        method: "POST",
        headers: { Authorization: auth },
        body: '{"eventId":"e2","timestamp":"2026-01-05 10:00:05","page":"/docs","userId":"u2","durationMs":10}\n',
      });
      expect(insert.status, await insert.clone().text()).toBe(200);
      const select = await fetch(`http://localhost:${clickhousePort}/?query=${encodeURIComponent("SELECT eventId FROM PageView ORDER BY eventId FORMAT TSV")}`, {
        headers: { Authorization: auth },
      });
      expect(await select.text()).toBe("e1\ne2\n");
      const top = await fetch(`http://localhost:${apiPort}/api/top-pages`);
      expect(await top.json()).toEqual([{ page: "/docs", views: 2, totalDurationMs: 40 }]);
    } finally {
      await dev.stop();
    }
    expect(dev.text).not.toMatch(/NOT_IMPLEMENTED|inlined and external data/);
  });

  it("prod --embedded serves and ingests", async () => {
    const prod = new Output(spawnWithStdin(["prod", "--embedded", "--port", "0"], false));
    try {
      const [, url] = await prod.waitFor(/moose prod listening on (\S+)/, 0, 120_000);
      const ingest = await fetch(`${url}/ingest/PageView`, {
        method: "POST",
        body: JSON.stringify({ eventId: "e3", timestamp: "2026-01-05T10:00:10Z", page: "/prod", userId: "u3", durationMs: 5 }),
      });
      expect(ingest.status, await ingest.clone().text()).toBe(200);
    } finally {
      await prod.stop();
    }
    expect((await project.sql<{ eventId: string }>("SELECT eventId FROM PageView ORDER BY eventId")).map((row) => row.eventId)).toEqual(["e1", "e2", "e3"]);
  });

  it("migrate down --embedded reverts and journals", async () => {
    expectOk(await moose(["migrate", "down", "--embedded", "--allow-data-loss"]));
    expect(await project.tables()).toEqual([]);
    const journal = await project.sql<{ status: string; error: string }>(
      "SELECT status, error FROM _moose_migrations ORDER BY version DESC LIMIT 1",
    );
    expect(journal[0]?.error).toBe("");
    expect(journal[0]?.status).not.toMatch(/fail/);
  });
});
