/**
 * Python extraction: app/main.py → Manifest v1. The project's Python imports the main file with
 * moose-ts's own Python SDK (python/moose_ts, put first on PYTHONPATH so the CLI and the SDK always
 * agree) and writes what the app created as the same Manifest v1 the TypeScript extraction gives for
 * an equivalent model. Errors come back as MooseErrors at main.py:line. Everything after this is
 * language-blind.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mooseTsPackage } from "../../cli/package-info.js";
import { MooseError, type SourceLocation } from "../../errors.js";
import { fromStoredManifest, type Manifest, type StoredManifest } from "../../manifest/types.js";
import { pythonMainFile } from "./language.js";
import type { PythonWebApp } from "../build-cache.js";
import { printNotice, type Notice } from "../notices.js";

export { projectLanguage, pythonMainFile, type ModelLanguage } from "./language.js";

interface PythonResult {
  ok: boolean;
  manifest?: StoredManifest;
  /** What the app asked for that moose-ts accepts but does not do (as the TypeScript registry's notices). */
  notices?: Notice[];
  webApps?: PythonWebApp[];
  error?: { code: string; message: string; location?: SourceLocation; hint?: string; details?: Record<string, unknown> };
}

/** The folder holding the `moose_ts` package. */
export function pythonSdkDir(): string {
  return path.join(mooseTsPackage().root, "python");
}

/**
 * The interpreter that runs the app: `MOOSE_PYTHON`, else the project's virtualenv (`.venv`, `venv`),
 * else the activated one (`VIRTUAL_ENV`), else `python3` from PATH.
 */
export function pythonInterpreter(projectDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOOSE_PYTHON) return env.MOOSE_PYTHON;
  const bin = process.platform === "win32" ? path.join("Scripts", "python.exe") : path.join("bin", "python");
  for (const venv of [".venv", "venv"]) {
    const candidate = path.join(projectDir, venv, bin);
    if (existsSync(candidate)) return candidate;
  }
  if (env.VIRTUAL_ENV && existsSync(path.join(env.VIRTUAL_ENV, bin))) return path.join(env.VIRTUAL_ENV, bin);
  return "python3";
}

/** The environment the app's Python runs in: moose-ts's SDK importable, no .pyc files written into the project. */
export function pythonEnv(projectDir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const paths = [pythonSdkDir(), ...(env.PYTHONPATH ? env.PYTHONPATH.split(path.delimiter) : [])];
  return { ...env, PYTHONPATH: paths.join(path.delimiter), PYTHONDONTWRITEBYTECODE: "1", MOOSE_PROJECT_DIR: projectDir };
}

/** Imports the app's main file in its Python: its manifest, and its WebApps (which the manifest does not hold). */
export async function extractPythonApp(projectDirInput: string, mainFileInput?: string): Promise<{ manifest: Manifest; webApps: PythonWebApp[] }> {
  const projectDir = path.resolve(projectDirInput);
  const mainFile = pythonMainFile(projectDir, mainFileInput);
  const absoluteMain = path.resolve(projectDir, mainFile);
  if (!existsSync(absoluteMain)) {
    throw new MooseError("MISSING_MAIN_FILE", `the main file ${mainFile} does not exist in ${projectDir}`, {
      location: { file: mainFile.split(path.sep).join("/"), line: 1 },
      hint: `create ${mainFile} creating your tables, streams and APIs (language = "Python" in moose.config.toml), or run the command from (or --dir) your project folder`,
    });
  }
  const python = pythonInterpreter(projectDir);
  const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-py-"));
  const out = path.join(scratch, "result.json");
  try {
    const { code, output, spawnError } = await run(python, ["-m", "_moose_ts_extract", projectDir, absoluteMain, out], projectDir);
    if (spawnError) {
      throw new MooseError("PYTHON_NOT_FOUND", `cannot run ${python}: ${spawnError.message}`, {
        hint: "install Python 3.10+ (python3 on PATH), create the project's virtualenv (python3 -m venv .venv), or set MOOSE_PYTHON",
      });
    }
    let result: PythonResult;
    try {
      result = JSON.parse(readFileSync(out, "utf8")) as PythonResult;
    } catch {
      throw new MooseError("APP_CRASHED", `the app's Python (${python}) exited (code ${code}) before moose-ts could read its components:\n${output.trim()}`, {
        hint: "look at the output above; the app must not exit the interpreter (os._exit) while loading",
      });
    }
    if (output.trim() !== "") process.stderr.write(output.endsWith("\n") ? output : `${output}\n`);
    const manifest = unwrap(result);
    for (const notice of result.notices ?? []) printNotice(notice);
    return { manifest, webApps: result.webApps ?? [] };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function unwrap(result: PythonResult): Manifest {
  if (result.ok && result.manifest) return fromStoredManifest(result.manifest);
  const error = result.error ?? { code: "APP_ERROR", message: "the app failed without an error" };
  throw new MooseError(error.code, error.message, { location: error.location, hint: error.hint, details: error.details });
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string; spawnError?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: pythonEnv(cwd), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (spawnError) => resolve({ code: null, output, spawnError }));
    child.on("close", (code) => resolve({ code, output }));
  });
}
