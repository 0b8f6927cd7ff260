/**
 * `moose init <dir>`: a new project with the docs' quickstart app — package.json, tsconfig.json,
 * moose.config.toml (the documented defaults), app/index.ts (UserSchema, Users table, UserEvents
 * stream) and .gitignore. It only ever writes into an empty or new directory.
 */
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { ExitCode, MooseError } from "../../errors.js";
import { action } from "../action.js";
import { mooseTsPackage, type MooseTsPackage } from "../package-info.js";

export function register(program: Command): void {
  program
    .command("init")
    .description("Create a project with the quickstart app in a new or empty directory")
    .argument("<dir>", "directory to create the project in (new or empty)")
    .option("--language <language>", "the models' language: typescript or python (MooseStack's `language` key)", "typescript")
    .option("--no-venv", "python: do not create the .venv virtualenv (nor install requirements.txt into it)")
    .option("--from-remote <url>", "instead of the quickstart app, model every table of this ClickHouse database (http(s)://user:password@host:port/database) as EXTERNALLY_MANAGED")
    .action(
      action(async (dir: string, options: { language: string; venv: boolean; fromRemote?: string }) => {
        const projectDir = path.resolve(dir);
        const language = options.language.toLowerCase();
        if (language !== "typescript" && language !== "python") {
          throw new MooseError("INIT_UNKNOWN_LANGUAGE", `--language ${options.language} is not a language moose-ts models can be written in`, {
            exitCode: ExitCode.usage,
            hint: "use --language typescript (the default) or --language python",
          });
        }
        // The database is read before anything is written: a wrong URL leaves no directory behind.
        const remote = options.fromRemote !== undefined ? await remoteModels(options.fromRemote, language) : undefined;
        if (language === "python") return initPythonProject(projectDir, options.venv, remote);
        await initProject(projectDir, remote?.files);
        for (const line of remote?.report ?? []) process.stdout.write(`${line}\n`);
        const shown = path.relative(process.cwd(), projectDir) || ".";
        process.stdout.write(
          [
            `Created a moose-ts project in ${shown}`,
            "",
            "Next:",
            `  cd ${shown}`,
            "  npm install",
            "  npx moose dev",
            "",
          ].join("\n"),
        );
        return ExitCode.ok;
      }),
    );
}

/** `--language python`: the docs' Python app (./init-python.ts), then its virtualenv. */
async function initPythonProject(projectDir: string, venv: boolean, remote: RemoteModels | undefined): Promise<ExitCode> {
  const { createVirtualenv, pythonScaffoldFiles } = await import("./init-python.js");
  await ensureEmptyDirectory(projectDir);
  await writeFiles(projectDir, { ...pythonScaffoldFiles(MOOSE_CONFIG_TOML, path.basename(projectDir), mooseTsPackage()), ...remote?.files });
  const shown = path.relative(process.cwd(), projectDir) || ".";
  process.stdout.write(`Created a moose-ts Python project in ${shown}\n`);
  for (const line of remote?.report ?? []) process.stdout.write(`${line}\n`);
  const virtualenv = venv ? await createVirtualenv(projectDir) : { ok: false, lines: ["no virtualenv (--no-venv): moose runs app/main.py with python3, which needs pydantic v2"] };
  process.stdout.write(`${virtualenv.lines.map((line) => `  ${line}`).join("\n")}\n`);
  process.stdout.write(["", "Next:", `  cd ${shown}`, "  npm install      # the moose CLI (package.json)", "  npx moose dev", ""].join("\n"));
  return ExitCode.ok;
}

async function writeFiles(projectDir: string, files: Record<string, string>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(projectDir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** `replaced`: files written instead of the quickstart's (`--from-remote`'s app). */
export async function initProject(projectDir: string, replaced: Record<string, string> = {}): Promise<void> {
  await ensureEmptyDirectory(projectDir);
  await writeFiles(projectDir, { ...scaffoldFiles(path.basename(projectDir), mooseTsPackage()), ...replaced });
}

interface RemoteModels {
  /** The app's root file and its external models file, in place of the quickstart app. */
  files: Record<string, string>;
  /** What was modelled and what was left out, to print. */
  report: string[];
}

/**
 * `--from-remote`: every table of the database as an EXTERNALLY_MANAGED model in the language's
 * external models file (`moose db pull` keeps it up to date), and a root file that imports it. A table
 * with a column no model of the language maps to is left out, and said.
 */
async function remoteModels(url: string, language: "typescript" | "python"): Promise<RemoteModels> {
  const [{ readRemoteSchema }, { MODEL_LANGUAGES, oneLine }, { plural }] = await Promise.all([import("../../infra/clickhouse/remote.js"), import("../../codegen/index.js"), import("../../dev/output.js")]);
  const models = MODEL_LANGUAGES[language];
  const { where, schema } = await readRemoteSchema(url);
  const tables = Object.values(schema.tables);
  const skipped = tables.map((table) => ({ table: table.name, columns: models.unsupported(table) })).filter((entry) => entry.columns.length > 0);
  const modelled = tables.filter((table) => !skipped.some((entry) => entry.table === table.name));
  const root = [
    `The tables of ${oneLine(where)}, as \`moose init --from-remote\` found them: EXTERNALLY_MANAGED models, which`,
    "moose-ts reads and queries and never creates, alters or drops. `moose db pull --clickhouse-url …`",
    `writes ${models.defaultFile} anew when the database changes. To manage a table with migrations,`,
    `move its model here and drop its ${models.lifeCycleKey}.`,
  ].map((line) => `${models.comment} ${line}`);
  const views = [...Object.keys(schema.views), ...Object.keys(schema.materializedViews)].sort();
  return {
    files: { [models.rootFile]: `${[...root, models.importLine(models.defaultFile)].join("\n")}\n`, [models.defaultFile]: models.source(modelled, { source: where }) },
    report: [
      `Modelled ${plural(modelled.length, "table")} of ${where} in ${models.defaultFile}`,
      ...skipped.map(({ table, columns }) => `  - ${table}: left out, no ${models.name} type maps to ${columns.join(", ")}`),
      ...(views.length > 0 ? [`  views and materialized views are not modelled: ${views.join(", ")}`] : []),
    ],
  };
}

async function ensureEmptyDirectory(projectDir: string): Promise<void> {
  const stats = await stat(projectDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!stats) {
    await mkdir(projectDir, { recursive: true });
    return;
  }
  if (!stats.isDirectory()) {
    throw new MooseError("INIT_NOT_A_DIRECTORY", `${projectDir} exists and is not a directory`, {
      hint: "pick a new or empty directory for the project",
    });
  }
  const entries = await readdir(projectDir);
  if (entries.length > 0) {
    throw new MooseError("INIT_DIR_NOT_EMPTY", `${projectDir} is not empty (${entries.length} entries)`, {
      hint: "pick an empty directory (or a new path) so no existing file is overwritten",
      details: { entries: entries.slice(0, 10) },
    });
  }
}

/** Every file of a new project, by path relative to the project root. */
export function scaffoldFiles(directoryName: string, mooseTs: MooseTsPackage): Record<string, string> {
  return {
    "package.json": packageJson(directoryName, mooseTs),
    "tsconfig.json": TSCONFIG_JSON,
    "moose.config.toml": MOOSE_CONFIG_TOML,
    "app/index.ts": APP_INDEX_TS,
    ".gitignore": GITIGNORE,
  };
}

function packageJson(directoryName: string, mooseTs: MooseTsPackage): string {
  const manifest = {
    name: packageName(directoryName),
    version: "0.0.0",
    private: true,
    type: "module",
    scripts: { dev: "moose dev", build: "moose build", plan: "moose plan", typecheck: "tsc -p tsconfig.json" },
    dependencies: { "moose-ts": mooseTsDependency(mooseTs) },
    devDependencies: {
      "@types/node": mooseTs.devDependencies["@types/node"] ?? "^20",
      // The project's own compiler is what moose-ts uses; 5.9 is the newest that typia 9/10 accept
      // (`typescript >=4.8 <5.10`), so MooseStack code using typia can be pasted in.
      typescript: PROJECT_TYPESCRIPT,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * The dependency on moose-ts must be the very package this CLI runs from: the new project then
 * type-checks against the same SDK and `npx moose` in it runs the same code. Installed from a
 * registry (we live under node_modules/) that is `^<version>`; run from a clone of the repository it
 * is `file:<absolute path of the clone>`, which npm links — moose-ts is not on a registry yet, and a
 * version range would fetch some other copy or nothing at all.
 */
export function mooseTsDependency(mooseTs: MooseTsPackage): string {
  const installedFromRegistry = mooseTs.root.split(path.sep).includes("node_modules");
  return installedFromRegistry ? `^${mooseTs.version}` : `file:${mooseTs.root}`;
}

/** npm package names are lowercase URL-safe words; the directory name is the natural choice. */
export function packageName(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name || "moose-app";
}

/** The TypeScript a new project gets (see packageJson). */
export const PROJECT_TYPESCRIPT = "~5.9.3";

/**
 * moose-ts bundles the app with esbuild, so the tsconfig describes a bundled app: `module: "preserve"`
 * with `moduleResolution: "bundler"` type-checks what esbuild runs — extensionless relative imports
 * (`import { x } from "./models"`, as MooseStack code writes them), `paths`, and packages' `exports`.
 */
const TSCONFIG_JSON = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "preserve",
      moduleResolution: "bundler",
      esModuleInterop: true,
      lib: ["ES2023"],
      types: ["node"],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ["app"],
  },
  null,
  2,
)}\n`;

// The documented defaults (docs: Migrations & Planning), then the server and admin API settings.
const MOOSE_CONFIG_TOML = `[features]
olap = true # ClickHouse for analytics
streaming_engine = true # Redpanda for streaming
workflows = false # Temporal for workflows

[clickhouse_config]
host = "localhost"
host_port = 18123
native_port = 9000
db_name = "local"
user = "panda"
password = "pandapass"

[redpanda_config]
broker = "localhost:19092"
message_timeout_ms = 1000
retention_ms = 30000
replication_factor = 1

[http_server_config]
host = "localhost"
port = 4000

[authentication]
# Key hash from \`moose generate hash-token\`; empty: the admin API refuses every request.
admin_api_key = ""
`;

const APP_INDEX_TS = `import { OlapTable, Stream } from "moose-ts";

interface UserSchema {
  id: string;
  name: string;
  email: string;
}

export const usersTable = new OlapTable<UserSchema>("Users");
export const userEvents = new Stream<UserSchema>("UserEvents");
`;

const GITIGNORE = `.moose/
node_modules/
# rewritten by \`moose dev\` on every save; \`moose migrate generate\` turns it into a reviewed file
migrations/draft.ts
`;
