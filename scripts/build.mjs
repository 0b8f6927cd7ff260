// Bundles the CLI, the SDK and the build plugins into dist/ with esbuild.
// Type checking is a separate step (`npm run typecheck`); this stays fast for the dev loop.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names are content hashes: start empty so no stale chunk is left behind.
rmSync("dist", { recursive: true, force: true });

await build({
  entryPoints: {
    "cli/index": "src/cli/index.ts",
    "sdk/index": "src/sdk/index.ts",
    "plugin/index": "plugin/index.ts",
    "plugin/tsc": "plugin/tsc.ts",
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
