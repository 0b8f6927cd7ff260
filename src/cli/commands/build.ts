/**
 * `moose build`: extract .moose/manifest.json from app/index.ts and print a one-line summary.
 * `moose check`: the same checks (config, type errors, the app's infrastructure), writing no
 * manifest unless asked, as MooseStack's `moose check` does.
 */
import path from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { writeManifest } from "../../manifest/canonical.js";
import type { ComponentKind, Manifest } from "../../manifest/types.js";
import { action } from "../action.js";

const SUMMARY_LABELS: Array<[ComponentKind, string, string]> = [
  ["tables", "table", "tables"],
  ["streams", "stream", "streams"],
  ["views", "view", "views"],
  ["materializedViews", "materialized view", "materialized views"],
  ["apis", "API", "APIs"],
  ["ingestApis", "ingest API", "ingest APIs"],
  ["workflows", "workflow", "workflows"],
  ["processes", "process", "processes"],
  ["sqlResources", "SQL resource", "SQL resources"],
];

export function register(program: Command): void {
  program
    .command("build")
    .description("Extract the infrastructure manifest (.moose/manifest.json) from <source_dir>/index.ts (app/index.ts)")
    .option("--dir <path>", "project directory", ".")
    .option("--main <file>", "main file, relative to the project directory (default: <source_dir>/index.ts, source_dir from moose.config.toml, app by default)")
    // MooseStack's template scripts run `moose-cli build --docker`: the build runs, and the warning says there is no image.
    .option("--docker", "MooseStack's Docker packaging: not done by moose-ts (a warning says so; the build runs)")
    .option("--amd64", "with --docker: MooseStack's image architecture (no effect)")
    .option("--arm64", "with --docker: MooseStack's image architecture (no effect)")
    .action(
      action(async (options: { dir: string; main?: string; docker?: boolean; amd64?: boolean; arm64?: boolean }) => {
        const started = performance.now();
        const projectDir = path.resolve(options.dir);
        const manifest = await checkedManifest(projectDir, options.main);
        const manifestPath = await writeProjectManifest(projectDir, manifest);
        process.stdout.write(`Built ${manifestPath}: ${summarize(manifest)} in ${secondsSince(started)}s\n`);
        if (options.docker || options.amd64 || options.arm64) {
          process.stderr.write(
            "warning: --docker: moose-ts builds no Docker image; deploy by running `moose migrate up` and `moose prod` from the project (Node 20+) on the target machine or in an image of your own (docs/cli.md, moose build)\n",
          );
        }
        return ExitCode.ok;
      }),
    );

  program
    .command("check")
    .description("Check the project as moose build does (config, type errors, the app's infrastructure) without writing .moose/manifest.json")
    .option("--dir <path>", "project directory", ".")
    .option("--write-infra-map", "also write .moose/manifest.json, as moose build does")
    .action(
      action(async (options: { dir: string; writeInfraMap?: boolean }) => {
        const started = performance.now();
        const projectDir = path.resolve(options.dir);
        const manifest = await checkedManifest(projectDir);
        const written = options.writeInfraMap ? ` (written to ${await writeProjectManifest(projectDir, manifest)})` : "";
        process.stdout.write(`✓ no errors: ${summarize(manifest)}${written} in ${secondsSince(started)}s\n`);
        return ExitCode.ok;
      }),
    );
}

/** The app's manifest, after moose.config.toml loads (a broken config is reported here, not first at deploy time) and the app type-checks. */
async function checkedManifest(projectDir: string, mainFile?: string): Promise<Manifest> {
  const { loadConfig } = await import("../../config/load.js");
  await loadConfig(projectDir);
  // The project's own TypeScript compiles it (when it has one): name the project before loading the compiler.
  (await import("../../extract/typescript-project.js")).setTypeScriptProject(projectDir);
  // Loaded on use: TypeScript and esbuild are heavy, and every other command would pay for them.
  const { extractManifest } = await import("../../extract/index.js");
  return extractManifest({ projectDir, mainFile });
}

/** Writes .moose/manifest.json; its path as shown (relative to the working directory). */
async function writeProjectManifest(projectDir: string, manifest: Manifest): Promise<string> {
  const manifestPath = path.join(projectDir, ".moose", "manifest.json");
  await writeManifest(manifestPath, manifest);
  return path.relative(process.cwd(), manifestPath) || manifestPath;
}

function secondsSince(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(2);
}

/** `2 tables, 1 stream, 0 views, …` — every kind, so the line always has the same shape. */
export function summarize(manifest: Manifest): string {
  return SUMMARY_LABELS.map(([kind, one, many]) => {
    const count = Object.keys(manifest[kind]).length;
    return `${count} ${count === 1 ? one : many}`;
  }).join(", ");
}
