/**
 * Languages meet at the manifest: a TypeScript app (golden/python-twin/ts) and its Python twin
 * (golden/python-twin/py, the same model written with moose_ts) extract to byte-identical canonical
 * manifests once source locations are set aside, and so to the same hash. Their sources point at
 * each language's own main file.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import { canonicalJson, hashManifest, withoutSources } from "../../../src/manifest/canonical.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { testPython } from "../../helpers/python.js";

const TWIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "python-twin");
const scratch = mkdtempSync(path.join(tmpdir(), "moose-python-twin-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: "ts" | "py", config?: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(TWIN, name), dir, { recursive: true });
  if (config !== undefined) writeFileSync(path.join(dir, "moose.config.toml"), config);
  return dir;
}

describe("a TypeScript app and its Python twin (golden/python-twin: every mapping and component kind)", () => {
  let ts: Manifest;
  let py: Manifest;

  beforeAll(async () => {
    process.env.MOOSE_PYTHON = testPython();
    ts = await extractManifest({ projectDir: project("ts") });
    py = await extractManifest({ projectDir: project("py", 'language = "Python"\n') });
  }, 120_000);

  it("extract to byte-identical manifests and hashes", () => {
    expect(Object.keys(py.tables).sort()).toEqual(["DailyStats", "Events", "Everything", "Users", "Versioned_1_1"]);
    expect(Object.keys(py.streams).sort()).toEqual(["Events", "EventsDeadLetterQueue", "Signups", "SignupsDeadLetterQueue", "UserEvents"]);
    expect(py.processes["sync:Signups->Users"]?.deadLetterQueue).toBe("SignupsDeadLetterQueue");
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(hashManifest(py)).toBe(hashManifest(ts));
  });

  it("point their sources at their own main file", () => {
    expect(py.tables.Users?.source).toMatchObject({ file: "app/main.py", line: 25 });
    expect(py.apis["stats/2"]?.source).toMatchObject({ file: "app/main.py" });
    expect(ts.tables.Users?.source).toMatchObject({ file: "app/index.ts" });
  });
});

describe("examples/analytics and examples/analytics-python", () => {
  it("extract to byte-identical manifests and hashes (ingest pipeline, materialized view, two API versions)", async () => {
    process.env.MOOSE_PYTHON = testPython();
    const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "examples");
    const ts = await extractManifest({ projectDir: path.join(examples, "analytics") });
    const py = await extractManifest({ projectDir: path.join(examples, "analytics-python") });
    expect(Object.keys(py.apis).sort()).toEqual(["top-pages", "top-pages/2"]);
    expect(canonicalJson(withoutSources(py))).toBe(canonicalJson(withoutSources(ts)));
    expect(hashManifest(py)).toBe(hashManifest(ts));
  }, 120_000);
});
