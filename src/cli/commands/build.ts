/** `moose build`: extract .moose/manifest.json from app/index.ts and print a one-line summary. */
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
        // A broken moose.config.toml is reported here too, not first at deploy time.
        const { loadConfig } = await import("../../config/load.js");
        await loadConfig(projectDir);
        // The project's own TypeScript compiles it (when it has one): name the project before loading the compiler.
        (await import("../../extract/typescript-project.js")).setTypeScriptProject(projectDir);
        // Loaded on use: TypeScript and esbuild are heavy, and every other command would pay for them.
        const { extractManifest } = await import("../../extract/index.js");
        const manifest = await extractManifest({ projectDir, mainFile: options.main });
        const manifestPath = path.join(projectDir, ".moose", "manifest.json");
        await writeManifest(manifestPath, manifest);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        process.stdout.write(`Built ${path.relative(process.cwd(), manifestPath) || manifestPath}: ${summarize(manifest)} in ${seconds}s\n`);
        if (options.docker || options.amd64 || options.arm64) {
          process.stderr.write(
            "warning: --docker: moose-ts builds no Docker image; deploy by running `moose migrate up` and `moose prod` from the project (Node 20+) on the target machine or in an image of your own (docs/cli.md, moose build)\n",
          );
        }
        return ExitCode.ok;
      }),
    );
}

/** `2 tables, 1 stream, 0 views, …` — every kind, so the line always has the same shape. */
export function summarize(manifest: Manifest): string {
  return SUMMARY_LABELS.map(([kind, one, many]) => {
    const count = Object.keys(manifest[kind]).length;
    return `${count} ${count === 1 ? one : many}`;
  }).join(", ");
}
