/**
 * Extraction benchmark (prints, never asserts). For generated apps of 100 and 1,000 models
 * (8 fields of mixed types each, 10 models per file):
 *   - cold `moose build` (a fresh `node bin/moose.js build` process, as a user runs it, the build
 *     cache off: MOOSE_BUILD_CACHE=off),
 *   - `tsc --noEmit` on the same app (TypeScript 6, same tsconfig), and with TS7_TSC set to a
 *     TypeScript 7 `tsc` (`npm install --prefix /tmp/ts7 typescript@7`, then
 *     TS7_TSC=/tmp/ts7/node_modules/typescript/bin/tsc) TypeScript 7's native one, the issue's reference,
 *   - their ratios,
 *   - with TS7_TSC set, a lower bound of any extraction on TypeScript 7's API (`typescript/unstable/sync`
 *     of the same package): the calls every extraction needs at least — open the project, semantic
 *     diagnostics of the app's files, the app's syntax trees, each model's type, its properties and
 *     their types (batched where the API takes arrays) — in the benchmark's own process, no column
 *     mapping, bundling or evaluation; beside TypeScript 7's whole `tsc --noEmit`,
 *   - incremental re-extract (createIncrementalExtractor, as `moose dev` uses it) after editing one model.
 *
 *   npm run bench -- extract                          # both sizes
 *   npm run bench -- extract 100                      # one size
 *
 * Runs one size at a time, each step once (cold steps) or a few times (incremental, median), so it
 * stays bounded on a shared machine.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createIncrementalExtractor } from "../../src/extract/index.js";
import { PACKAGE_ROOT } from "../../src/extract/paths.js";

const MODELS_PER_FILE = 10;
const ts7Bin = process.env.TS7_TSC;
const INCREMENTAL_RUNS = 5;
/** Cold runs alternate moose build / tsc so both see the same machine load; the minimum is reported. */
const COLD_RUNS = 3;
const FIELD_TYPES = [
  "Key<string>",
  "Date",
  "number",
  "Int32",
  "string & LowCardinality",
  '"a" | "b" | "c"',
  "string[]",
  "{ city: string; zip?: number }",
];

function generateApp(models: number): string {
  const projectDir = mkdtempSync(path.join(tmpdir(), `moose-bench-${models}-`));
  mkdirSync(path.join(projectDir, "app", "models"), { recursive: true });
  mkdirSync(path.join(projectDir, "node_modules"), { recursive: true });
  symlinkSync(PACKAGE_ROOT, path.join(projectDir, "node_modules", "moose-ts"), "dir");
  writeFileSync(path.join(projectDir, "package.json"), JSON.stringify({ name: "bench-app", type: "module", private: true }));
  writeFileSync(
    path.join(projectDir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, noEmit: true, types: [] },
      include: ["app"],
    }),
  );
  const files = Math.ceil(models / MODELS_PER_FILE);
  const index: string[] = [];
  for (let file = 0; file < files; file++) {
    const lines = ['import { OlapTable, type Key, type Int32, type LowCardinality } from "moose-ts";', ""];
    for (let model = file * MODELS_PER_FILE; model < Math.min(models, (file + 1) * MODELS_PER_FILE); model++) {
      lines.push(`export interface Model${model} {`);
      FIELD_TYPES.forEach((type, field) => lines.push(`  field${field}${field === 7 ? "?" : ""}: ${type};`));
      lines.push("}", `export const table${model} = new OlapTable<Model${model}>("Table${model}");`, "");
    }
    writeFileSync(path.join(projectDir, "app", "models", `file${file}.ts`), lines.join("\n"));
    index.push(`export * from "./models/file${file}.js";`);
  }
  writeFileSync(path.join(projectDir, "app", "index.ts"), `${index.join("\n")}\n`);
  return projectDir;
}

function timeProcess(command: string, args: string[], cwd: string): { wall: number; output: string } {
  const started = performance.now();
  const output = execFileSync(command, args, { cwd, stdio: "pipe", env: { ...process.env, MOOSE_BUILD_CACHE: "off" } }).toString();
  return { wall: performance.now() - started, output };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The part of `typescript/unstable/sync` (TypeScript 7.0) the lower bound uses. */
interface Ts7Node {
  kind: number;
  typeArguments?: readonly Ts7Node[];
  forEachChild(visit: (node: Ts7Node) => void): void;
}
interface Ts7Api {
  updateSnapshot(params: { openProject: string }): {
    getProjects(): readonly {
      program: { getSourceFileNames(): readonly string[]; getSemanticDiagnostics(file: string): readonly unknown[]; getSourceFile(file: string): Ts7Node | undefined };
      checker: { getTypeAtLocation(nodes: readonly Ts7Node[]): unknown[]; getPropertiesOfType(type: unknown): readonly unknown[]; getTypeOfSymbol(symbols: readonly unknown[]): unknown[] };
    }[];
  };
  close(): void;
}

/** Milliseconds of the calls an extraction on TypeScript 7's API cannot do without (see the header). */
async function ts7ApiLowerBound(tscBin: string, projectDir: string, models: number): Promise<number> {
  const packageDir = path.dirname(path.dirname(tscBin));
  const { API } = (await import(pathToFileURL(path.join(packageDir, "dist", "api", "sync", "api.js")).href)) as { API: new (options: { cwd: string }) => Ts7Api };
  const { SyntaxKind } = (await import(pathToFileURL(path.join(packageDir, "dist", "ast", "index.js")).href)) as { SyntaxKind: { NewExpression: number } };
  const started = performance.now();
  const api = new API({ cwd: projectDir });
  try {
    const [project] = api.updateSnapshot({ openProject: path.join(projectDir, "tsconfig.json") }).getProjects();
    const appFiles = project!.program.getSourceFileNames().filter((file) => file.startsWith(path.join(projectDir, "app")));
    for (const file of appFiles) project!.program.getSemanticDiagnostics(file);
    const modelTypeNodes: Ts7Node[] = [];
    const visit = (node: Ts7Node) => {
      if (node.kind === SyntaxKind.NewExpression && node.typeArguments?.length) modelTypeNodes.push(node.typeArguments[0]!);
      node.forEachChild(visit);
    };
    for (const file of appFiles) project!.program.getSourceFile(file)?.forEachChild(visit);
    const { checker } = project!;
    const properties = checker.getTypeAtLocation(modelTypeNodes).map((type) => checker.getPropertiesOfType(type));
    checker.getTypeOfSymbol(properties.flat());
    if (modelTypeNodes.length !== models) throw new Error(`TypeScript 7 API lower bound found ${modelTypeNodes.length} models, expected ${models}`);
    return performance.now() - started;
  } finally {
    api.close();
  }
}

async function measure(models: number): Promise<void> {
  const projectDir = generateApp(models);
  try {
    const moose = path.join(PACKAGE_ROOT, "bin", "moose.js");
    const tscBin = path.join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
    const startups: number[] = [];
    const builds: number[] = [];
    const extractions: number[] = [];
    const tscs: number[] = [];
    const ts7s: number[] = [];
    const ts7Apis: number[] = [];
    for (let run = 0; run < COLD_RUNS; run++) {
      startups.push(timeProcess(process.execPath, [moose, "--version"], projectDir).wall);
      rmSync(path.join(projectDir, ".moose"), { recursive: true, force: true });
      const built = timeProcess(process.execPath, [moose, "build", "--dir", projectDir], projectDir);
      builds.push(built.wall);
      // What the command itself reports: the extraction, without Node and CLI start-up.
      extractions.push(Number(/ in (\d+\.\d+)s/.exec(built.output)?.[1] ?? Number.NaN) * 1000);
      tscs.push(timeProcess(process.execPath, [tscBin, "--noEmit", "-p", projectDir], projectDir).wall);
      if (ts7Bin) {
        ts7s.push(timeProcess(process.execPath, [ts7Bin, "--noEmit", "-p", projectDir], projectDir).wall);
        ts7Apis.push(await ts7ApiLowerBound(ts7Bin, projectDir, models));
      }
    }
    const [startup, build, extraction, tsc] = [startups, builds, extractions, tscs].map((values) => Math.min(...values));

    const extractor = createIncrementalExtractor(projectDir);
    const incremental: number[] = [];
    try {
      await extractor.extract();
      const edited = path.join(projectDir, "app", "models", "file0.ts");
      for (let run = 0; run < INCREMENTAL_RUNS; run++) {
        appendFileSync(edited, `export interface Added${run} { id: string }\nexport const added${run} = new OlapTable<Added${run}>("Added${run}");\n`);
        const started = performance.now();
        const manifest = await extractor.extract();
        incremental.push(performance.now() - started);
        if (!manifest.tables[`Added${run}`]) throw new Error("incremental extract missed the edit");
      }
    } finally {
      extractor.close();
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      [
        `${models} models (min of ${COLD_RUNS})`,
        `moose build ${seconds(build)} (extraction ${seconds(extraction)}, \`moose --version\` ${seconds(startup)})`,
        `tsc --noEmit ${seconds(tsc)}`,
        `ratio ${(build / tsc).toFixed(2)}× (extraction alone ${(extraction / tsc).toFixed(2)}×)`,
        ...(ts7s.length > 0
          ? [
              `TypeScript 7 tsc --noEmit ${seconds(Math.min(...ts7s))}: target ratio ≤ 1.0, is ${(build / Math.min(...ts7s)).toFixed(2)}×`,
              `TypeScript 7 API lower bound ${seconds(Math.min(...ts7Apis))} (${(Math.min(...ts7Apis) / Math.min(...ts7s)).toFixed(2)}× its tsc)`,
            ]
          : []),
        `incremental ${median(incremental).toFixed(0)} ms (median of ${INCREMENTAL_RUNS}; min ${Math.min(...incremental).toFixed(0)} ms)`,
      ].join(" | "),
    );
  } finally {
    rmSync(projectDir, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(2).map(Number).filter((size) => size > 0);
console.log(`node ${process.version}, ${(await import("typescript")).default.version}`);
for (const size of sizes.length > 0 ? sizes : [100, 1000]) await measure(size);
