/** Registry → Manifest: every registered component contributes its spec under its id. */
import { emptyManifest, type Manifest } from "../manifest/types.js";
import type { Api } from "./api.js";
import type { IngestApi } from "./ingest-api.js";
import type { MaterializedView } from "./materialized-view.js";
import type { OlapTable } from "./olap-table.js";
import { processSpecs } from "./processes.js";
import { getRegistry, type Registry } from "./registry.js";
import type { SqlResource } from "./sql-resource.js";
import type { Stream } from "./stream.js";
import type { View } from "./view.js";
import type { Workflow } from "./workflow.js";

export function registryToManifest(registry: Registry = getRegistry()): Manifest {
  const manifest = emptyManifest();
  for (const table of registry.list<OlapTable<unknown>>("tables")) manifest.tables[table.id] = table.toSpec();
  for (const stream of registry.list<Stream<unknown>>("streams")) manifest.streams[stream.id] = stream.toSpec();
  for (const view of registry.list<View>("views")) manifest.views[view.id] = view.toSpec();
  for (const view of registry.list<MaterializedView<unknown>>("materializedViews")) manifest.materializedViews[view.id] = view.toSpec();
  for (const api of registry.list<Api<unknown>>("apis")) manifest.apis[api.id] = api.toSpec();
  for (const api of registry.list<IngestApi<unknown>>("ingestApis")) manifest.ingestApis[api.id] = api.toSpec();
  for (const workflow of registry.list<Workflow>("workflows")) manifest.workflows[workflow.id] = workflow.toSpec();
  for (const resource of registry.list<SqlResource>("sqlResources")) manifest.sqlResources[resource.id] = resource.toSpec();
  manifest.processes = processSpecs(registry);
  return manifest;
}
