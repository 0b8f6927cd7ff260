/**
 * Reads a migrations directory: every `<id>.ts` file in id order with its bytes, checksum and
 * default export. Files are compiled in-process with esbuild (one build for every file not yet in
 * the cache, keyed by content checksum) and imported; `import { defineMigration } from "moose-ts"`
 * resolves to a built-in shim, so files load even where moose-ts is not installed in node_modules.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Message, Plugin } from "esbuild";
import { ExitCode, MooseError } from "../errors.js";
import { MIGRATION_FILE_PATTERN, migrationId, type MigrationsLayout } from "./layout.js";
import type { MigrationDefinition } from "../steps/index.js";

export interface MigrationFileSource {
  id: string;
  fileName: string;
  /** Absolute path. */
  path: string;
  content: Buffer;
  /** sha256 hex of the file's bytes: what the journal stores for an applied migration. */
  checksum: string;
}

export interface LoadedMigration extends MigrationFileSource {
  definition: MigrationDefinition;
}

/** The migration files of the directory in id order (an absent directory has none). */
export async function readMigrationSources(layout: MigrationsLayout): Promise<MigrationFileSource[]> {
  if (!existsSync(layout.dir)) return [];
  const entries = await readdir(layout.dir);
  // Other .ts files may be modules migrations import; a file that starts like a migration but is
  // not named like one would never be applied, so it is refused rather than skipped.
  const misnamed = entries.filter((name) => /^\d{8}.*\.ts$/.test(name) && !MIGRATION_FILE_PATTERN.test(name));
  if (misnamed.length > 0) {
    throw new MooseError("MIGRATION_BAD_FILE_NAME", `${misnamed.map((name) => relative(layout, path.join(layout.dir, name))).join(", ")} ${misnamed.length === 1 ? "looks" : "look"} like a migration but ${misnamed.length === 1 ? "is" : "are"} not named <YYYYMMDDTHHMMSSZ>_<slug>.ts (slug: a-z, 0-9, _), so ${misnamed.length === 1 ? "it" : "they"} would never be applied`, {
      exitCode: ExitCode.conflict,
      hint: "rename the file (e.g. 20261127T080000Z_add_users.ts), then run `moose migrate hash`",
    });
  }
  const names = entries.filter((name) => MIGRATION_FILE_PATTERN.test(name)).sort();
  return Promise.all(
    names.map(async (fileName) => {
      const filePath = path.join(layout.dir, fileName);
      const content = await readFile(filePath);
      return {
        id: migrationId(fileName),
        fileName,
        path: filePath,
        content,
        checksum: createHash("sha256").update(content).digest("hex"),
      };
    }),
  );
}

export async function loadMigrations(layout: MigrationsLayout, sources?: MigrationFileSource[]): Promise<LoadedMigration[]> {
  const files = sources ?? (await readMigrationSources(layout));
  const compiled = new Map(files.map((file) => [file.id, path.join(layout.buildCache, `${file.id}.${file.checksum.slice(0, 16)}.mjs`)]));
  const missing = files.filter((file) => !existsSync(compiled.get(file.id)!));
  if (missing.length > 0) await compile(layout, missing, compiled);
  const loaded: LoadedMigration[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(compiled.get(file.id)!).href)) as { default?: unknown };
    loaded.push({ ...file, definition: checkDefinition(module.default, relative(layout, file.path)) });
  }
  return loaded;
}

/**
 * Builds into a directory of this process's own, then renames each output into the cache: two
 * runs starting at once (a lock race) never import a half-written file.
 */
async function compile(layout: MigrationsLayout, files: MigrationFileSource[], outputs: Map<string, string>): Promise<void> {
  const staging = path.join(layout.buildCache, `.staging-${process.pid}-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  // Loaded on use: with every file compiled already (the usual run), esbuild is never started.
  const { build } = await import("esbuild");
  try {
    await build({
      // esbuild reports error locations relative to its working directory (the process's, unless
      // set): pin it to the project so they resolve the same whatever directory moose runs from.
      absWorkingDir: layout.projectDir,
      entryPoints: Object.fromEntries(files.map((file) => [path.basename(outputs.get(file.id)!, ".mjs"), file.path])),
      outdir: staging,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      plugins: [mooseTsShim, packagesOnly],
      logLevel: "silent",
      write: true,
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const first = (error as { errors?: Message[] }).errors?.[0];
    if (!first) throw error;
    const file = first.location ? relative(layout, path.resolve(layout.projectDir, first.location.file)) : undefined;
    throw new MooseError("MIGRATION_INVALID_FILE", `cannot compile migration: ${first.text}`, {
      location: first.location && file ? { file, line: first.location.line, col: first.location.column + 1 } : undefined,
      hint: "fix the file (it is TypeScript that default-exports defineMigration({ from, to, up, down }), importing packages only: copy what it needs of the project's files into it), then run `moose migrate hash`",
      cause: error,
    });
  }
  for (const file of files) {
    const output = outputs.get(file.id)!;
    await rename(path.join(staging, path.basename(output)), output);
  }
  await rm(staging, { recursive: true, force: true });
}

/**
 * A migration file imports packages only. Its checksum (moose.sum, the journal, the compile cache)
 * covers its own bytes: a file of the project it imported could change what an applied migration
 * runs, on one machine and not another, with nothing to notice it.
 */
const packagesOnly: Plugin = {
  name: "migration-packages-only",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(\.|\/|[A-Za-z]:[\\/])/ }, (args) =>
      args.kind === "entry-point"
        ? undefined
        : { errors: [{ text: `a migration file imports packages only, not ${args.path}: its checksum covers the file itself, so an imported file could change what an applied migration runs` }] },
    );
  },
};

/** `moose-ts` inside a migration file needs only defineMigration (an identity function) and types. */
const mooseTsShim: Plugin = {
  name: "moose-ts-shim",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^moose-ts$/ }, () => ({ path: "moose-ts", namespace: "moose-ts-shim" }));
    pluginBuild.onLoad({ filter: /.*/, namespace: "moose-ts-shim" }, () => ({
      contents: "export const defineMigration = (definition) => definition;",
      loader: "js",
    }));
  },
};

function checkDefinition(value: unknown, file: string): MigrationDefinition {
  const problem = definitionProblem(value);
  if (problem) {
    throw new MooseError("MIGRATION_INVALID_FILE", `${file}: ${problem}`, {
      location: { file, line: 1 },
      hint: "a migration file default-exports defineMigration({ from, to, up: [...], down: [...] }); each step is { sql }, { kafka }, { temporal }, { note } or { run }",
    });
  }
  return value as MigrationDefinition;
}

function definitionProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "has no default export object";
  const definition = value as Record<string, unknown>;
  for (const key of ["from", "to"]) {
    if (typeof definition[key] !== "string" || !/^[0-9a-f]{64}$/.test(definition[key] as string)) {
      return `\`${key}\` must be a manifest hash (64 hex characters)`;
    }
  }
  for (const direction of ["up", "down"]) {
    const steps = definition[direction];
    if (!Array.isArray(steps)) return `\`${direction}\` must be an array of steps`;
    for (const [index, step] of steps.entries()) {
      const problem = stepProblem(step);
      if (problem) return `${direction}[${index}] ${problem}`;
    }
  }
  return undefined;
}

export function stepProblem(step: unknown): string | undefined {
  if (typeof step !== "object" || step === null) return "is not an object";
  const candidate = step as Record<string, unknown>;
  const kinds = (["sql", "kafka", "temporal", "note", "run"] as const).filter((key) => key in candidate);
  if (kinds.length !== 1) return "must have exactly one of `sql`, `kafka`, `temporal`, `note`, `run`";
  const kind = kinds[0]!;
  if (kind === "sql" && typeof candidate.sql !== "string") return "`sql` must be a string";
  if (kind === "note" && typeof candidate.note !== "string") return "`note` must be a string";
  if (kind === "run" && typeof candidate.run !== "function") return "`run` must be an async function";
  if (kind === "kafka" && (typeof candidate.kafka !== "object" || candidate.kafka === null)) return "`kafka` must be an action object";
  if (kind === "temporal" && temporalProblem(candidate.temporal)) return temporalProblem(candidate.temporal);
  return undefined;
}

/** Project-relative with forward slashes, like every location in messages; absolute when outside the project. */
function relative(layout: MigrationsLayout, filePath: string): string {
  const fromProject = path.relative(layout.projectDir, filePath);
  return (fromProject.startsWith("..") || path.isAbsolute(fromProject) ? path.resolve(filePath) : fromProject).split(path.sep).join("/");
}

/** A `temporal` step's action: exactly one of createSchedule/updateSchedule (workflow + schedule) or deleteSchedule (workflow). */
function temporalProblem(action: unknown): string | undefined {
  if (typeof action !== "object" || action === null) return "`temporal` must be an action object";
  const keys = Object.keys(action);
  const payload = (action as Record<string, unknown>)[keys[0] ?? ""] as Record<string, unknown> | undefined;
  if (keys.length !== 1 || !["createSchedule", "updateSchedule", "deleteSchedule"].includes(keys[0]!)) return "`temporal` must be { createSchedule }, { updateSchedule } or { deleteSchedule }";
  if (typeof payload !== "object" || payload === null || typeof payload.workflow !== "string") return `\`temporal.${keys[0]}.workflow\` must be a string`;
  if (keys[0] !== "deleteSchedule" && typeof payload.schedule !== "string") return `\`temporal.${keys[0]}.schedule\` must be a string`;
  return undefined;
}
