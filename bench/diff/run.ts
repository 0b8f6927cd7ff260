/**
 * Diff benchmark: plan 10,000 tables of 12 columns where 100 tables have one column changed.
 * Prints the median of several runs of `diffManifests` (and of diff + text rendering).
 * Target: ≤ 100 ms for the diff. Run (see docs/performance.md):
 *   npx esbuild bench/diff/run.ts --bundle --platform=node --format=esm --packages=external --outfile=.moose/bench-diff.mjs && node .moose/bench-diff.mjs
 */
import { performance } from "node:perf_hooks";
import { diffManifests } from "../../src/diff/index.js";
import { emptyManifest, type ColumnSpec, type Manifest, type TableSpec } from "../../src/manifest/types.js";
import { renderPlan } from "../../src/plan/render.js";

const TABLES = 10_000;
const CHANGED = 100;
const RUNS = 7;

const COLUMN_TYPES = ["String", "Int64", "Float64", "DateTime('UTC')", "LowCardinality(String)", "Array(String)", "Nullable(Int32)", "Bool", "UUID", "Decimal(18, 4)", "Map(String, UInt64)", "Date"];

function table(index: number, changed: boolean): TableSpec {
  const columns: ColumnSpec[] = COLUMN_TYPES.map((type, i) => ({ name: i === 0 ? "id" : `c${i}`, type, nullable: false }));
  if (changed) columns[2] = { ...columns[2]!, type: "Float32" };
  return {
    name: `table_${index}`,
    columns,
    orderBy: ["id", "c1"],
    partitionBy: "toYYYYMM(c3)",
    engine: { name: "MergeTree", params: [] },
    settings: { index_granularity: "8192" },
    indexes: [],
    lifeCycle: "FULLY_MANAGED",
  };
}

function build(changedEvery: number | null): Manifest {
  const manifest = emptyManifest();
  for (let i = 0; i < TABLES; i++) manifest.tables[`table_${i}`] = table(i, changedEvery !== null && i % changedEvery === 0);
  return manifest;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const from = build(null);
const to = build(TABLES / CHANGED);

const diffTimes: number[] = [];
const diffCpuTimes: number[] = [];
const planTimes: number[] = [];
let operations = 0;
for (let run = 0; run < RUNS; run++) {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const result = diffManifests(from, to);
  const cpu = process.cpuUsage(cpuStart);
  const diffed = performance.now();
  renderPlan(result);
  const rendered = performance.now();
  diffTimes.push(diffed - start);
  // CPU time of this process: stable on a busy machine, where wall time is not.
  diffCpuTimes.push((cpu.user + cpu.system) / 1000);
  planTimes.push(rendered - start);
  operations = result.operations.length;
}

process.stdout.write(
  `diff: ${TABLES} tables, ${CHANGED} with one column changed → ${operations} operations\n` +
    `diffManifests: median ${median(diffTimes).toFixed(1)} ms wall, ${median(diffCpuTimes).toFixed(1)} ms CPU over ${RUNS} runs ` +
    `(first run ${diffTimes[0]!.toFixed(1)} ms wall; target ≤ 100 ms)\n` +
    `diffManifests + renderPlan: median ${median(planTimes).toFixed(1)} ms\n`,
);
