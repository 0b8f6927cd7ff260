/**
 * The runtime half of the SDK (OlapTable.insert, Stream.send, getMooseUtils, MooseCache) lives in
 * moose-ts's own dist/sdk/runtime.js, loaded on first use: it needs @clickhouse/client, kafkajs and
 * the config loader, which resolve from moose-ts's node_modules, not the app's. When moose-ts bundles
 * an app it defines `__MOOSE_TS_RUNTIME__` as that file's URL; unbundled, the package root is found
 * from this file.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MooseError } from "../errors.js";
import type * as Runtime from "./runtime/index.js";

declare const __MOOSE_TS_RUNTIME__: string | undefined;

export type RuntimeModule = typeof Runtime;

let loading: Promise<RuntimeModule> | undefined;

export function loadRuntime(): Promise<RuntimeModule> {
  loading ??= (async () => {
    const url = typeof __MOOSE_TS_RUNTIME__ === "string" ? __MOOSE_TS_RUNTIME__ : pathToFileURL(path.join(packageRoot(), "dist", "sdk", "runtime.js")).href;
    try {
      return (await import(url)) as RuntimeModule;
    } catch (error) {
      loading = undefined;
      throw new MooseError("RUNTIME_UNAVAILABLE", `moose-ts's runtime (${url}) could not be loaded: ${(error as Error).message}`, {
        hint: "build moose-ts (npm run build in its folder; npm install does it) so dist/sdk/runtime.js exists",
        cause: error,
      });
    }
  })();
  return loading;
}

function packageRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(directory, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "moose-ts") return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new MooseError("RUNTIME_UNAVAILABLE", "cannot find the moose-ts package this SDK belongs to", { hint: "import the SDK from the moose-ts package" });
    directory = parent;
  }
}
