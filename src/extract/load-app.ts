/**
 * loadApp: build the app and import it into THIS process, returning the live objects it
 * registered (Api handlers, tables, workflows…). The registry is process-wide (see
 * src/sdk/registry.ts), so what the bundle's SDK copy registered is what is returned here.
 */
import path from "node:path";
import type { Manifest } from "../manifest/types.js";
import type { Api } from "../sdk/api.js";
import type { IngestApi } from "../sdk/ingest-api.js";
import type { OlapTable } from "../sdk/olap-table.js";
import { getRegistry, Registry, type Component } from "../sdk/registry.js";
import type { ComponentKind } from "../manifest/types.js";
import type { Stream } from "../sdk/stream.js";
import type { Workflow } from "../sdk/workflow.js";
import type { PythonWebApp } from "./build-cache.js";
import { bundleApp, MANIFEST_EXPORT } from "./bundle.js";
import { typeScriptError } from "./diagnostic.js";
import { resolveMainFile } from "./main-file.js";
import { ProgramSession } from "./program.js";
import { importBundle } from "./run.js";
import { projectLanguage } from "./python/index.js";

export interface LoadedApp {
  /** A Python app has no live objects here: its manifest only (its Api handlers run in a Python worker). */
  language: "typescript" | "python";
  registry: Registry;
  manifest: Manifest;
  /** API objects by path (`name` or `name/version`); call `api.getHandler()(params, utils)`. */
  apis: Map<string, Api<any, any>>;
  ingestApis: Map<string, IngestApi<any>>;
  tables: Map<string, OlapTable<any>>;
  streams: Map<string, Stream<any>>;
  workflows: Map<string, Workflow>;
  /** The app module's own exports. */
  exports: Record<string, unknown>;
  /** A Python app's WebApps (not in its manifest; its worker serves them). */
  pythonWebApps: readonly PythonWebApp[];
}

export async function loadApp(projectDirInput: string, mainFileInput?: string): Promise<LoadedApp> {
  const projectDir = path.resolve(projectDirInput);
  if (projectLanguage(projectDir, mainFileInput) === "python") return loadPythonApp(projectDir, mainFileInput);
  const mainFile = resolveMainFile(projectDir, mainFileInput);
  const session = new ProgramSession(projectDir, [mainFile]);
  session.update();
  const errors = session.typeErrors();
  if (errors.length > 0) throw typeScriptError(errors, projectDir);
  const bundle = await bundleApp(projectDir, mainFile, session, "app-live.mjs");
  const exports = await importBundle(bundle.file);
  const registry = getRegistry();
  // The manifest exactly as `moose build` gives it ([features] streaming_engine applied).
  const { withStreamingFeature } = await import("./index.js");
  const manifest = await withStreamingFeature(projectDir, (exports[MANIFEST_EXPORT] as () => Manifest)());
  return {
    language: "typescript",
    registry,
    manifest,
    apis: byId<Api<any, any>>(registry, "apis"),
    ingestApis: byId<IngestApi<any>>(registry, "ingestApis"),
    tables: byId<OlapTable<any>>(registry, "tables"),
    streams: byId<Stream<any>>(registry, "streams"),
    workflows: byId<Workflow>(registry, "workflows"),
    exports,
    pythonWebApps: [],
  };
}

/**
 * A Python app: its manifest (ingest APIs are served from it) and no live objects; the server runs
 * its Api handlers in a Python worker (src/server/python-worker.ts).
 */
async function loadPythonApp(projectDir: string, mainFile?: string): Promise<LoadedApp> {
  // The manifest exactly as `moose build` gives it ([features] streaming_engine applied).
  const { extractApp } = await import("./index.js");
  const { manifest, pythonWebApps } = await extractApp({ projectDir, mainFile });
  return { language: "python", registry: new Registry(), manifest, apis: new Map(), ingestApis: new Map(), tables: new Map(), streams: new Map(), workflows: new Map(), exports: {}, pythonWebApps };
}

function byId<C extends Component>(registry: Registry, kind: ComponentKind): Map<string, C> {
  return new Map(registry.list<C>(kind).map((component) => [component.id, component]));
}
