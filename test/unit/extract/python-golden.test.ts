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

/** A project of its own whose app/main.py is `code`. */
function write(name: string, code: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  writeFileSync(path.join(dir, "app", "main.py"), code);
  return dir;
}

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

  it("moose_lib's imports run unchanged: each moose_lib path is the moose_ts module, objects included", async () => {
    const dir = write(
      "moose-lib-paths",
      [
        "import moose_ts",
        "from moose_lib import Key, OlapTable",
        "from moose_lib.dmv2 import Stream",
        "from moose_lib.dmv2.olap_table import OlapConfig",
        "from moose_lib.blocks import ReplacingMergeTreeEngine",
        "from moose_lib.data_models import Key as DataModelsKey",
        "from moose_lib.main import MooseClient",
        "import moose_lib.dmv2.web_app_helpers as helpers",
        "from pydantic import BaseModel",
        "",
        "assert OlapTable is moose_ts.OlapTable and MooseClient is moose_ts.MooseClient and helpers is moose_ts.dmv2.web_app_helpers",
        "assert DataModelsKey is Key",
        "",
        "class Row(BaseModel):",
        "    id: Key[str]",
        "    kind: str",
        "",
        'OlapTable[Row]("rows", OlapConfig(engine=ReplacingMergeTreeEngine()))',
        'Stream[Row]("row_events")',
        "",
      ].join("\n"),
    );
    const { manifest } = await extractPythonApp(dir);
    expect(Object.keys(manifest.tables)).toEqual(["rows"]);
    expect(manifest.tables.rows?.engine).toMatchObject({ name: "ReplacingMergeTree" });
    expect(Object.keys(manifest.streams)).toEqual(["row_events"]);
    await expect(extractPythonApp(write("moose-lib-missing", "from moose_lib.config.runtime import config_registry\n"))).rejects.toMatchObject({
      code: "APP_ERROR",
      location: { file: "app/main.py", line: 1 },
      message: expect.stringContaining("No module named 'moose_lib.config'"),
    });
  });

  it("an app that imports MooseStack's own moose_lib (put first on sys.path) is an error, not an empty app whose plan drops everything", async () => {
    const dir = write("foreign-moose-lib", [
      "import os, sys",
      'sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vendor"))',
      'for name in [name for name in sys.modules if name == "moose_lib" or name.startswith("moose_lib.")]:',
      "    del sys.modules[name]",
      "from moose_lib import OlapTable",
      "from pydantic import BaseModel",
      "",
      "class Row(BaseModel):",
      "    id: str",
      "",
      'OlapTable[Row]("rows")',
      "",
    ].join("\n"));
    mkdirSync(path.join(dir, "app", "vendor", "moose_lib"), { recursive: true });
    // A stand-in for the installed package: its OlapTable registers with MooseStack, never with moose.
    writeFileSync(path.join(dir, "app", "vendor", "moose_lib", "__init__.py"), "class OlapTable:\n    def __class_getitem__(cls, item):\n        return lambda *args, **kwargs: None\n");
    await expect(extractPythonApp(dir)).rejects.toMatchObject({
      code: "MOOSESTACK_LIBRARY_IMPORTED",
      message: expect.stringContaining(path.join(dir, "app", "vendor", "moose_lib", "__init__.py")),
    });
  });

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
