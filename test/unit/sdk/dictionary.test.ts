/**
 * OlapDictionary (MooseStack's shape): its CREATE DICTIONARY statement for each kind of source and
 * layout, planned as a SqlResource named like it; the checks made at its line; the dictGet fragments.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../../../src/manifest/types.js";
import { getOlapDictionaries, getOlapDictionary, getRegistry, LifeCycle, OlapDictionary, OlapTable, registryToManifest, sql, type OlapDictionaryConfig } from "../../../src/sdk/index.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../../src/sdk/metadata.js";
import { RUNTIME_ENV_PREFIX } from "../../../src/sdk/runtime-env.js";

interface Product {
  ProductId: string;
  ProductName: string;
  Price: number;
  ParentId: number;
}

const columns: ColumnSpec[] = [
  { name: "ProductId", type: "String", nullable: false },
  { name: "ProductName", type: "String", nullable: false },
  { name: "Price", type: "Int32", nullable: true },
  { name: "ParentId", type: "UInt64", nullable: false },
];
const at = (line: number): InjectedMetadata => ({ [METADATA_MARKER]: 1, source: { file: "app/dictionaries.ts", line, col: 1 }, columns });
const products = () => new OlapTable<Product>("Products", {}, { ...at(1), schema: { type: "object" } });
const dictionary = (config: Partial<OlapDictionaryConfig<Product>>, name = "dict_products", line = 5) =>
  new OlapDictionary<Product>(name, { primaryKey: ["ProductId"], layout: { type: "COMPLEX_KEY_HASHED" }, lifetime: 3600, ...config }, at(line));

afterEach(() => getRegistry().clear());

describe("OlapDictionary", () => {
  it("is planned as a SqlResource: CREATE DICTIONARY after the table it reads, DROP DICTIONARY when it goes", () => {
    const table = products();
    const dict = dictionary({ sourceTable: table, columns: { ProductName: { defaultValue: "'unknown'", isInjective: true } } });
    expect(getOlapDictionary("dict_products")).toBe(dict);
    expect([...getOlapDictionaries().keys()]).toEqual(["dict_products"]);
    expect(registryToManifest().sqlResources).toEqual({
      dict_products: {
        name: "dict_products",
        setup: [
          "CREATE DICTIONARY IF NOT EXISTS dict_products (ProductId String, ProductName String DEFAULT 'unknown' INJECTIVE, Price Nullable(Int32), ParentId UInt64) " +
            "PRIMARY KEY ProductId SOURCE(CLICKHOUSE(TABLE 'Products')) LAYOUT(COMPLEX_KEY_HASHED()) LIFETIME(3600)",
        ],
        teardown: ["DROP DICTIONARY IF EXISTS dict_products"],
        pullsDataFrom: ["Products"],
        pushesDataTo: [],
        source: { file: "app/dictionaries.ts", line: 5, col: 1 },
      },
    });
  });

  it("reads a query through a View of its own, and writes layout parameters, a lifetime range, settings, a comment and hierarchy", () => {
    const table = products();
    const dict = dictionary({
      sourceQuery: sql`SELECT ProductId, ProductName, Price, ParentId FROM ${table} WHERE Price > ${0}`,
      sourceTables: [table],
      invalidateQuery: "SELECT max(updated) FROM Products",
      primaryKey: ["ParentId"],
      layout: { type: "HASHED", initialArraySize: 1024, maxLoadFactor: 0.5 },
      lifetime: { min: 60, max: 300 },
      columns: { ParentId: { isHierarchical: true }, Price: { expression: "Price * 100" } },
      settings: { format_csv_allow_single_quotes: "0", dictionary_use_async_executor: "true" },
      comment: "products' names",
    });
    expect(dict.createStatement).toBe(
      "CREATE DICTIONARY IF NOT EXISTS dict_products (ProductId String, ProductName String, Price Nullable(Int32) EXPRESSION Price * 100, ParentId UInt64 HIERARCHICAL) " +
        "PRIMARY KEY ParentId SOURCE(CLICKHOUSE(TABLE 'dict_products_source' INVALIDATE_QUERY 'SELECT max(updated) FROM Products')) " +
        "LAYOUT(HASHED(INITIAL_ARRAY_SIZE 1024 MAX_LOAD_FACTOR 0.5)) LIFETIME(MIN 60 MAX 300) " +
        "SETTINGS(format_csv_allow_single_quotes = 0, dictionary_use_async_executor = 'true') COMMENT 'products\\' names'",
    );
    // The query is a View of the app the dictionary reads as a table (a dictionary's QUERY would run in the default database).
    const manifest = registryToManifest();
    expect(manifest.views.dict_products_source).toMatchObject({ sql: "SELECT ProductId, ProductName, Price, ParentId FROM Products WHERE Price > 0", sourceTables: ["Products"] });
    expect(manifest.sqlResources.dict_products?.pullsDataFrom).toEqual(["dict_products_source"]);
  });

  it("writes external sources with ClickHouse's keywords", () => {
    const external = (externalSource: OlapDictionaryConfig<Product>["externalSource"], name: string) => dictionary({ externalSource }, name).createStatement.replace(/.* SOURCE\((.*)\) LAYOUT.*/, "$1");
    expect(external({ type: "postgresql", host: "pg", port: 5432, user: "moose", password: "s'cret", db: "shop", table: "products", whereClause: "active" }, "pg")).toBe(
      "POSTGRESQL(HOST 'pg' PORT 5432 USER 'moose' PASSWORD 's\\'cret' DB 'shop' TABLE 'products' WHERE 'active')",
    );
    expect(external({ type: "mysql", host: "db", port: 3306, user: "u", password: "p", db: "d", table: "t", query: "SELECT 1" }, "my")).toBe("MYSQL(HOST 'db' PORT 3306 USER 'u' PASSWORD 'p' DB 'd' TABLE 't' QUERY 'SELECT 1')");
    expect(external({ type: "http", url: "https://example.com/products.json", format: "JSONEachRow" }, "web")).toBe("HTTP(URL 'https://example.com/products.json' FORMAT 'JSONEachRow')");
    expect(external({ type: "redis", host: "cache", port: 6379, dbIndex: 2, storageType: "hash_map" }, "kv")).toBe("REDIS(HOST 'cache' PORT 6379 DB_INDEX 2 STORAGE_TYPE 'hash_map')");
    expect(external({ type: "mongodb", host: "mongo", port: 27017, user: "u", password: "p", db: "d", collection: "c" }, "mongo")).toBe("MONGODB(HOST 'mongo' PORT 27017 USER 'u' PASSWORD 'p' DB 'd' COLLECTION 'c')");
    expect(external({ type: "executable", command: "cat products.tsv", format: "TabSeparated", implicitKey: true }, "exe")).toBe("EXECUTABLE(COMMAND 'cat products.tsv' FORMAT 'TabSeparated' IMPLICIT_KEY 1)");
    expect(registryToManifest().sqlResources.pg?.pullsDataFrom).toEqual([]);
  });

  it("refuses at its line what ClickHouse would refuse later, or what would put a secret marker into a migration file", () => {
    const table = products();
    const refused = (config: Partial<OlapDictionaryConfig<Product>>, line: number) => {
      try {
        dictionary(config, `d${line}`, line);
      } catch (error) {
        expect(error).toMatchObject({ location: { file: "app/dictionaries.ts", line } });
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
      throw new Error("not refused");
    };
    expect(refused({}, 10)).toBe('INVALID_DICTIONARY: OLAP dictionary "d10" has no source');
    expect(refused({ sourceTable: table, sourceQuery: sql`SELECT 1`, sourceTables: [table] }, 11)).toBe('INVALID_DICTIONARY: OLAP dictionary "d11" has sourceTable and sourceQuery');
    expect(refused({ sourceQuery: sql`SELECT 1` }, 12)).toBe('INVALID_DICTIONARY: OLAP dictionary "d12" has a sourceQuery without sourceTables');
    expect(refused({ sourceTable: table, primaryKey: ["Sku" as never] }, 13)).toBe('UNKNOWN_FIELD: OLAP dictionary "d13" primaryKey names "Sku", which is not a field of its type');
    expect(refused({ sourceTable: table, primaryKey: ["ProductId", "ParentId"], layout: { type: "HASHED" } }, 14)).toBe(
      'INVALID_DICTIONARY: OLAP dictionary "d14" has 2 key fields and the HASHED layout, which takes one',
    );
    expect(refused({ sourceTable: table, lifetime: { min: 10, max: 5 } }, 15)).toBe('INVALID_DICTIONARY: OLAP dictionary "d15" has lifetime min 10 over max 5');
    expect(refused({ externalSource: { type: "s3", url: "s3://b/p.csv", format: "CSV" } }, 16)).toMatch(/^INVALID_DICTIONARY: OLAP dictionary "d16" has an s3 external source/);
    const marker = `${RUNTIME_ENV_PREFIX}PG_PASSWORD`;
    expect(refused({ externalSource: { type: "postgresql", host: "pg", port: 5432, user: "u", password: marker, db: "d", table: "t" } }, 17)).toBe(
      'RUNTIME_ENV_IN_DDL: OLAP dictionary "d17" uses mooseRuntimeEnv.get() for password',
    );
    expect(refused({ sourceTable: table, layout: { type: "MAGIC" } as never }, 18)).toMatch(/^INVALID_DICTIONARY: OLAP dictionary "d18" has layout "MAGIC"/);
    expect(registryToManifest().sqlResources).toEqual({});
  });

  it("is left to you when EXTERNALLY_MANAGED, and names the options it accepts without applying", () => {
    const table = products();
    dictionary({ sourceTable: table, lifeCycle: LifeCycle.EXTERNALLY_MANAGED }, "theirs");
    dictionary({ sourceTable: table, database: "other", clusterName: "events" }, "ours", 6);
    expect(Object.keys(registryToManifest().sqlResources)).toEqual(["ours"]);
    expect([...getOlapDictionaries().keys()]).toEqual(["theirs", "ours"]);
    expect(getRegistry().noticeList().map((notice) => notice.message)).toEqual([
      'OLAP dictionary "ours": database, clusterName are accepted but not applied by moose-ts (see docs/moosestack-differences.md)',
    ]);
  });

  it("writes dictGet, dictGetOrDefault and dictHas fragments: a tuple key for a complex layout or several keys", () => {
    const table = products();
    const complex = dictionary({ sourceTable: table });
    const simple = dictionary({ sourceTable: table, primaryKey: ["ParentId"], layout: { type: "FLAT" } }, "parents");
    expect(sql`SELECT ${complex.get("ProductName", "product_id")} AS name FROM ${table}`.strings.join("")).toBe("SELECT dictGet('dict_products', 'ProductName', tuple(product_id)) AS name FROM ");
    expect(simple.get("ProductName", 42).strings.join("")).toBe("dictGet('parents', 'ProductName', 42)");
    expect(complex.getOrDefault("Price", sql`0`, "a", "b").strings.join("")).toBe("dictGetOrDefault('dict_products', 'Price', tuple(a, b), 0)");
    expect(simple.has(sql`toUInt64(id)`).strings.join("")).toBe("dictHas('parents', toUInt64(id))");
    // A key column that needs quoting is quoted as an identifier.
    expect(simple.has("product id").strings.join("")).toBe("dictHas('parents', `product id`)");
    expect(() => complex.get("Colour" as never, "id")).toThrow('OLAP dictionary "dict_products" has no attribute "Colour"');
    expect(() => complex.has()).toThrow("needs its key");
  });
});
