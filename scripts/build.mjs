// Bundles the CLI, the SDK and the build plugins into dist/ with esbuild.
// Type checking is a separate step (`npm run typecheck`); this stays fast for the dev loop.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";

// Chunk names are content hashes: start empty so no stale chunk is left behind. dist/types stays:
// tsc rewrites it in place below, and apps type-checking meanwhile (another build, a test) keep seeing it.
for (const entry of existsSync("dist") ? readdirSync("dist") : []) {
  if (entry !== "types") rmSync(`dist/${entry}`, { recursive: true, force: true });
}

await build({
  entryPoints: {
    "cli/index": "src/cli/index.ts",
    "sdk/index": "src/sdk/index.ts",
    // The SDK's run-time half (insert, send, cache, clients), loaded by apps on first use.
    "sdk/runtime": "src/sdk/runtime/index.ts",
    "plugin/index": "plugin/index.ts",
    "plugin/tsc": "plugin/tsc.ts",
    // Temporal's workflow sandbox code, bundled by the worker at run time (src/workflows/worker.ts):
    // a file of its own that imports only @temporalio/workflow.
    "workflows/temporal-workflow": "src/workflows/temporal-workflow.ts",
    // Worker threads (src/infra/thread-entry.ts finds them): the ingest producer's kafkajs client.
    "infra/kafka/producer-thread": "src/infra/kafka/producer-thread.ts",
  },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});

// The SDK's declaration files (dist/types), what apps type-check against: an app's own compiler
// options (a CommonJS project's ES5 default target, noUnusedLocals, …) then never reach moose-ts's
// sources. tsc reports type errors in moose-ts itself too; `npm run typecheck` is the place for those.
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const types = spawnSync(process.execPath, [tsc, "-p", "tsconfig.types.json"], { stdio: "inherit" });
// Declarations are still written when tsc finds an error; the bundles above are what runs.
if (types.status !== 0) console.warn("warning: tsc reported errors while writing dist/types (see above); run npm run typecheck");
