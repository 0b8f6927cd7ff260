/**
 * `moose dev` loop benchmark: a generated app of 200 OlapTable models (one file each, re-exported
 * from app/index.ts) served by the built CLI with streaming off. Measures
 *   - cold start: spawn → the "moose dev ready" line (fresh .moose, so all 200 tables are created),
 *   - save → applied: 20 scripted edits, each adding a field to one model; the clock stops when the
 *     new column shows up in system.columns through the ClickHouse HTTP endpoint.
 *   - restart: spawn → ready again on the same project (state kept, nothing applied),
 *   - the dev process's CPU time (Linux /proc), steadier than wall time on a shared machine.
 *   - a restart without the build cache (MOOSE_BUILD_CACHE=off: the TypeScript program is built),
 * Prints p50/p95, and each of issue [M]'s targets as figure, target, ratio, with `node -e 0` timed in
 * the same run for scale: save p50 ≤ 100 ms, p95 ≤ 150 ms, cold start ≤ 1.5 s, restart with nothing
 * to apply ≤ 0.7 s. Bounded: one dev process, edits one
 * at a time. Run (see docs/performance.md, "Dev loop"):
 *   npm run build && npx esbuild bench/dev-loop/run.ts --bundle --platform=node --format=esm --packages=external --outfile=.moose/bench-dev-loop.mjs && node .moose/bench-dev-loop.mjs
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createClient } from "@clickhouse/client";
import { freePort, mooseRoot } from "../local.js";

const MODELS = 200;
const EDITS = 20;
const POLL_MS = 10;
const TIMEOUT_MS = 60_000;


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


function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface RunningDev {
  child: ChildProcess;
  output(): string;
  /** Spawn → "moose dev ready" line, and the process's CPU time by then. */
  readyMs: number;
  readyCpuMs: number;
  stop(): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** utime + stime of a process (all its threads, chdb's included), in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function startDev(dir: string, ports: { clickhouse: number; api: number }, env: NodeJS.ProcessEnv = {}): Promise<RunningDev> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(process.env.DEV_NODE_ARGS?.split(" ") ?? []), path.join(mooseRoot, "bin", "moose.js"), "dev"], {
    cwd: dir,
    env: {
      ...process.env,
      ...env,
      NO_COLOR: "1",
      MOOSE_FEATURES__STREAMING_ENGINE: "false",
      MOOSE_CLICKHOUSE_CONFIG__HOST_PORT: String(ports.clickhouse),
      MOOSE_HTTP_SERVER_CONFIG__PORT: String(ports.api),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitFor(() => output.includes("moose dev ready"), () => `dev did not get ready:\n${output}`);
  return {
    child,
    output: () => output,
    readyMs: performance.now() - started,
    readyCpuMs: cpuMs(child.pid!),
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-bench-dev-"));
  writeApp(dir);
  const ports = { clickhouse: await freePort(), api: await freePort() };
  const client = createClient({ url: `http://127.0.0.1:${ports.clickhouse}`, username: "panda", password: "pandapass", database: "local" });
  let dev: RunningDev | undefined;
  try {
    dev = await startDev(dir, ports);
    const cold = dev;
    const tables = await client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'local' AND name LIKE 'Model%'", format: "JSONEachRow" });
    const [{ n }] = (await tables.json()) as Array<{ n: string }>;
    if (Number(n) !== MODELS) throw new Error(`expected ${MODELS} tables after the start, found ${n}:\n${dev.output()}`);

    const latencies: number[] = [];
    const reloadLines: number[] = [];
    const reloadCpu: number[] = [];
    for (let edit = 0; edit < EDITS; edit++) {
      const index = 1 + ((edit * 37) % MODELS);
      const column = `extra_${edit}`;
      const file = modelFile(dir, index);
      const source = await readFile(file, "utf8");
      const table = modelName(index);
      const before = dev.output().length;
      const cpuBefore = cpuMs(dev.child.pid!);
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
        () => `column ${table}.${column} never appeared:\n${dev!.output().slice(before)}`,
      );
      latencies.push(performance.now() - saved);
      // The reload's line: the reload is over (the draft migration follows 250 ms after the last reload, so not between these saves).
      await waitFor(() => /reload in \d+ ms/.test(dev!.output().slice(before)), () => `no reload line:\n${dev!.output().slice(before)}`);
      reloadLines.push(Number(/reload in (\d+) ms/.exec(dev.output().slice(before))![1]));
      await new Promise((resolve) => setTimeout(resolve, 100));
      reloadCpu.push(cpuMs(dev.child.pid!) - cpuBefore);
    }
    await dev.stop();

    // A restart: the state is in the database, nothing to apply.
    dev = await startDev(dir, ports);
    if (!/initial build in \d+ ms: no infrastructure changes/.test(dev.output())) throw new Error(`the restart applied something:\n${dev.output()}`);
    const warm = dev;
    await dev.stop();
    dev = await startDev(dir, ports, { MOOSE_BUILD_CACHE: "off" });
    const uncached = dev;
    await dev.stop();
    dev = undefined;
    const node = nodeStartMs();

    const round = (value: number) => Math.round(value);
    const stats = (values: number[]) => `p50 ${round(percentile(values, 50))} ms, p95 ${round(percentile(values, 95))} ms`;
    const target = (figure: number, limit: number) => `target ≤ ${limit} ms: ratio ${(figure / limit).toFixed(2)}× | ${(figure / node).toFixed(1)}× node -e 0`;
    console.log(`moose dev loop — ${MODELS} models, ${EDITS} edits (add a field to one model each); \`node -e 0\` ${round(node)} ms (median of 3, same run)`);
    console.log(`cold start (fresh .moose, creates ${MODELS} tables), spawn → ready: ${round(cold.readyMs)} ms wall, ${round(cold.readyCpuMs)} ms CPU | ${target(cold.readyMs, 1500)}`);
    console.log(`restart (state kept, nothing to apply), spawn → ready: ${round(warm.readyMs)} ms wall, ${round(warm.readyCpuMs)} ms CPU | ${target(warm.readyMs, 700)}`);
    console.log(`restart without the build cache: ${round(uncached.readyMs)} ms wall, ${round(uncached.readyCpuMs)} ms CPU`);
    const [p50, p95] = [percentile(latencies, 50), percentile(latencies, 95)];
    console.log(`save → column visible over HTTP: ${stats(latencies)}, max ${round(Math.max(...latencies))} ms | p50 ${target(p50, 100)} | p95 ${target(p95, 150)}`);
    console.log(`reload time printed by dev (from the end of the 20 ms debounce): ${stats(reloadLines)}`);
    console.log(`CPU of the dev process per save (the reload, up to 100 ms after its line): ${stats(reloadCpu)}`);
  } finally {
    await dev?.stop();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median wall time of `node -e 0`: Node's own start on this machine, now. */
function nodeStartMs(): number {
  const times = [0, 1, 2].map(() => {
    const started = performance.now();
    execFileSync(process.execPath, ["-e", "0"]);
    return performance.now() - started;
  });
  return percentile(times, 50);
}

async function waitFor(check: () => boolean | Promise<boolean>, failure: () => string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

await main();
