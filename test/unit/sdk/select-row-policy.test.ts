/**
 * SelectRowPolicy (MooseStack's shape): planned as a SqlResource named like it whose spec carries the
 * policy; its statements; the checks made at its line; the claim → setting mapping the server and
 * getMooseUtils({ rlsContext }) use; the registry lookups.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import {
  buildRowPolicyOptionsFromClaims,
  getMooseUtils,
  getRegistry,
  getSelectRowPolicies,
  getSelectRowPolicy,
  MOOSE_RLS_ROLE,
  MOOSE_RLS_SETTING_PREFIX,
  MOOSE_RLS_USER,
  OlapTable,
  registryToManifest,
  SelectRowPolicy,
} from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { manifestProblems } from "../../../src/manifest/index.js";

interface Event {
  eventId: string;
  org_id: string;
}

const columns: ColumnSpec[] = [
  { name: "eventId", type: "String", nullable: false },
  { name: "org_id", type: "String", nullable: false },
];
const at = (line: number, withColumns = true): InjectedMetadata => ({ [METADATA_MARKER]: 1, source: { file: "app/policies.ts", line, col: 1 }, ...(withColumns ? { columns } : {}) });
const events = (name = "Events", config = {}) => new OlapTable<Event>(name, { orderByFields: ["eventId"], ...config }, { ...at(1), schema: { type: "object" } });

afterEach(() => getRegistry().clear());

describe("SelectRowPolicy", () => {
  it("is planned as a SqlResource: the role, its SELECT grant and a restrictive policy per table; DROP ROW POLICY when it goes", () => {
    const table = events();
    const archive = events("Archive", { version: "1.0" });
    const policy = new SelectRowPolicy("tenant_isolation", { tables: [table, archive], column: "org_id", claim: "org" }, at(7));
    expect(getSelectRowPolicy("tenant_isolation")).toBe(policy);
    expect([...getSelectRowPolicies().keys()]).toEqual(["tenant_isolation"]);
    expect(policy.tableRefs).toEqual([{ name: "Events" }, { name: "Archive_1_0" }]);
    const manifest = registryToManifest();
    expect(manifest.sqlResources).toEqual({
      tenant_isolation: {
        name: "tenant_isolation",
        setup: [
          "CREATE ROLE IF NOT EXISTS moose_rls_role",
          "GRANT SELECT ON * TO moose_rls_role",
          "CREATE ROW POLICY OR REPLACE tenant_isolation ON Events AS RESTRICTIVE FOR SELECT USING org_id = getSetting('SQL_moose_rls_org_id') TO moose_rls_role",
          "CREATE ROW POLICY OR REPLACE tenant_isolation ON Archive_1_0 AS RESTRICTIVE FOR SELECT USING org_id = getSetting('SQL_moose_rls_org_id') TO moose_rls_role",
        ],
        teardown: ["DROP ROW POLICY IF EXISTS tenant_isolation ON Events", "DROP ROW POLICY IF EXISTS tenant_isolation ON Archive_1_0"],
        pullsDataFrom: ["Events", "Archive_1_0"],
        pushesDataTo: [],
        rowPolicy: { tables: ["Events", "Archive_1_0"], column: "org_id", claim: "org" },
        source: { file: "app/policies.ts", line: 7, col: 1 },
      },
    });
    expect(manifestProblems(manifest)).toEqual([]);
  });

  it("quotes names that need it", () => {
    const table = new OlapTable<Event>("tenant events", { orderByFields: ["eventId"] }, { ...at(1), columns: [...columns, { name: "org`id", type: "String", nullable: false }], schema: { type: "object" } });
    new SelectRowPolicy("by org", { tables: [table], column: "org`id" as never, claim: "org" }, at(2));
    expect(registryToManifest().sqlResources["by org"]?.setup[2]).toBe(
      "CREATE ROW POLICY OR REPLACE `by org` ON `tenant events` AS RESTRICTIVE FOR SELECT USING `org\\`id` = getSetting('SQL_moose_rls_org`id') TO moose_rls_role",
    );
  });

  it("refuses, at its line, an empty name, no tables, an empty column or claim, and a table without the column", () => {
    const table = events();
    const refused = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        return { code: (error as { code: string }).code, message: (error as Error).message, line: (error as { location?: { line: number } }).location?.line };
      }
      throw new Error("not refused");
    };
    expect(refused(() => new SelectRowPolicy(" ", { tables: [table], column: "org_id", claim: "org" }, at(3)))).toMatchObject({ code: "INVALID_ROW_POLICY", line: 3, message: expect.stringMatching(/name is empty/) });
    expect(refused(() => new SelectRowPolicy("p", { tables: [] as never, column: "org_id", claim: "org" }, at(4)))).toMatchObject({ line: 4, message: expect.stringMatching(/tables is empty/) });
    expect(refused(() => new SelectRowPolicy("p", { tables: [table], column: "" as never, claim: "org" }, at(5)))).toMatchObject({ message: expect.stringMatching(/column is empty/) });
    expect(refused(() => new SelectRowPolicy("p", { tables: [table], column: "org_id", claim: " " }, at(6)))).toMatchObject({ message: expect.stringMatching(/claim is empty/) });
    expect(refused(() => new SelectRowPolicy("p", { tables: [table], column: "tenant" as never, claim: "org" }, at(7)))).toMatchObject({
      line: 7,
      message: 'SelectRowPolicy "p": table Events has no column tenant',
    });
    new SelectRowPolicy("p", { tables: [table], column: "org_id", claim: "org" }, at(8));
    expect(refused(() => new SelectRowPolicy("p", { tables: [table], column: "org_id", claim: "org" }, at(9)))).toMatchObject({ code: "DUPLICATE_COMPONENT", line: 9 });
  });

  it("buildRowPolicyOptionsFromClaims: each policy's setting from its claim; an absent claim stays unset, so the server refuses the query", () => {
    expect([MOOSE_RLS_ROLE, MOOSE_RLS_USER, MOOSE_RLS_SETTING_PREFIX]).toEqual(["moose_rls_role", "moose_rls_user", "SQL_moose_rls_"]);
    const config = { SQL_moose_rls_org_id: "org", SQL_moose_rls_region: "region", SQL_moose_rls_tier: "tier" };
    expect(buildRowPolicyOptionsFromClaims(config, { org: "acme", tier: 3, region: null, toString: "x" })).toEqual({
      role: "moose_rls_role",
      clickhouse_settings: { SQL_moose_rls_org_id: "acme", SQL_moose_rls_tier: "3" },
    });
    // A claim named like an Object.prototype member is not read from the prototype.
    expect(buildRowPolicyOptionsFromClaims({ SQL_moose_rls_x: "constructor" }, {}).clickhouse_settings).toEqual({});
  });

  it("getMooseUtils({ rlsContext }) in an app without a SelectRowPolicy is an error at the caller's line, not an unscoped client", async () => {
    await expect(getMooseUtils({ rlsContext: { org_id: "acme" } })).rejects.toMatchObject({
      code: "RLS_NO_POLICIES",
      location: { file: expect.stringMatching(/select-row-policy\.test\.ts$/), line: expect.any(Number) },
    });
  });
});
