/**
 * `moose dev` loop benchmark: a generated app of 200 OlapTable models (one file each, re-exported
 * from app/index.ts) served by the built CLI with streaming off. Measures
 *   - cold start: spawn → the "moose dev ready" line (fresh .moose, so all 200 tables are created),
 *   - save → applied: 20 scripted edits, each adding a field to one model; the clock stops when the
 *     new column shows up in system.columns through the ClickHouse HTTP endpoint.
 * Prints p50/p95. Targets: p50 ≤ 150 ms, cold start ≤ 2 s. Bounded: one dev process, edits one
 * at a time. Run (see docs/performance.md, "Dev loop"):
 *   npm run build && npx esbuild bench/dev-loop/run.ts --bundle --platform=node --format=esm --packages=external --outfile=.moose/bench-dev-loop.mjs && node .moose/bench-dev-loop.mjs
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createClient } from "@clickhouse/client";

const MODELS = 200;
const EDITS = 20;
const POLL_MS = 5;
const TIMEOUT_MS = 60_000;

/** The moose-ts checkout: the nearest directory above this script with bin/moose.js (bundled or not). */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "bin", "moose.js"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`bin/moose.js not found above ${start}`);
  }
}
const mooseRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

const modelName = (index: number) => `Model${String(index).padStart(3, "0")}`;
const modelFile = (dir: string, index: number) => path.join(dir, "app", "models", `${modelName(index).toLowerCase()}.ts`);

function modelSource(index: number): string {
  const name = modelName(index);
  return `import { OlapTable, type Key } from "moose-ts";

export interface ${name}Row {
  id: Key<string>;
  createdAt: Date;
  amount: number;
  label: string;
  tags: string[];
}

export const ${name.toLowerCase()} = new OlapTable<${name}Row>("${name}");
`;
}

function writeApp(dir: string): void {
  mkdirSync(path.join(dir, "app", "models"), { recursive: true });
  for (let index = 1; index <= MODELS; index++) writeFileSync(modelFile(dir, index), modelSource(index));
  writeFileSync(
    path.join(dir, "app", "index.ts"),
    Array.from({ length: MODELS }, (_, i) => `export * from "./models/${modelName(i + 1).toLowerCase()}.js";`).join("\n") + "\n",
  );
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023"], types: ["node"], strict: true, skipLibCheck: true, noEmit: true }, include: ["app"] }, null, 2),
  );
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-dev-loop", private: true, type: "module" }));
  // The app's type checking needs @types/node: use the repo's node_modules.
  symlinkSync(path.join(mooseRoot, "node_modules"), path.join(dir, "node_modules"));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-bench-dev-"));
  writeApp(dir);
  const [clickhousePort, apiPort] = [await freePort(), await freePort()];
  let child: ChildProcess | undefined;
  try {
    const started = performance.now();
    child = spawn(process.execPath, [path.join(mooseRoot, "bin", "moose.js"), "dev"], {
      cwd: dir,
      env: {
        ...process.env,
        NO_COLOR: "1",
        MOOSE_FEATURES__STREAMING_ENGINE: "false",
        MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(clickhousePort),
        MOOSE_HTTP_SERVER_CONFIG__PORT: String(apiPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes("moose dev ready"), () => `dev did not get ready:\n${output}`);
    const coldStartMs = performance.now() - started;
    const reported = /moose dev ready in (\d+) ms/.exec(output)?.[1];

    const client = createClient({ url: `http://127.0.0.1:${clickhousePort}`, username: "panda", password: "pandapass", database: "local" });
    const tables = await client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'local' AND name LIKE 'Model%'", format: "JSONEachRow" });
    const [{ n }] = (await tables.json()) as Array<{ n: string }>;
    if (Number(n) !== MODELS) throw new Error(`expected ${MODELS} tables after the start, found ${n}:\n${output}`);

    const latencies: number[] = [];
    const reloadLines: number[] = [];
    for (let edit = 0; edit < EDITS; edit++) {
      const index = 1 + ((edit * 37) % MODELS);
      const column = `extra_${edit}`;
      const file = modelFile(dir, index);
      const source = await readFile(file, "utf8");
      const table = modelName(index);
      const before = output.length;
      const saved = performance.now();
      await writeFile(file, source.replace("  tags: string[];\n", `  tags: string[];\n  ${column}: number;\n`));
      await waitFor(
        async () => {
          const result = await client.query({
            query: "SELECT count() AS n FROM system.columns WHERE database = 'local' AND table = {table:String} AND name = {column:String}",
            query_params: { table, column },
            format: "JSONEachRow",
          });
          return Number(((await result.json()) as Array<{ n: string }>)[0]!.n) === 1;
        },
        () => `column ${table}.${column} never appeared:\n${output.slice(before)}`,
      );
      latencies.push(performance.now() - saved);
      await waitFor(() => /reload in \d+ ms/.test(output.slice(before)), () => `no reload line:\n${output.slice(before)}`);
      reloadLines.push(Number(/reload in (\d+) ms/.exec(output.slice(before))![1]));
    }
    await client.close();

    const round = (value: number) => Math.round(value);
    console.log(`moose dev loop — ${MODELS} models, ${EDITS} edits (add a field to one model each)`);
    console.log(`cold start to ready: ${round(coldStartMs)} ms (spawn → ready line; dev reports ${reported} ms)   target ≤ 2000 ms`);
    console.log(`save → column visible over HTTP: p50 ${round(percentile(latencies, 50))} ms, p95 ${round(percentile(latencies, 95))} ms, max ${round(Math.max(...latencies))} ms   target p50 ≤ 150 ms`);
    console.log(`reload time printed by dev (after the ${50} ms debounce): p50 ${percentile(reloadLines, 50)} ms, p95 ${percentile(reloadLines, 95)} ms`);
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, failure: () => string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

await main();
