/**
 * The docs' scenarios on examples/quickstart, from the CLI only: "Adding a New Table", "Schema
 * Changes" and every row of "Migration Types" — each change planned (`moose plan`), written
 * (`moose migrate generate`) and applied (`moose migrate up --embedded`), then checked in the
 * embedded ClickHouse. (`moose dev` applying the same changes on save is test/e2e/dev.test.ts.)
 * The steps build on each other and run in order, on one project.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { MAIN, Project, type RunResult } from "./project.js";

const ANALYTICS = `
interface AnalyticsSchema {
  eventId: string;
  count: number;
  value: string;
}

export const analyticsTable = new OlapTable<AnalyticsSchema>("Analytics");
`;

// Each step runs several CLI commands, each extracting the app: room for a busy 2-core CI machine.
describe("documented migration scenarios (quickstart, embedded ClickHouse)", { timeout: 180_000 }, () => {
  let broker: TestBroker;
  let project: Project;

  beforeAll(async () => {
    broker = await startTestBroker();
    project = Project.copy("quickstart", {
      MOOSE_REDPANDA_CONFIG__BROKER: broker.broker,
      MOOSE_REDPANDA_CONFIG__NAMESPACE: testNamespace(),
    });
    const generated = await project.moose(["migrate", "generate", "--name", "initial"]);
    expect(generated.code, generated.stderr).toBe(0);
    const applied = await project.moose(["migrate", "up", "--embedded"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    project?.remove();
    await broker?.stop();
  });

  /**
   * `moose plan` (when `withPlan`) → `migrate generate` → `migrate up`, each expected to succeed;
   * returns the plan (generate prints the same plan, which saves an extraction where `moose plan`
   * itself is not the point).
   */
  async function planAndApply(name: string, withPlan = false): Promise<string> {
    const plan = withPlan ? await project.moose(["plan"]) : undefined;
    if (plan) expect(plan.code, plan.stderr).toBe(0);
    const generated = await project.moose(["migrate", "generate", "--name", name]);
    expect(generated.code, generated.stderr).toBe(0);
    if (plan) expect(generated.stdout).toContain(plan.stdout);
    const applied = await project.moose(["migrate", "up", "--embedded"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    return plan?.stdout ?? generated.stdout;
  }

  const all = (result: RunResult) => result.stdout + result.stderr;

  it("starts from the quickstart: Users exists", async () => {
    expect(await project.tables()).toEqual(["Users"]);
  });

  it("Adding a New Table (add object): plan shows + Analytics (OLAP Table); applying creates it", async () => {
    await project.append(MAIN, ANALYTICS);
    const plan = await planAndApply("add_analytics", true);
    expect(plan).toContain("✨ New Components");
    expect(plan).toContain("+ Analytics (OLAP Table)");
    expect(plan).not.toContain("⚠️");
    expect(await project.tables()).toEqual(["Analytics", "Users"]);
    expect(await project.columns("Analytics")).toEqual({ eventId: "String", count: "Float64", value: "String" });
  });

  it("Schema Changes (add field): age: number → ~ Users (Schema Update); existing rows read 0", async () => {
    await project.sql("INSERT INTO Users VALUES ('u1', 'alice', 'alice@example.com'), ('u2', 'bob', 'bob@example.com')");
    await project.edit(MAIN, "  email: string;\n}", "  email: string;\n  age: number; // New field\n}");
    const plan = await planAndApply("add_age", true);
    expect(plan).toContain("🔄 Modified Components");
    expect(plan).toContain("~ Users (Schema Update)");
    expect(plan).toContain("+ age: Float64 — existing rows get 0 (the type's default)");
    expect(await project.columns("Users")).toMatchObject({ age: "Float64" });
    expect(await project.sql("SELECT id, age FROM Users ORDER BY id")).toEqual([
      { id: "u1", age: 0 },
      { id: "u2", age: 0 },
    ]);
  });

  it("add an optional field: existing rows read NULL", async () => {
    await project.sql("INSERT INTO Analytics VALUES ('e1', 1, '12'), ('e2', 2, '7')");
    await project.edit(MAIN, "  value: string;\n}", "  value: string;\n  age?: number;\n}");
    const plan = await planAndApply("add_optional_age");
    expect(plan).toContain("~ Analytics (Schema Update)");
    expect(plan).toMatch(/\+ age: .*Float64.* — existing rows get NULL/);
    expect(await project.columns("Analytics")).toMatchObject({ age: "Nullable(Float64)" });
    expect(await project.sql("SELECT eventId, age FROM Analytics ORDER BY eventId")).toEqual([
      { eventId: "e1", age: null },
      { eventId: "e2", age: null },
    ]);
  });

  it("change type, compatible: value string → number converts the stored values", async () => {
    await project.edit(MAIN, "  value: string;", "  value: number;");
    const plan = await planAndApply("value_to_number");
    expect(plan).toContain("~ value: String → Float64");
    expect(await project.columns("Analytics")).toMatchObject({ value: "Float64" });
    expect(await project.sql("SELECT eventId, value FROM Analytics ORDER BY eventId")).toEqual([
      { eventId: "e1", value: 12 },
      { eventId: "e2", value: 7 },
    ]);
  });

  it("change type, incompatible: refused with counts, the table untouched; fixing the rows lets `migrate up` resume", async () => {
    await project.edit(MAIN, "  eventId: string;", "  eventId: number;");
    const generated = await project.moose(["migrate", "generate", "--name", "event_id_to_number"]);
    expect(generated.code, all(generated)).toBe(0);
    expect(generated.stdout).toContain("~ eventId: String → Float64");

    const refused = await project.moose(["migrate", "up", "--embedded"]);
    expect(refused.code).toBe(1);
    expect(all(refused)).toContain("TYPE_CONVERSION_REFUSED");
    expect(all(refused)).toContain("2 of 2 rows hold a value that would fail to convert");
    expect(all(refused)).toContain("Nothing was changed");
    expect(await project.columns("Analytics")).toMatchObject({ eventId: "String" });
    expect(await project.sql("SELECT eventId FROM Analytics ORDER BY eventId")).toEqual([{ eventId: "e1" }, { eventId: "e2" }]);

    const status = await project.moose(["migrate", "status", "--embedded"]);
    expect(status.stdout).toMatch(/✗ failed +\d{8}T\d{6}Z_event_id_to_number +step 1 failed/);

    await project.sql("ALTER TABLE Analytics UPDATE eventId = substring(eventId, 2) WHERE 1 SETTINGS mutations_sync = 2");
    const resumed = await project.moose(["migrate", "up", "--embedded"]);
    expect(resumed.code, all(resumed)).toBe(0);
    expect(resumed.stdout).toMatch(/✓ \d{8}T\d{6}Z_event_id_to_number applied/);
    expect(await project.sql("SELECT eventId FROM Analytics ORDER BY eventId")).toEqual([{ eventId: 1 }, { eventId: 2 }]);
  });

  it("remove field: gated — plan warns of data loss, generate and up stop with exit 3 until --allow-data-loss", async () => {
    await project.edit(MAIN, "  age: number; // New field\n", "");
    const plan = await project.moose(["plan", "--detailed-exitcode"]);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain("~ Users (Schema Update)");
    expect(plan.stdout).toMatch(/- age: Float64/);
    expect(plan.stdout).toMatch(/⚠️ +data loss: drop column age from Users/);

    const refused = await project.moose(["migrate", "generate", "--name", "drop_age"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("MIGRATION_DESTRUCTIVE");
    expect(project.migrationFiles().some((file) => file.includes("drop_age"))).toBe(false);

    const generated = await project.moose(["migrate", "generate", "--name", "drop_age", "--allow-data-loss"]);
    expect(generated.code, all(generated)).toBe(0);
    const blocked = await project.moose(["migrate", "up", "--embedded"]);
    expect(blocked.code).toBe(3);
    expect(await project.columns("Users")).toMatchObject({ age: "Float64" });

    const applied = await project.moose(["migrate", "up", "--embedded", "--allow-data-loss"]);
    expect(applied.code, all(applied)).toBe(0);
    expect(await project.columns("Users")).toEqual({ id: "String", name: "String", email: "String" });
  });

  it("remove object: gated — - Analytics (OLAP Table) with a data-loss warning; applied only with --allow-data-loss", async () => {
    const main = await project.read(MAIN);
    await project.write(MAIN, main.slice(0, main.indexOf("\ninterface AnalyticsSchema")));
    const plan = await project.moose(["plan"]);
    expect(plan.stdout).toContain("❌ Removed Components");
    expect(plan.stdout).toContain("- Analytics (OLAP Table)");
    expect(plan.stdout).toMatch(/⚠️ +data loss: drop table Analytics — all rows are lost/);

    const refused = await project.moose(["migrate", "generate", "--name", "drop_analytics"]);
    expect(refused.code).toBe(3);
    const generated = await project.moose(["migrate", "generate", "--name", "drop_analytics", "--allow-data-loss"]);
    expect(generated.code, all(generated)).toBe(0);
    const blocked = await project.moose(["migrate", "up", "--embedded"]);
    expect(blocked.code).toBe(3);
    expect(await project.tables()).toEqual(["Analytics", "Users"]);

    const applied = await project.moose(["migrate", "up", "--embedded", "--allow-data-loss"]);
    expect(applied.code, all(applied)).toBe(0);
    expect(await project.tables()).toEqual(["Users"]);
    const after = await project.moose(["plan"]);
    expect(after.stdout).toContain("No changes.");
  });

  it("moose logs shows every migration run, the refused type change included", async () => {
    const logs = await project.moose(["logs", "--filter", "event_id_to_number"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/ERROR +migration +applying \d{8}T\d{6}Z_event_id_to_number failed at step 1: change column Analytics\.eventId: String → Float64/);
    expect(logs.stdout).toContain("TYPE_CONVERSION_REFUSED");
    expect(logs.stdout).toMatch(/INFO +migration +applied \d{8}T\d{6}Z_event_id_to_number/);
    const applied = await project.moose(["logs", "--filter", "applied 2", "--json"]);
    const ids = applied.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { message: string }).message.replace(/^applied \d{8}T\d{6}Z_/, ""));
    expect(ids).toEqual(["initial", "add_analytics", "add_age", "add_optional_age", "value_to_number", "event_id_to_number", "drop_age", "drop_analytics"]);
  });

  it("moose ls shows the remaining objects as applied", async () => {
    const ls = await project.moose(["ls"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^table +Users +\S+ +applied$/m);
    // The topic's location carries its live shape: "<topic> (1 partition, replication factor 1)".
    expect(ls.stdout).toMatch(/^stream +UserEvents +\S+ \(1 partition, replication factor \d+\) +applied$/m);
    expect(ls.stdout).not.toContain("Analytics");
  });
});
