/** `moose migrate` flag handling: bad input stops with exit 2 before any database is opened. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/index.js";
import { parseRenames } from "../../../src/cli/commands/migrate.js";
import { tempProject, usersV1, usersV2, usersV3, type TempProject } from "./helpers.js";

let project: TempProject;
const originalCwd = process.cwd();
let stderr = "";
let stdout = "";

beforeAll(() => {
  project = tempProject();
  process.chdir(project.dir);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
});
afterAll(() => {
  vi.restoreAllMocks();
  process.chdir(originalCwd);
  project.remove();
});

async function moose(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  stderr = "";
  stdout = "";
  const code = await main(["node", "moose", ...args]);
  return { code, stderr, stdout };
}

describe("moose migrate flags", () => {
  it("parses --rename Table.old=new (nested column names keep their dots)", () => {
    expect(parseRenames(["Users.name=full_name", "Users.addr.city=town", "Events.a=b"])).toEqual({ Users: { name: "full_name", "addr.city": "town" }, Events: { a: "b" } });
  });

  it("rejects a malformed --rename with exit 2", async () => {
    const result = await moose("migrate", "generate", "--rename", "Users.name", "--manifest", "none.json");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Table.old_column=new_column");
  });

  it("rejects bad --steps, --to with --steps, both targets, and a bad --lock-timeout with exit 2", async () => {
    expect((await moose("migrate", "down", "--steps", "0", "--embedded")).stderr).toContain("--steps must be a positive whole number");
    expect((await moose("migrate", "down", "--steps", "1", "--to", "x", "--embedded")).code).toBe(2);
    const both = await moose("migrate", "status", "--embedded", "--clickhouse-url", "http://localhost:1");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("either --embedded or --clickhouse-url");
    expect((await moose("migrate", "up", "--lock-timeout", "soon", "--embedded")).code).toBe(2);
  });

  it("generate: writes (0), says there is nothing to do (0), refuses data loss (3)", async () => {
    for (const [name, manifest] of Object.entries({ v1: usersV1, v2: usersV2, v3: usersV3 })) writeFileSync(path.join(project.dir, `${name}.json`), JSON.stringify(manifest));
    expect((await moose("migrate", "generate", "--manifest", "v1.json")).code).toBe(0);
    const same = await moose("migrate", "generate", "--manifest", "v1.json");
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("no changes");
    await moose("migrate", "generate", "--manifest", "v2.json");
    const lossy = await moose("migrate", "generate", "--manifest", "v3.json");
    expect(lossy.code).toBe(3);
    expect(lossy.stdout).toContain("Modified Components");
    expect(lossy.stderr).toContain("--allow-data-loss");
    expect(lossy.stderr).toContain("--rename");
  });

  it("generate: a column removed from a DELETION_PROTECTED table is kept: the plan says so, nothing to write (0); plan --json lists it", async () => {
    const protect = (manifest: typeof usersV2) => ({ ...manifest, tables: { Users: { ...manifest.tables.Users!, lifeCycle: "DELETION_PROTECTED" as const } } });
    writeFileSync(path.join(project.dir, "p2.json"), JSON.stringify(protect(usersV2)));
    writeFileSync(path.join(project.dir, "p3.json"), JSON.stringify(protect(usersV3)));
    expect((await moose("migrate", "generate", "--manifest", "p2.json")).code).toBe(0);
    const removed = await moose("migrate", "generate", "--manifest", "p3.json");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("🛡  kept: drop column Users.name is not done — Users is DELETION_PROTECTED");
    expect(removed.stdout).toContain("no changes");
    const plan = await moose("plan", "--manifest", "p3.json", "--json");
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ hasChanges: false, kept: [{ target: "Users", column: "name" }] });
  });
});
