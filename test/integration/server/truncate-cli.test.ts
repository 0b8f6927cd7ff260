/**
 * `moose truncate` through the built CLI on the project's embedded engine: whole tables, a table's
 * newest rows by its sorting key, --all; moose-ts's own tables and unknown names refused (exit 2),
 * and the journal untouched.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { runMoose } from "./cli-helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const projectDir = mkdtempSync(join(tmpdir(), "moose-truncate-cli-"));

async function local<T = Record<string, unknown>>(statement: string): Promise<T[]> {
  const driver = await openEmbedded({ dataDir: join(projectDir, ".moose", "clickhouse"), database: "server_fixture" });
  try {
    return await driver.query<T>(statement);
  } finally {
    await driver.close();
  }
}

const fill = () => local("INSERT INTO Users (id, name, age) VALUES ('u1', 'a', 1), ('u2', 'b', 2), ('u3', 'c', 3), ('u4', 'd', 4), ('u5', 'e', 5)");

beforeAll(async () => {
  cpSync(FIXTURE, projectDir, { recursive: true });
  for (const args of [["migrate", "generate", "--name", "init"], ["migrate", "up", "--embedded"]]) {
    const result = await runMoose([...args, "--dir", projectDir]);
    if (result.code !== ExitCode.ok) throw new Error(`${args.join(" ")}: ${result.stderr}`);
  }
}, 120_000);
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

describe("moose truncate", () => {
  it("deletes a table's newest rows by its sorting key with --rows, then empties it", async () => {
    await fill();
    const newest = await runMoose(["truncate", "Users", "--rows", "2", "--dir", projectDir]);
    expect(newest.code, newest.stderr).toBe(ExitCode.ok);
    expect(newest.stdout).toBe("✓ Users: 2 rows deleted (3 left)\n");
    expect(await local("SELECT id FROM Users ORDER BY id")).toEqual([{ id: "u1" }, { id: "u2" }, { id: "u3" }]);

    // Rows in several parts (one insert each): a DELETE's subquery would run again per part and take more.
    await local("TRUNCATE TABLE Users");
    for (const id of ["u1", "u5", "u3", "u4", "u2"]) await local(`INSERT INTO Users (id, name, age) VALUES ('${id}', 'x', 1)`);
    expect((await runMoose(["truncate", "Users", "--rows", "2", "--dir", projectDir])).stdout).toBe("✓ Users: 2 rows deleted (3 left)\n");
    expect(await local("SELECT id FROM Users ORDER BY id")).toEqual([{ id: "u1" }, { id: "u2" }, { id: "u3" }]);
    // Fewer rows than asked: all of them.
    expect((await runMoose(["truncate", "Users", "--rows", "10", "--dir", projectDir])).stdout).toBe("✓ Users: 3 rows deleted\n");
    await local("INSERT INTO Users (id, name, age) VALUES ('u1', 'a', 1), ('u2', 'b', 2), ('u3', 'c', 3)");

    const whole = await runMoose(["truncate", "Users", "--dir", projectDir]);
    expect(whole.stdout).toBe("✓ Users: 3 rows deleted\n");
    expect(await local("SELECT count() AS n FROM Users")).toEqual([{ n: "0" }]);
  });

  it("--all empties every table of the database but moose-ts's own: the journal still says the migration is applied", async () => {
    await fill();
    const all = await runMoose(["truncate", "--all", "--dir", projectDir]);
    expect(all.code, all.stderr).toBe(ExitCode.ok);
    expect(all.stdout).toBe("✓ Users: 5 rows deleted\n");
    const status = await runMoose(["migrate", "status", "--embedded", "--dir", projectDir]);
    expect(status.stdout).toContain("applied");
    expect(status.stdout).not.toContain("pending");
  });

  it("refuses moose-ts's own tables, names the database lacks, and asking for both or neither (exit 2)", async () => {
    const own = await runMoose(["truncate", "_moose_migrations", "--dir", projectDir]);
    expect(own.code).toBe(ExitCode.usage);
    expect(own.stderr).toContain("TRUNCATE_RESERVED");
    const unknown = await runMoose(["truncate", "Users,Nope", "--dir", projectDir]);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toContain("TRUNCATE_UNKNOWN_TABLE");
    expect(unknown.stderr).toContain("Users");
    expect((await runMoose(["truncate", "--dir", projectDir])).code).toBe(ExitCode.usage);
    expect((await runMoose(["truncate", "Users", "--all", "--dir", projectDir])).code).toBe(ExitCode.usage);
    expect((await runMoose(["truncate", "Users", "--rows", "0", "--dir", projectDir])).code).toBe(ExitCode.usage);
  });

  it("refuses while a moose prod --embedded of the project serves the database (its rows are production's), as seed does", async () => {
    // What a running `moose prod --embedded` records: this test's process stands in for it (a live pid).
    writeFileSync(join(projectDir, ".moose", "running.json"), JSON.stringify({ pid: process.pid, kind: "prod", clickhouseUrl: "http://127.0.0.1:1", database: "server_fixture", startedAt: new Date().toISOString() }));
    try {
      for (const args of [["truncate", "--all"], ["seed", "clickhouse", "--clickhouse-url", "http://127.0.0.1:1"]]) {
        const refused = await runMoose([...args, "--dir", projectDir]);
        expect(refused.code, args.join(" ")).toBe(ExitCode.error);
        expect(refused.stderr).toContain("LOCAL_DATABASE_IN_PRODUCTION");
      }
    } finally {
      rmSync(join(projectDir, ".moose", "running.json"));
    }
  });
});
