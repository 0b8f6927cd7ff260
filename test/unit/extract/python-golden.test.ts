/**
 * Python models, golden folders (see test/README.md): golden/python/valid/<case>/main.py →
 * manifest.json (every column's exact ClickHouse type, the same rules as the TypeScript mapping),
 * golden/python/invalid/<case>/main.py → expected-error.json (code, app/main.py:line:col, message).
 * Regenerate manifests with UPDATE_GOLDEN=1 and review the diff.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { extractPythonApp } from "../../../src/extract/python/index.js";
import { canonicalManifestJson } from "../../../src/manifest/canonical.js";
import { testPython } from "../../helpers/python.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "python");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const scratch = mkdtempSync(path.join(tmpdir(), "moose-python-golden-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeAll(() => {
  process.env.MOOSE_PYTHON = testPython();
});

function project(kind: string, name: string): string {
  const dir = path.join(scratch, kind, name);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  cpSync(path.join(GOLDEN, kind, name, "main.py"), path.join(dir, "app", "main.py"));
  return dir;
}

describe("valid Python models → manifest.json", () => {
  for (const name of readdirSync(path.join(GOLDEN, "valid")).sort()) {
    it(name, async () => {
      const actual = canonicalManifestJson((await extractPythonApp(project("valid", name))).manifest);
      const expectedFile = path.join(GOLDEN, "valid", name, "manifest.json");
      if (UPDATE) writeFileSync(expectedFile, actual);
      expect(existsSync(expectedFile), `${expectedFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
    });
  }
});

describe("invalid Python models → expected-error.json at app/main.py:line:col", () => {
  for (const name of readdirSync(path.join(GOLDEN, "invalid")).sort()) {
    it(name, async () => {
      const expected = JSON.parse(readFileSync(path.join(GOLDEN, "invalid", name, "expected-error.json"), "utf8")) as {
        code: string;
        location: { file: string; line: number; col?: number };
        message: string;
      };
      const error = await extractPythonApp(project("invalid", name)).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(MooseError);
      const moose = error as MooseError;
      expect({ code: moose.code, location: moose.location }).toEqual({ code: expected.code, location: expected.location });
      expect(moose.message).toContain(expected.message);
    });
  }

  it("stream transforms and consumers become processes, with no warning (moose dev and prod run them)", async () => {
    const dir = path.join(scratch, "notices");
    mkdirSync(path.join(dir, "app"), { recursive: true });
    writeFileSync(
      path.join(dir, "app", "main.py"),
      [
        "from pydantic import BaseModel",
        "from moose_ts import Stream",
        "",
        "class Row(BaseModel):",
        "    id: str",
        "",
        'raw = Stream[Row]("Raw")',
        'clean = Stream[Row]("Clean")',
        "raw.add_transform(clean, lambda row: row)",
        "clean.add_consumer(print)",
        "",
      ].join("\n"),
    );
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const { manifest } = await extractPythonApp(dir);
      expect(Object.keys(manifest.streams).sort()).toEqual(["Clean", "Raw"]);
      expect(Object.keys(manifest.processes).sort()).toEqual(["consumer:Clean", "transform:Raw->Clean"]);
    } finally {
      process.stderr.write = original;
    }
    expect(written.join("")).not.toContain("warning");
  });

  it("a Python without pydantic: PYTHON_DEPENDENCY_MISSING, saying what to install", async () => {
    const dir = project("invalid", "app-raises");
    const saved = process.env.MOOSE_PYTHON;
    process.env.MOOSE_PYTHON = path.join(scratch, "no-pydantic-python");
    // A Python that cannot import pydantic: the interpreter with site-packages switched off.
    writeFileSync(process.env.MOOSE_PYTHON, `#!/bin/sh\nexec ${JSON.stringify(saved)} -S "$@"\n`, { mode: 0o755 });
    try {
      const error = (await extractPythonApp(dir).catch((thrown: unknown) => thrown)) as MooseError;
      expect(error.code).toBe("PYTHON_DEPENDENCY_MISSING");
      expect(error.message).toContain("cannot import pydantic");
      expect(error.hint).toContain("pip install");
    } finally {
      process.env.MOOSE_PYTHON = saved;
    }
  });
});
