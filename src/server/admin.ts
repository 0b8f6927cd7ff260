/**
 * The admin API routes (already authenticated by http.ts):
 *   GET  /admin/inframap       the applied manifest, canonical JSON (empty manifest before the first migration)
 *   POST /admin/plan           body: a manifest → the plan from the applied state to it (plan JSON, docs/plan-json.md)
 *   GET  /admin/reality-check  drift between live ClickHouse/Kafka and the applied state
 */
import { canonicalManifestJson, fromStoredManifest, hashManifest, type Manifest, type StoredManifest } from "../manifest/index.js";
import type { PlanJson } from "../plan/json.js";
import type { AdminRequest, Reply } from "./http.js";
import { methodNotAllowed } from "./http.js";
import { manifestProblem } from "./manifest-body.js";
import type { RealityReport } from "./reality-check.js";

export interface AdminBackend {
  /** The manifest after the last applied migration. */
  appliedManifest(): Promise<Manifest>;
  /** Plan JSON for `from` → `to`. */
  plan(from: Manifest, to: Manifest): PlanJson;
  realityCheck(): Promise<RealityReport>;
}

export const MANIFEST_HASH_HEADER = "x-moose-manifest-hash";

export function adminRoutes(backend: AdminBackend): (request: AdminRequest) => Promise<Reply | undefined> {
  return async ({ method, route, body }) => {
    switch (route) {
      case "inframap": {
        if (method !== "GET") return methodNotAllowed("GET");
        const applied = await backend.appliedManifest();
        return {
          status: 200,
          body: canonicalManifestJson(applied),
          contentType: "application/json",
          headers: { [MANIFEST_HASH_HEADER]: hashManifest(applied) },
        };
      }
      case "plan": {
        if (method !== "POST") return methodNotAllowed("POST");
        const problem = manifestProblem(body);
        if (problem) return { status: 400, body: { error: `the request body is not a moose-ts manifest: ${problem}` } };
        const target = fromStoredManifest(body as StoredManifest);
        const applied = await backend.appliedManifest();
        return { status: 200, body: backend.plan(applied, target) };
      }
      case "reality-check": {
        if (method !== "GET") return methodNotAllowed("GET");
        return { status: 200, body: await backend.realityCheck() };
      }
      default:
        return undefined;
    }
  };
}
