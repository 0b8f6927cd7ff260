/**
 * `moose db pull`: the code's EXTERNALLY_MANAGED tables written anew from a live ClickHouse, as
 * MooseStack's `moose db pull` does, into one external models file (app/externalModels.ts, or
 * app/external_models.py in a Python project).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { plural } from "../../dev/output.js";
import { ExitCode, MooseError } from "../../errors.js";
import { writeFileAtomicSync } from "../../files.js";
import type { Manifest } from "../../manifest/types.js";
import { action } from "../action.js";
import { clickHouseUrlOf, loadProjectConfig, projectDirOf, withClickHouseUrl, withProjectDir, type ClickHouseUrlFlags } from "../project.js";

interface PullFlags extends ClickHouseUrlFlags {
  dir?: string;
  filePath?: string;
  table: string[];
}

const out = (text: string) => process.stdout.write(`${text}\n`);

export function register(program: Command): void {
  const db = program.command("db").description("Models from a live ClickHouse");
  withClickHouseUrl(withProjectDir(db.command("pull")), "the ClickHouse to read")
    .description("Write the code's EXTERNALLY_MANAGED tables anew from a live ClickHouse into one external models file")
    .option("--file-path <path>", "the external models file, relative to the project (default app/externalModels.ts; app/external_models.py in a Python project)")
    .option("--table <name>", "also pull this table of the database (repeat for more): it joins the file", (name: string, names: string[]) => [...names, name], [] as string[])
    .action(
      action(async (flags: PullFlags) => {
        const projectDir = projectDirOf(flags);
        const url = clickHouseUrlOf(flags, "DB_PULL_NO_SOURCE", "no ClickHouse to read the tables from");
        const config = await loadProjectConfig(projectDir);
        const { GENERATED_MARK, MODEL_LANGUAGES, changeLine } = await import("../../codegen/index.js");
        const language = MODEL_LANGUAGES[config.language];
        const filePath = flags.filePath ?? language.defaultFile;
        const file = path.resolve(projectDir, filePath);
        const relativeFile = path.relative(projectDir, file).split(path.sep).join("/");
        if (relativeFile.startsWith("../") || path.isAbsolute(relativeFile) || !relativeFile.endsWith(language.extension)) {
          throw new MooseError("DB_PULL_BAD_PATH", `--file-path ${filePath} is not a ${language.extension} file inside the project`, {
            hint: `give a path under the project's app/ folder, e.g. ${language.defaultFile}`,
            exitCode: ExitCode.usage,
          });
        }
        const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
        // Written over whole: only a file moose db pull (or MooseStack's, "AUTO-GENERATED FILE") generated, never one a person wrote.
        if (before !== undefined && ![GENERATED_MARK, "AUTO-GENERATED FILE"].some((mark) => before.split("\n", 3).join("\n").includes(mark))) {
          throw new MooseError("DB_PULL_NOT_GENERATED", `${relativeFile} was not written by moose db pull (its first lines do not say so), so it is not written over`, {
            hint: `move its EXTERNALLY_MANAGED tables into a file of their own, or pass --file-path for a new file`,
            exitCode: ExitCode.usage,
          });
        }
        const { extractManifest } = await import("../../extract/index.js");
        const code = await extractManifest({ projectDir });
        refuseOtherComponents(code, relativeFile);
        const wanted = tablesToPull(code, relativeFile, flags.table);

        const { readRemoteSchema } = await import("../../infra/clickhouse/remote.js");
        const { database, where, schema } = await readRemoteSchema(url);
        const live = schema.tables;
        const missing = wanted.filter((name) => live[name] === undefined);
        if (missing.length > 0) {
          throw new MooseError("DB_PULL_TABLE_MISSING", `database ${database} has no table ${missing.join(", ")}. Nothing was written.`, {
            hint: `a table dropped there: remove its model from ${relativeFile} by hand; otherwise check the URL's database (tables there: ${Object.keys(live).sort().join(", ") || "none"})`,
          });
        }
        // The names the file gives its models now stay (other files import them), whoever wrote it.
        const source = language.source(
          wanted.map((name) => live[name]!),
          { source: where, names: before === undefined ? new Map() : language.declaredNames(before) },
        );
        if (before === source) {
          out(`${relativeFile} is up to date: ${plural(wanted.length, "table")} from database ${database}`);
          return ExitCode.ok;
        }
        writeFileAtomicSync(file, source);
        // The file is only written when it builds: otherwise the one before comes back.
        let after: Manifest;
        try {
          after = await extractManifest({ projectDir });
        } catch (error) {
          if (before === undefined) rmSync(file, { force: true });
          else writeFileAtomicSync(file, before);
          throw new MooseError("DB_PULL_BUILD_FAILED", `the written ${relativeFile} did not build, so the previous one was put back: ${(error as Error).message}`, { cause: error });
        }
        out(`✓ ${relativeFile}: ${plural(wanted.length, "table")} from database ${database}`);
        for (const name of wanted) out(`  ${changeLine(Object.values(code.tables).find((table) => table.name === name), live[name]!, language)}`);
        const built = new Set(Object.values(after.tables).map((table) => table.name));
        const unreached = wanted.filter((name) => !built.has(name));
        if (unreached.length > 0) {
          process.stderr.write(`note: the app does not import ${relativeFile} yet (${unreached.join(", ")} not in the build): add \`${language.importLine(relativeFile)}\` to ${language.rootFile}\n`);
        }
        return ExitCode.ok;
      }),
    );
}

/** Anything the file defines besides EXTERNALLY_MANAGED tables (added to it by hand) would be lost with it. */
function refuseOtherComponents(code: Manifest, relativeFile: string): void {
  const others: string[] = [];
  for (const [section, specs] of Object.entries(code)) {
    if (typeof specs !== "object" || specs === null) continue;
    for (const [id, spec] of Object.entries(specs as Record<string, { source?: { file: string }; lifeCycle?: string }>)) {
      if (spec.source?.file !== relativeFile) continue;
      if (section === "tables" && spec.lifeCycle === "EXTERNALLY_MANAGED") continue;
      others.push(`${id} (${section})`);
    }
  }
  if (others.length > 0) {
    throw new MooseError("DB_PULL_NOT_GENERATED", `${relativeFile} defines more than EXTERNALLY_MANAGED tables: ${others.join(", ")}; writing it anew would lose them`, {
      hint: "move them to another file of the app",
      exitCode: ExitCode.usage,
    });
  }
}

/**
 * The tables the file holds: the code's EXTERNALLY_MANAGED tables defined in it, and those `--table`
 * adds. A table the code defines elsewhere is never written here too (two models of one table).
 */
function tablesToPull(code: Manifest, relativeFile: string, added: string[]): string[] {
  const tables = Object.values(code.tables);
  const inFile = tables.filter((table) => table.lifeCycle === "EXTERNALLY_MANAGED" && table.source?.file === relativeFile).map((table) => table.name);
  const elsewhere = tables.filter((table) => table.source?.file !== relativeFile);
  for (const name of added) {
    const defined = elsewhere.find((table) => table.name === name);
    if (defined !== undefined) {
      throw new MooseError("DB_PULL_DEFINED_ELSEWHERE", `table ${name} is already modelled in ${defined.source?.file ?? "the code"}${defined.source ? `:${defined.source.line}` : ""}`, {
        hint: `move its model into ${relativeFile}, EXTERNALLY_MANAGED, to have moose db pull keep it up to date, or leave --table ${name} out`,
        exitCode: ExitCode.usage,
      });
    }
  }
  const wanted = [...new Set([...inFile, ...added])].sort();
  if (wanted.length === 0) {
    const external = tables.filter((table) => table.lifeCycle === "EXTERNALLY_MANAGED").map((table) => `${table.name} (${table.source?.file ?? "?"})`);
    throw new MooseError("DB_PULL_NOTHING", `no EXTERNALLY_MANAGED table is modelled in ${relativeFile}, and no --table names one`, {
      hint:
        external.length > 0
          ? `the code's external tables live elsewhere: ${external.join(", ")}; move them into ${relativeFile}, or pass --file-path`
          : `pull a table of the database with --table <name> (repeat for more)`,
      exitCode: ExitCode.usage,
    });
  }
  return wanted;
}

