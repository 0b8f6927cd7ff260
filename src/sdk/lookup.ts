/** MooseStack's registry lookups: what the app has registered so far, by name (versioned id for tables and streams). */
import type { Api } from "./api.js";
import type { OlapDictionary } from "./dictionary.js";
import type { IngestApi } from "./ingest-api.js";
import type { MaterializedView } from "./materialized-view.js";
import type { OlapTable } from "./olap-table.js";
import { getRegistry, type Component } from "./registry.js";
import type { Stream } from "./stream.js";
import type { View } from "./view.js";
import type { SqlResource } from "./sql-resource.js";
import type { SelectRowPolicy } from "./select-row-policy.js";
import type { WebApp } from "./web-app.js";
import type { Workflow } from "./workflow.js";
import type { ComponentKind } from "../manifest/types.js";

function all<C>(kind: ComponentKind): Map<string, C> {
  return new Map(getRegistry().list<Component>(kind).map((component) => [component.id, component as unknown as C]));
}

function one<C>(kind: ComponentKind, name: string): C | undefined {
  const registry = getRegistry();
  const byId = registry.get<Component>(kind, name);
  if (byId) return byId as unknown as C;
  return registry.list<Component & { name?: string }>(kind).find((component) => component.name === name) as unknown as C | undefined;
}

export const getTables = (): Map<string, OlapTable<any>> => all("tables");
export const getTable = (name: string): OlapTable<any> | undefined => one("tables", name);
export const getStreams = (): Map<string, Stream<any>> => all("streams");
export const getStream = (name: string): Stream<any> | undefined => one("streams", name);
export const getIngestApis = (): Map<string, IngestApi<any>> => all("ingestApis");
export const getIngestApi = (name: string): IngestApi<any> | undefined => one("ingestApis", name);
export const getApis = (): Map<string, Api<any>> => all("apis");
export const getApi = (nameOrPath: string): Api<any> | undefined => one("apis", nameOrPath);
export const getViews = (): Map<string, View> => all("views");
export const getView = (name: string): View | undefined => one("views", name);
export const getMaterializedViews = (): Map<string, MaterializedView<any>> => all("materializedViews");
export const getMaterializedView = (name: string): MaterializedView<any> | undefined => one("materializedViews", name);
export const getWorkflows = (): Map<string, Workflow> => all("workflows");
export const getWorkflow = (name: string): Workflow | undefined => one("workflows", name);
export const getSqlResources = (): Map<string, SqlResource> => all("sqlResources");
export const getSqlResource = (name: string): SqlResource | undefined => one("sqlResources", name);
export const getOlapDictionaries = (): Map<string, OlapDictionary<any>> => getRegistry().listOther<OlapDictionary<any>>("OlapDictionary");
export const getOlapDictionary = (name: string): OlapDictionary<any> | undefined => getOlapDictionaries().get(name);
export const getSelectRowPolicies = (): Map<string, SelectRowPolicy> => getRegistry().listOther<SelectRowPolicy>("SelectRowPolicy");
export const getSelectRowPolicy = (name: string): SelectRowPolicy | undefined => getSelectRowPolicies().get(name);
export const getWebApps = (): Map<string, WebApp> => getRegistry().listOther<WebApp>("WebApp");
export const getWebApp = (name: string): WebApp | undefined => getRegistry().listOther<WebApp>("WebApp").get(name);
