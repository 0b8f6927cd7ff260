/**
 * Long work shows progress through the CLI: `moose migrate up` rebuilding a table of 300 000 rows
 * (an ORDER BY change) prints the copy as milestones when its output is not a terminal — the start,
 * each quarter, the end with rows per second — instead of one line per sample, and with `--json`
 * only JSON lines (the `step-progress` events). The built CLI (`npm run build` first), real chdb.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmbedded } from "../../src/infra/clickhouse/embedded.js";
import { MOOSE_BIN, REPO_ROOT } from "./dev-process.js";

const ROWS = 300_000;
const dir = mkdtempSync(path.join(tmpdir(), "moose-progress-"));

function moose(args: string[]) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOOSE_")));
  const result = spawnSync(process.execPath, [MOOSE_BIN, ...args], { cwd: dir, env: { ...inherited, NO_COLOR: "1" }, encoding: "utf8", timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const model = (orderBy: string) => `import { OlapTable } from "moose-ts";

interface EventRow {
  id: string;
  n: number;
}

export const events = new OlapTable<EventRow>("Events", { orderByFields: [${orderBy}] });
`;

beforeAll(async () => {
  cpSync(path.join(REPO_ROOT, "examples", "quickstart", "tsconfig.json"), path.join(dir, "tsconfig.json"));
  cpSync(path.join(REPO_ROOT, "examples", "quickstart", "package.json"), path.join(dir, "package.json"));
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, "moose.config.toml"), "[features]\nstreaming_engine = false\n");
  cpSync(path.join(REPO_ROOT, "examples", "quickstart", "app"), path.join(dir, "app"), { recursive: true });
  writeFileSync(path.join(dir, "app", "index.ts"), model(`"id"`));
  for (const args of [["migrate", "generate", "--name", "events"], ["migrate", "up", "--embedded"]]) {
    const run = moose(args);
    if (run.code !== 0) throw new Error(`${args.join(" ")}: ${run.stdout}${run.stderr}`);
  }
  const driver = await openEmbedded({ dataDir: path.join(dir, ".moose", "clickhouse"), database: "local" });
  try {
    await driver.exec(`INSERT INTO Events SELECT toString(number), number FROM numbers(${ROWS})`);
  } finally {
    await driver.close();
  }
  writeFileSync(path.join(dir, "app", "index.ts"), model(`"n", "id"`));
  const generated = moose(["migrate", "generate", "--name", "reorder"]);
  if (generated.code !== 0) throw new Error(generated.stdout + generated.stderr);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("moose migrate up: a table copy's progress", () => {
  it("--dry-run --json prints only JSON", () => {
    const run = moose(["migrate", "up", "--embedded", "--dry-run", "--json"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const line of run.stdout.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("not on a terminal: one line at the start, per quarter and at the end (with rows per second)", () => {
    const run = moose(["migrate", "up", "--embedded"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const copyLines = run.stdout.split("\n").filter((line) => line.includes("Events:"));
    expect(copyLines[0]).toBe("      Events: copying 300,000 rows");
    expect(copyLines.at(-1)).toMatch(/^ {6}Events: 300,000 rows copied in [\d.]+ s \([\d,]+ rows\/s\)$/);
    // Milestones only: at most the three quarters between the start and the end.
    expect(copyLines.length).toBeLessThanOrEqual(5);
    for (const line of copyLines.slice(1, -1)) expect(line).toMatch(/^ {6}Events: (25|50|75)% \([\d,]+ of 300,000 rows, [\d,]+ rows\/s\)$/);
    expect(run.stdout).not.toMatch(/of 300000 rows copied/);
    expect(run.stdout).toMatch(/✓ \S+_reorder applied/);
  });
});
