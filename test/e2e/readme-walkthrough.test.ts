/**
 * The README's "Walkthrough" runs as written: every fenced `sh` block of that section, in order,
 * with bash, in a project made the way the README's "Start your own project" makes one (`moose init`;
 * its node_modules links to this repository's, which is what `npm install` of the `file:` dependency
 * yields — test/e2e/init.test.ts runs the real `npm install`). Every block must succeed; the state it
 * leaves is then checked. The only thing the test adds is where Kafka is (its own broker and a topic
 * namespace, through MOOSE_* variables). Needs `npm run build` first.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { cleanEnv, MOOSE_BIN, REPO_ROOT, run, type RunResult } from "./scenarios/project.js";

/** The fenced `sh` blocks of the README section titled `title`, in order. */
function shellBlocks(readme: string, title: string): string[] {
  const start = readme.search(new RegExp(`^## ${title}\\s*$`, "m"));
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

// Each step runs several CLI commands, each extracting the app: room for a busy 2-core CI machine.
describe("README walkthrough", { timeout: 180_000 }, () => {
  const blocks = shellBlocks(readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"), "Walkthrough");
  let broker: TestBroker;
  let root: string;
  let projectDir: string;
  let env: NodeJS.ProcessEnv;
  const results: Array<{ block: string } & RunResult> = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    root = mkdtempSync(path.join(tmpdir(), "moose-readme-"));
    projectDir = path.join(root, "my-app");
    env = cleanEnv({ MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: testNamespace() });
    const init = await run(process.execPath, [MOOSE_BIN, "init", projectDir], { cwd: root, env });
    expect(init.code, init.stderr).toBe(0);
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(projectDir, "node_modules"));
  }, 300_000);

  afterAll(async () => {
    if (root) rmSync(root, { recursive: true, force: true });
    await broker?.stop();
  });

  it("has blocks to run", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it("runs every block as written, in order, each succeeding", async () => {
    for (const block of blocks) {
      const result = await run("bash", ["-euo", "pipefail", "-c", block], { cwd: projectDir, env, timeoutMs: 240_000 });
      results.push({ block, ...result });
      expect(result.code, `block failed:\n${block}\n--- output ---\n${result.stdout}${result.stderr}`).toBe(0);
    }
  }, 600_000);

  it("does what the prose around the blocks says", () => {
    const output = (fragment: string) => results.find((result) => result.block.includes(fragment))?.stdout ?? "";
    expect(output("npx moose build")).toMatch(/Built .*manifest\.json: 1 table, 1 stream/);
    expect(output("--name initial")).toContain("✓ wrote migrations/");
    expect(output("cat >> app/index.ts")).toContain("+ Analytics (OLAP Table)");
    const final = output("--name add_analytics");
    expect(final).toMatch(/✓ applied +\d{8}T\d{6}Z_add_analytics/);
    expect(final.trimEnd().endsWith("No changes.")).toBe(true);
    expect(output("npx moose ls")).toMatch(/^table +Analytics +\S+ +applied/m);
    expect(output("npx moose logs")).toMatch(/INFO +migration +applied \d{8}T\d{6}Z_add_analytics/);
    // The same block: the table is there and empty (nothing was ingested).
    expect(output("npx moose query")).toMatch(/^\{"count\(\)":"0"\}$/m);
  });
});
