/**
 * Evaluating the app: the bundle in a child process for `moose build` (the app's top-level code
 * cannot touch the CLI), or in-process for `moose dev` / `moose prod` (fast; loadApp needs the
 * live objects).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MooseError, type SourceLocation } from "../errors.js";
import { fromStoredManifest, type Manifest, type StoredManifest } from "../manifest/types.js";
import { getRegistry } from "../sdk/registry.js";
import { printNotice, type Notice } from "./notices.js";
import { relativePath } from "./paths.js";

interface RunnerOutput {
  ok: boolean;
  manifest?: StoredManifest;
  /** What the app asked for that moose-ts accepts but does not do (registry notices). */
  notices?: Notice[];
  error?: { code: string; message: string; location?: SourceLocation; hint?: string; details?: Record<string, unknown>; stack?: string };
}

export async function runInChildProcess(projectDir: string, bundleFile: string): Promise<Manifest> {
  // Loaded here: bundle.js brings the compiler, which a warm `moose dev` start (evaluateInProcess) does without.
  const { writeRunner } = await import("./bundle.js");
  const runner = writeRunner(projectDir);
  const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-"));
  const out = path.join(scratch, "result.json");
  try {
    const { code, output } = await spawnNode(["--enable-source-maps", runner, bundleFile, out], projectDir);
    let result: RunnerOutput;
    try {
      result = JSON.parse(readFileSync(out, "utf8")) as RunnerOutput;
    } catch {
      throw new MooseError("APP_CRASHED", `the app exited (code ${code}) before moose-ts could read its components:\n${output.trim()}`, {
        hint: "look at the output above; the app must not call process.exit while loading",
      });
    }
    for (const notice of result.notices ?? []) printNotice(notice);
    return unwrap(result, projectDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let loadCount = 0;

/** Imports the bundle into this process (fresh module instance each time) after clearing the registry. */
export async function importBundle(bundleFile: string): Promise<Record<string, unknown>> {
  process.setSourceMapsEnabled(true);
  getRegistry().clear();
  return loadingInfrastructure(async () => (await import(`${pathToFileURL(bundleFile).href}?load=${++loadCount}`)) as Record<string, unknown>);
}

/**
 * Runs the app's top-level code as infrastructure is loaded (`IS_LOADING_INFRA_MAP=true`, as in
 * the build's child process): mooseRuntimeEnv.get() gives markers, never secrets that would end up
 * in a manifest or migration file. Request handlers, which run later, read the real environment.
 */
async function loadingInfrastructure<T>(load: () => Promise<T>): Promise<T> {
  const previous = process.env.IS_LOADING_INFRA_MAP;
  process.env.IS_LOADING_INFRA_MAP = "true";
  try {
    return await load();
  } finally {
    if (previous === undefined) delete process.env.IS_LOADING_INFRA_MAP;
    else process.env.IS_LOADING_INFRA_MAP = previous;
  }
}

/**
 * Imports app modules into this process, one after the other (the registry is NOT cleared: see
 * dev-modules.ts), and reads the manifest; failures become the same MooseErrors as in the child process.
 */
export async function evaluateInProcess(projectDir: string, moduleUrls: readonly string[], readManifest: () => Manifest): Promise<Manifest> {
  process.setSourceMapsEnabled(true);
  let result: RunnerOutput;
  try {
    await loadingInfrastructure(async () => {
      for (const url of moduleUrls) await import(url);
    });
    result = { ok: true, manifest: readManifest() };
    for (const notice of getRegistry().noticeList()) printNotice(notice);
  } catch (error) {
    const moose = error as { name?: string; toJSON?: () => RunnerOutput["error"] };
    result = {
      ok: false,
      error: moose?.name === "MooseError" && moose.toJSON ? moose.toJSON() : { code: "APP_ERROR", message: String((error as Error)?.message ?? error), stack: String((error as Error)?.stack ?? "") },
    };
  }
  return unwrap(result, projectDir);
}

function unwrap(result: RunnerOutput, projectDir: string): Manifest {
  // fromStoredManifest: an app bundled with an SDK from before processes existed gives no `processes` key.
  if (result.ok && result.manifest) return fromStoredManifest(result.manifest);
  const error = result.error ?? { code: "APP_ERROR", message: "the app failed without an error" };
  if (error.code !== "APP_ERROR") {
    throw new MooseError(error.code, error.message, { location: error.location, hint: error.hint, details: error.details });
  }
  const location = appFrame(error.stack ?? "", projectDir);
  throw new MooseError("APP_ERROR", `the app threw while loading: ${error.message}`, {
    location,
    hint: "fix the error at the location above; moose-ts runs app/index.ts to find your components",
    details: { stack: error.stack },
  });
}

/** The first stack frame in the user's own code (source-mapped back to .ts). */
function appFrame(stack: string, projectDir: string): SourceLocation | undefined {
  for (const line of stack.split("\n")) {
    const match = /\(?((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[1].replace(/^file:\/\//, "");
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file.includes(`${path.sep}.moose${path.sep}`) || !file.startsWith(projectDir)) continue;
    return { file: relativePath(projectDir, file), line: Number(match[2]), col: Number(match[3]) };
  }
  return undefined;
}

function spawnNode(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, MOOSE_PROJECT_DIR: cwd, IS_LOADING_INFRA_MAP: "true" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}
