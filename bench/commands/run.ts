/**
 * Everyday commands on unchanged code (prints, never asserts): `moose build`, `plan`,
 * `migrate status --embedded` and `ls` on a copy of examples/quickstart (streaming off: one table),
 * after one generated and applied migration, as a user runs them (`node bin/moose.js …`, fresh
 * processes). Each is timed with the build cache (.moose/cache, filled by the first build) and
 * without it (MOOSE_BUILD_CACHE=off: the full TypeScript extraction, the "before"); `node -e 0`
 * is timed in the same rounds for scale. Target (issue [M]): ≤ 0.5 s wall with the cache.
 *
 *   npm run bench -- commands            # 5 rounds
 *   npm run bench -- commands 9          # 9 rounds
 *
 * Rounds alternate every command and the reference, so all see the same machine load; medians are
 * reported (min in brackets).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { mooseRoot } from "../local.js";

const TARGET_MS = 500;
const COMMANDS: string[][] = [["build"], ["plan"], ["migrate", "status", "--embedded"], ["ls"]];
/** Runs without the cache cost seconds each: fewer of them. */
const UNCACHED_ROUNDS = 2;

const moose = path.join(mooseRoot, "bin", "moose.js");

function quickstartCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "moose-bench-commands-"));
  const example = path.join(mooseRoot, "examples", "quickstart");
  cpSync(example, dir, { recursive: true, filter: (source) => !/[/\\](node_modules|\.moose|migrations)([/\\]|$)/.test(path.relative(example, source)) });
  // The app's tsconfig needs @types/node: the repo's node_modules.
  symlinkSync(path.join(mooseRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

const baseEnv = { ...process.env, MOOSE_FEATURES__STREAMING_ENGINE: "false", NO_COLOR: "1" };

function time(args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { cwd, env, stdio: "pipe" });
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const rounds = Number(process.argv[2] ?? 5);
const dir = quickstartCopy();
try {
  execFileSync(process.execPath, [moose, "migrate", "generate", "--name", "init"], { cwd: dir, env: baseEnv, stdio: "pipe" });
  execFileSync(process.execPath, [moose, "migrate", "up", "--embedded"], { cwd: dir, env: baseEnv, stdio: "pipe" });
  const coldBuild = time([moose, "build"], dir); // writes the cache entry
  const reference: number[] = [];
  const cached = new Map<string, number[]>(COMMANDS.map((args) => [args.join(" "), []]));
  const uncached = new Map<string, number[]>(COMMANDS.map((args) => [args.join(" "), []]));
  for (let round = 0; round < rounds; round++) {
    reference.push(time(["-e", "0"], dir));
    for (const args of COMMANDS) cached.get(args.join(" "))!.push(time([moose, ...args], dir));
    if (round < UNCACHED_ROUNDS) for (const args of COMMANDS) uncached.get(args.join(" "))!.push(time([moose, ...args], dir, { ...baseEnv, MOOSE_BUILD_CACHE: "off" }));
  }
  const node = median(reference);
  console.log(`node ${process.version}; quickstart app, one table; ${rounds} rounds; \`node -e 0\` ${seconds(node)} (min ${seconds(Math.min(...reference))}); first build ${seconds(coldBuild)}`);
  for (const args of COMMANDS) {
    const name = args.join(" ");
    const figure = median(cached.get(name)!);
    const before = median(uncached.get(name)!);
    console.log(
      [
        `moose ${name}`.padEnd(33),
        `cached ${seconds(figure)} (min ${seconds(Math.min(...cached.get(name)!))})`,
        `target ${seconds(TARGET_MS)}: ratio ${(figure / TARGET_MS).toFixed(2)}×`,
        `${(figure / node).toFixed(1)}× node -e 0`,
        `without cache ${seconds(before)} (${(before / figure).toFixed(1)}× the cached)`,
      ].join(" | "),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
