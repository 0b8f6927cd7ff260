/**
 * OlapDictionary through the whole pipeline, on the embedded engine: a TypeScript app is built (the
 * plugin injects the attributes from the type argument; ClickHouse's parser reads every CREATE
 * DICTIONARY of the app, whatever its layout or source), `migrate generate` writes each dictionary
 * as a SQL resource after the table it reads, `migrate up` creates them without --allow-data-loss,
 * dictGet reads them (defaults, hierarchy), and removing a dictionary drops it and keeps the table's rows.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractManifest } from "../../../src/extract/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { generateMigration } from "../../../src/migrations/generate.js";
import { applyMigrations } from "../../../src/migrations/runner/apply.js";
import { useEmbeddedDatabase } from "../../helpers/clickhouse.js";
import { tempProject, type TempProject } from "../../unit/migrations/helpers.js";

const engine = useEmbeddedDatabase("dictionaries");
let driver: ClickHouseDriver;
let project: TempProject;
let clock = Date.parse("2026-01-01T00:00:00Z");

const MODELS = `import { OlapDictionary, OlapTable, sql, type Key, type UInt64 } from "moose-ts";

export interface Product {
  ProductId: Key<string>;
  ProductName: string;
  Price: number;
}

export interface Category {
  CategoryId: UInt64;
  Name: string;
  ParentId: UInt64;
}

export const products = new OlapTable<Product>("Products");
export const categories = new OlapTable<Category>("Categories", { orderByFields: ["CategoryId"] });
`;

const DICTIONARIES = `
interface ProductLookup {
  ProductId: string;
  ProductName: string;
  Price: number;
}

export const productNames = new OlapDictionary<ProductLookup>("dict_products", {
  sourceTable: products,
  primaryKey: ["ProductId"],
  columns: { ProductName: { defaultValue: "'unknown'" } },
  layout: { type: "COMPLEX_KEY_HASHED", initialArraySize: 1024 },
  lifetime: { min: 0, max: 300 },
  comment: "names by product",
});

export const tree = new OlapDictionary<Category>("dict_categories", {
  sourceQuery: sql\`SELECT CategoryId, Name, ParentId FROM \${categories} WHERE CategoryId > \${0}\`,
  sourceTables: [categories],
  primaryKey: ["CategoryId"],
  columns: { ParentId: { isHierarchical: true } },
  layout: { type: "FLAT" },
  lifetime: 0,
  settings: { dictionary_use_async_executor: "1" },
});

// Never loaded here (nothing listens): ClickHouse's parser still reads each at build time.
export const remote = new OlapDictionary<ProductLookup>("dict_remote", {
  externalSource: { type: "postgresql", host: "pg.internal", port: 5432, user: "reader", password: "pw", db: "shop", table: "products", invalidateQuery: "SELECT max(updated_at) FROM products" },
  primaryKey: ["ProductId"],
  layout: { type: "COMPLEX_KEY_CACHE", sizeInCells: 10000 },
  lifetime: 60,
});
export const feed = new OlapDictionary<Category>("dict_feed", {
  externalSource: { type: "http", url: "https://example.com/categories.tsv", format: "TabSeparated" },
  primaryKey: ["CategoryId"],
  layout: { type: "HASHED_ARRAY", shards: 2 },
  lifetime: { min: 300, max: 600 },
});
`;

function writeApp(source: string): void {
  mkdirSync(path.join(project.dir, "app"), { recursive: true });
  writeFileSync(path.join(project.dir, "app", "index.ts"), source);
}

async function deploy(source: string) {
  writeApp(source);
  const manifest = await extractManifest({ projectDir: project.dir });
  clock += 60_000;
  const generated = await generateMigration({ projectDir: project.dir, manifest, allowDataLoss: true, now: new Date(clock) });
  expect(generated.kind).toBe("written");
  return { manifest, applied: await applyMigrations({ projectDir: project.dir, driver, allowDataLoss: false }) };
}

beforeEach(() => {
  project = tempProject("moose-dictionaries-");
  driver = engine();
});
afterEach(async () => {
  for (const name of ["dict_products", "dict_categories", "dict_remote", "dict_feed"]) await driver.exec(`DROP DICTIONARY IF EXISTS ${name}`);
  project.remove();
});

describe("OlapDictionary in a built app", () => {
  it("is created after the table it reads, without --allow-data-loss, and dictGet reads it", async () => {
    const { manifest } = await deploy(MODELS + DICTIONARIES);
    expect(Object.keys(manifest.sqlResources).sort()).toEqual(["dict_categories", "dict_feed", "dict_products", "dict_remote"]);
    expect(manifest.sqlResources.dict_products?.setup).toEqual([
      "CREATE DICTIONARY IF NOT EXISTS dict_products (ProductId String, ProductName String DEFAULT 'unknown', Price Float64) PRIMARY KEY ProductId " +
        "SOURCE(CLICKHOUSE(TABLE 'Products')) LAYOUT(COMPLEX_KEY_HASHED(INITIAL_ARRAY_SIZE 1024)) LIFETIME(MIN 0 MAX 300) COMMENT 'names by product'",
    ]);
    const line = (MODELS + DICTIONARIES).split("\n").findIndex((text) => text.includes('new OlapDictionary<ProductLookup>("dict_products"')) + 1;
    expect(manifest.sqlResources.dict_products?.source).toMatchObject({ file: "app/index.ts", line });

    await driver.exec("INSERT INTO Products VALUES ('p1', 'Pen', 3), ('p2', 'Book', 12)");
    await driver.exec("INSERT INTO Categories VALUES (1, 'All', 0), (2, 'Paper', 1), (3, 'Notebooks', 2)");
    await driver.exec("SYSTEM RELOAD DICTIONARY dict_products");
    await driver.exec("SYSTEM RELOAD DICTIONARY dict_categories");
    expect(await driver.query("SELECT dictGet('dict_products', 'ProductName', tuple('p2')) AS name, dictGet('dict_products', 'ProductName', tuple('zz')) AS missing")).toEqual([
      { name: "Book", missing: "unknown" },
    ]);
    expect(await driver.query("SELECT dictGetHierarchy('dict_categories', toUInt64(3)) AS path")).toEqual([{ path: ["3", "2", "1"] }]);
  });

  it("is dropped when it leaves the code; the table it read keeps its rows", async () => {
    await deploy(MODELS + DICTIONARIES);
    await driver.exec("INSERT INTO Products VALUES ('p1', 'Pen', 3)");
    const { applied } = await deploy(MODELS);
    expect(applied.migrations).toHaveLength(1);
    expect(await driver.query("SELECT count() AS n FROM system.dictionaries WHERE database = currentDatabase()")).toEqual([{ n: "0" }]);
    expect(await driver.query("SELECT count() AS n FROM Products")).toEqual([{ n: "1" }]);
  });

  it("a primaryKey that is not a field of its type stops the build at its line", async () => {
    writeApp(`${MODELS}
export const broken = new OlapDictionary<Product>("dict_broken", {
  sourceTable: products,
  primaryKey: ["Sku" as "ProductId"],
  layout: { type: "COMPLEX_KEY_HASHED" },
  lifetime: 0,
});
`);
    await expect(extractManifest({ projectDir: project.dir })).rejects.toMatchObject({
      code: "UNKNOWN_FIELD",
      message: 'OLAP dictionary "dict_broken" primaryKey names "Sku", which is not a field of its type',
      location: { file: "app/index.ts", line: 18 },
    });
  });
});
