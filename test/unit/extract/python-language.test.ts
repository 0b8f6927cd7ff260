/**
 * Which extractor a project gets, and which Python runs it: `language` in moose.config.toml
 * (MooseStack's "Python"/"Typescript", any case), else `--main`'s extension, else main.py without
 * index.ts in the source folder; the interpreter is MOOSE_PYTHON, .venv, venv, VIRTUAL_ENV, python3.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectLanguage, pythonInterpreter, pythonMainFile } from "../../../src/extract/python/index.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-language-"));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe("projectLanguage", () => {
  it("reads MooseStack's top-level language key, in any case", () => {
    expect(projectLanguage(project({ "moose.config.toml": 'language = "Python"\n', "app/index.ts": "" }))).toBe("python");
    expect(projectLanguage(project({ "moose.config.toml": 'language = "Typescript"\n', "app/main.py": "" }))).toBe("typescript");
  });

  it("without the key: main.py alone in the source folder (source_dir too) is Python; anything else TypeScript", () => {
    expect(projectLanguage(project({ "app/main.py": "" }))).toBe("python");
    expect(projectLanguage(project({ "app/main.py": "", "app/index.ts": "" }))).toBe("typescript");
    expect(projectLanguage(project({}))).toBe("typescript");
    const sourceDir = project({ "moose.config.toml": 'source_dir = "src"\n', "src/main.py": "" });
    expect(projectLanguage(sourceDir)).toBe("python");
    expect(pythonMainFile(sourceDir)).toBe("src/main.py");
  });

  it("an explicit main file decides by its extension", () => {
    const dir = project({ "moose.config.toml": 'language = "Typescript"\n' });
    expect(projectLanguage(dir, "models/main.py")).toBe("python");
    expect(projectLanguage(dir, "app/index.ts")).toBe("typescript");
  });
});

describe("pythonInterpreter", () => {
  it("MOOSE_PYTHON, then the project's .venv or venv, then VIRTUAL_ENV, then python3", () => {
    const bare = project({});
    expect(pythonInterpreter(bare, { MOOSE_PYTHON: "/opt/py/bin/python" })).toBe("/opt/py/bin/python");
    expect(pythonInterpreter(bare, {})).toBe("python3");
    const active = project({ "active/bin/python": "" });
    expect(pythonInterpreter(bare, { VIRTUAL_ENV: path.join(active, "active") })).toBe(path.join(active, "active", "bin", "python"));
    const venv = project({ "venv/bin/python": "" });
    expect(pythonInterpreter(venv, { VIRTUAL_ENV: path.join(active, "active") })).toBe(path.join(venv, "venv", "bin", "python"));
    const dotVenv = project({ ".venv/bin/python": "", "venv/bin/python": "" });
    expect(pythonInterpreter(dotVenv, {})).toBe(path.join(dotVenv, ".venv", "bin", "python"));
  });
});
