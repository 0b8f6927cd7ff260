// Bundles the CLI, the SDK and the build plugins into dist/ with esbuild.
// Type checking is a separate step (`npm run typecheck`); this stays fast for the dev loop.
import { build } from "esbuild";
import { existsSync } from "node:fs";

const entryPoints = {
  "cli/index": "src/cli/index.ts",
  "sdk/index": "src/sdk/index.ts",
  "plugin/index": "plugin/index.ts",
  "plugin/tsc": "plugin/tsc.ts",
  "extract/child": "src/extract/child.ts",
};
const present = Object.fromEntries(Object.entries(entryPoints).filter(([, file]) => existsSync(file)));

await build({
  entryPoints: present,
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
