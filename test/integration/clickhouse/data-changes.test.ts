/**
 * What schema changes do to existing rows: the docs' "Migration Types" table row by row, the
 * checked type change, and the data-keeping table rebuild.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { recreateTableSql } from "../../../src/infra/clickhouse/ddl.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { executeSqlStep, type RowProgress } from "../../../src/infra/clickhouse/executor.js";
import type { ColumnSpec, TableSpec } from "../../../src/manifest/types.js";
import type { SqlStep } from "../../../src/steps/index.js";
import { operationSteps } from "../../../src/plan/steps.js";
import { applyOperation, tempDataDir } from "../../helpers/clickhouse.js";
import { column, liveColumns, op, rowCount, table } from "./fixtures.js";

const data = tempDataDir();
let driver: ClickHouseDriver;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

async function refusal(promise: Promise<unknown>): Promise<MooseError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MooseError);
  return error as MooseError;
}

async function typeOf(tableName: string, columnName: string): Promise<string | undefined> {
  return (await liveColumns(driver, tableName)).find((c) => c.name === columnName)?.type;
}

/** A table with the given column and rows, created fresh. */
async function tableWith(name: string, spec: ColumnSpec, values: unknown[]): Promise<TableSpec> {
  const created = table(name, [column("id", "UInt64"), spec]);
  await driver.exec(`DROP TABLE IF EXISTS ${name}`);
  await applyOperation(driver, op({ kind: "createTable", target: name, summary: "", table: created }));
  await driver.insert(
    name,
    values.map((value, i) => ({ id: i + 1, [spec.name]: value })),
  );
  return created;
}

function modify(tableName: string, from: ColumnSpec, to: ColumnSpec) {
  return op({ kind: "modifyColumn", target: tableName, summary: "", table: tableName, from, to, changed: ["type"] });
}

async function values(tableName: string, columnName: string): Promise<unknown[]> {
  const rows = await driver.query<Record<string, unknown>>(`SELECT \`${columnName}\` AS v FROM ${tableName} ORDER BY id`);
  return rows.map((row) => row.v);
}

describe("Migration Types (docs), row by row", () => {
  it("Add new object → new table created; other data untouched", async () => {
    await tableWith("keep", column("v", "String"), ["a"]);
    await applyOperation(driver, op({ kind: "createTable", target: "fresh", summary: "", table: table("fresh", [column("id", "UInt64")]) }));
    expect(await rowCount(driver, "fresh")).toBe(0);
    expect(await values("keep", "v")).toEqual(["a"]);
  });

  it("Remove object → table dropped, all data lost", async () => {
    const dropped = await tableWith("doomed", column("v", "String"), ["a", "b"]);
    await applyOperation(driver, op({ kind: "dropTable", target: "doomed", summary: "", table: dropped }));
    expect(await driver.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'doomed'")).toEqual([]);
  });

  it("Add field → existing rows get NULL (optional field) or the DEFAULT", async () => {
    await tableWith("people", column("name", "String"), ["ada", "bob"]);
    const add = (spec: ColumnSpec) => applyOperation(driver, op({ kind: "addColumn", target: "people", summary: "", table: "people", column: spec, position: { after: null } }));
    await add(column("nickname", "String", { nullable: true }));
    await add(column("country", "String", { default: "'NZ'" }));
    await add(column("visits", "UInt32"));
    expect(await values("people", "nickname")).toEqual([null, null]);
    expect(await values("people", "country")).toEqual(["NZ", "NZ"]);
    expect(await values("people", "visits")).toEqual([0, 0]); // no DEFAULT: the type's default
    expect(await values("people", "name")).toEqual(["ada", "bob"]);
  });

  it("Remove field → column dropped, its data gone, the rest kept", async () => {
    await applyOperation(driver, op({ kind: "dropColumn", target: "people", summary: "", table: "people", column: column("country", "String", { default: "'NZ'" }) }));
    expect((await liveColumns(driver, "people")).map((c) => c.name)).not.toContain("country");
    expect(await values("people", "name")).toEqual(["ada", "bob"]);
  });

  it("Change type → data converted if compatible", async () => {
    await tableWith("counts", column("n", "Int32"), [1, -5, 2147483647]);
    await applyOperation(driver, modify("counts", column("n", "Int32"), column("n", "Int64")));
    expect(await typeOf("counts", "n")).toBe("Int64");
    expect(await values("counts", "n")).toEqual(["1", "-5", "2147483647"]);

    await tableWith("codes", column("code", "String"), ["12", "007", "-3"]);
    await applyOperation(driver, modify("codes", column("code", "String"), column("code", "Int32")));
    expect(await values("codes", "code")).toEqual([12, 7, -3]);
  });
});

describe("checked type change", () => {
  it("reports the check's progress: rows checked of the table's rows, from start to end", async () => {
    await driver.exec("CREATE TABLE many (id UInt64, code String) ENGINE = MergeTree ORDER BY id");
    await driver.exec("INSERT INTO many SELECT number, toString(number % 1000) FROM numbers(300000)");
    const events: RowProgress[] = [];
    await applyOperation(driver, modify("many", column("code", "String"), column("code", "Int32")), (event) => events.push(event));
    expect(events[0]).toEqual({ table: "many", activity: "check", rows: 0, totalRows: 300000, done: false });
    expect(events.at(-1)).toEqual({ table: "many", activity: "check", rows: 300000, totalRows: 300000, done: true });
    expect(events.every((event) => event.activity === "check" && event.rows <= 300000)).toBe(true);
  });

  it("refuses when rows would not convert: count, samples, ways forward; the table is untouched", async () => {
    await tableWith("raw_codes", column("code", "String"), ["12", "x1", "7", "", "nope", "a", "b", "c"]);
    const error = await refusal(applyOperation(driver, modify("raw_codes", column("code", "String"), column("code", "Int32"))));
    expect(error.code).toBe("TYPE_CONVERSION_REFUSED");
    expect(error.message).toContain("raw_codes.code → Int32");
    expect(error.message).toContain("6 of 8 rows");
    expect(error.details?.badRows).toBe(6);
    expect(error.details?.samples).toHaveLength(5);
    expect(error.message).toContain("'x1'");
    expect(error.hint).toContain("using");
    expect(error.hint).toContain("DEFAULT");
    expect(error.hint).toContain("new column");
    // Untouched: same type, every value readable, no mutation left behind.
    expect(await typeOf("raw_codes", "code")).toBe("String");
    expect(await values("raw_codes", "code")).toEqual(["12", "x1", "7", "", "nope", "a", "b", "c"]);
    expect(await driver.query("SELECT mutation_id FROM system.mutations WHERE database = currentDatabase() AND table = 'raw_codes' AND is_done = 0")).toEqual([]);
  });

  it("refuses a lossy conversion (fractions, overflow) that ClickHouse would make silently", async () => {
    await tableWith("ratios", column("r", "Float64"), [1, 1.5]);
    const fraction = await refusal(applyOperation(driver, modify("ratios", column("r", "Float64"), column("r", "Int32"))));
    expect(fraction.details).toMatchObject({ badRows: 1, samples: ["'1.5'"] });
    await tableWith("bigs", column("b", "Int64"), [1, 9999999999]);
    const overflow = await refusal(applyOperation(driver, modify("bigs", column("b", "Int64"), column("b", "Int32"))));
    expect(overflow.details).toMatchObject({ badRows: 1, samples: ["'9999999999'"] });
    expect(await typeOf("bigs", "b")).toBe("Int64");
  });

  it("NULLs into a non-Nullable column: refused when the statement gives no DEFAULT, else filled with it", async () => {
    await tableWith("maybe", column("m", "String", { nullable: true }), ["a", null]);
    // A hand-written step without a DEFAULT.
    const bare: SqlStep = { sql: "ALTER TABLE maybe MODIFY COLUMN m String", checkConversion: { table: "maybe", column: "m", toType: "String" } };
    const refused = await refusal(executeSqlStep(driver, bare));
    expect(refused.details).toMatchObject({ badRows: 1, samples: ["NULL"] });
    expect(await typeOf("maybe", "m")).toBe("Nullable(String)");
    await applyOperation(
      driver,
      op({ kind: "modifyColumn", target: "maybe", summary: "", table: "maybe", from: column("m", "String", { nullable: true }), to: column("m", "String", { default: "'none'" }), changed: ["nullable", "default"] }),
    );
    expect(await typeOf("maybe", "m")).toBe("String");
    expect(await values("maybe", "m")).toEqual(["a", "none"]);
  });

  it("generated steps without a DEFAULT store the type's default for NULLs (the statement says so)", async () => {
    await tableWith("maybe2", column("m", "String", { nullable: true }), ["a", null]);
    const change = op({ kind: "modifyColumn", target: "maybe2", summary: "", table: "maybe2", from: column("m", "String", { nullable: true }), to: column("m", "String"), changed: ["nullable"] });
    expect((operationSteps(change).up as SqlStep[]).some((step) => step.checkConversion && /\sDEFAULT\s/.test(step.sql))).toBe(true);
    await applyOperation(driver, change);
    expect(await typeOf("maybe2", "m")).toBe("String");
    expect(await values("maybe2", "m")).toEqual(["a", ""]);
  });

  it("converts with the step's `using` expression", async () => {
    await tableWith("loose", column("code", "String"), ["12", "x1", "7"]);
    const [step] = operationSteps(modify("loose", column("code", "String"), column("code", "Int32"))).up as SqlStep[];
    const withUsing: SqlStep = { ...step!, checkConversion: { ...step!.checkConversion!, using: "toInt32OrZero(code)" } };
    await executeSqlStep(driver, withUsing);
    expect(await typeOf("loose", "code")).toBe("Int32");
    expect(await values("loose", "code")).toEqual([12, 0, 7]);
    expect((await liveColumns(driver, "loose")).map((c) => c.name)).toEqual(["id", "code"]);
  });

  it("checks the `using` expression too", async () => {
    await tableWith("stillbad", column("code", "String"), ["12", "x1"]);
    const [step] = operationSteps(modify("stillbad", column("code", "String"), column("code", "Int32"))).up as SqlStep[];
    const error = await refusal(executeSqlStep(driver, { ...step!, checkConversion: { ...step!.checkConversion!, using: "toInt32OrNull(code)" } }));
    expect(error.code).toBe("TYPE_CONVERSION_REFUSED");
    expect(error.details).toMatchObject({ badRows: 1, samples: ["NULL"] });
    expect(await typeOf("stillbad", "code")).toBe("String");
  });

  it("reports a broken `using` expression as the query error it is", async () => {
    await tableWith("typo", column("code", "String"), ["12"]);
    const [step] = operationSteps(modify("typo", column("code", "String"), column("code", "Int32"))).up as SqlStep[];
    const error = await refusal(executeSqlStep(driver, { ...step!, checkConversion: { ...step!.checkConversion!, using: "toInt32OrZero(cod)" } }));
    expect(error.code).toBe("CLICKHOUSE_QUERY_FAILED");
    expect(error.details?.clickhouseCode).toBe(47);
    expect(await typeOf("typo", "code")).toBe("String");
  });

  it("refuses an expression conversion of a key column", async () => {
    await tableWith("keyed", column("v", "String"), ["1"]);
    const [step] = operationSteps(modify("keyed", column("id", "UInt64"), column("id", "Int64"))).up as SqlStep[];
    const error = await refusal(executeSqlStep(driver, { ...step!, checkConversion: { ...step!.checkConversion!, using: "toInt64(id)" } }));
    expect(error.code).toBe("TYPE_CONVERSION_KEY_COLUMN");
  });

  it("types accurateCastOrNull cannot check (arrays) are test-cast, and refused with ClickHouse's reason", async () => {
    await tableWith("lists", column("l", "Array(String)"), [["1", "2"], ["x"]]);
    const error = await refusal(applyOperation(driver, modify("lists", column("l", "Array(String)"), column("l", "Array(Int32)"))));
    expect(error.code).toBe("TYPE_CONVERSION_REFUSED");
    expect(error.message).toContain("at least one row");
    expect(error.message).toMatch(/ClickHouse: .*x/);
    expect(await typeOf("lists", "l")).toBe("Array(String)");
    await tableWith("goodlists", column("l", "Array(String)"), [["1", "2"], ["3"]]);
    await applyOperation(driver, modify("goodlists", column("l", "Array(String)"), column("l", "Array(Int32)")));
    expect(await values("goodlists", "l")).toEqual([[1, 2], [3]]);
  });
});

describe("table rebuild (ORDER BY / engine change) keeps every row", () => {
  const from = table("big", [column("id", "UInt64"), column("bucket", "UInt8"), column("note", "String")]);
  const to = { ...from, orderBy: ["bucket", "id"] };

  it("copies all rows with progress, verifies the count, swaps, drops the old copy", async () => {
    await applyOperation(driver, op({ kind: "createTable", target: "big", summary: "", table: from }));
    await driver.exec("INSERT INTO big SELECT number, number % 7, toString(number) FROM numbers(300000)");
    const before = await driver.query("SELECT sum(id) AS s, count() AS n FROM big");
    const events: RowProgress[] = [];
    await applyOperation(driver, op({ kind: "recreateTable", target: "big", summary: "", from, to, reasons: ["ORDER BY"] }), (event) => events.push(event));
    expect(await driver.query("SELECT sum(id) AS s, count() AS n FROM big")).toEqual(before);
    expect(await driver.query("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'big'")).toEqual([{ sorting_key: "bucket, id" }]);
    expect(events[0]).toEqual({ table: "big", activity: "copy", rows: 0, totalRows: 300000, done: false });
    expect(events[events.length - 1]).toEqual({ table: "big", activity: "copy", rows: 300000, totalRows: 300000, done: true });
    const copied = events.map((event) => event.rows);
    expect(copied).toEqual([...copied].sort((a, b) => a - b));
  });

  it("a copy run again (resumed after a crash) starts over instead of doubling rows", async () => {
    const steps = operationSteps(op({ kind: "recreateTable", target: "big", summary: "", from: to, to: from, reasons: [] })).up as SqlStep[];
    const copyStep = steps.find((step) => step.cause?.rebuild === "copy")!;
    for (const step of steps.slice(0, steps.indexOf(copyStep))) await executeSqlStep(driver, step);
    await executeSqlStep(driver, copyStep);
    await executeSqlStep(driver, copyStep);
    expect(await rowCount(driver, "big__moose_new")).toBe(300000);
    for (const step of steps.slice(steps.indexOf(copyStep) + 1)) await executeSqlStep(driver, step);
    expect(await rowCount(driver, "big")).toBe(300000);
  });

  it("refuses the exchange when rows arrived after the copy; the table keeps all its rows", async () => {
    const steps = operationSteps(op({ kind: "recreateTable", target: "big", summary: "", from, to, reasons: [] })).up as SqlStep[];
    const exchange = steps.findIndex((step) => step.cause?.rebuild === "exchange");
    for (const step of steps.slice(0, exchange)) await executeSqlStep(driver, step);
    await driver.insert("big", [{ id: 999999999, bucket: 1, note: "late" }]);
    const error = await refusal(executeSqlStep(driver, steps[exchange]!));
    expect(error.code).toBe("REBUILD_ROW_COUNT_MISMATCH");
    expect(error.details).toMatchObject({ table: "big", sourceRows: 300001, copiedRows: 300000 });
    expect(await rowCount(driver, "big")).toBe(300001);
    expect((await driver.introspect()).tables.big?.orderBy).toEqual(["id"]);
  });

  it("an exchange run again (the process died before the journal recorded it) is not repeated: the new table and its new rows stay", async () => {
    const steps = operationSteps(op({ kind: "recreateTable", target: "big", summary: "", from, to, reasons: [] })).up as SqlStep[];
    const exchange = steps.findIndex((step) => step.cause?.rebuild === "exchange");
    for (const step of steps.slice(0, exchange + 1)) await executeSqlStep(driver, step);
    // Written after the swap, before the resume: a repeated swap would hand this row to the table the next step drops.
    await driver.insert("big", [{ id: 4242424242, bucket: 2, note: "after the swap" }]);
    await executeSqlStep(driver, steps[exchange]!);
    for (const step of steps.slice(exchange + 1)) await executeSqlStep(driver, step);
    expect(await driver.query("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'big'")).toEqual([{ sorting_key: "bucket, id" }]);
    expect(await rowCount(driver, "big")).toBe(300002);
    expect(await driver.query("SELECT note FROM big WHERE id = 4242424242")).toEqual([{ note: "after the swap" }]);
  });

  it("a rebuild that also narrows a type fails its copy on a value that would not convert exactly; the table keeps its rows", async () => {
    const wide = table("wide", [column("id", "UInt64"), column("n", "Int64")]);
    await applyOperation(driver, op({ kind: "createTable", target: "wide", summary: "", table: wide }));
    await driver.exec("INSERT INTO wide VALUES (1, 5), (2, 3000000000)");
    const narrowed = { ...wide, orderBy: ["n"], columns: [column("id", "UInt64"), column("n", "Int32")] };
    await expect(applyOperation(driver, op({ kind: "recreateTable", target: "wide", summary: "", from: wide, to: narrowed, reasons: ["ORDER BY"] }))).rejects.toThrow(/cannot be safely converted/);
    expect(await driver.query("SELECT n FROM wide ORDER BY id")).toEqual([{ n: "5" }, { n: "3000000000" }]);
  });

  it("knows a hand-edited copy by its cause: it still starts over on resume and is row-count checked", async () => {
    const rows = await rowCount(driver, "big");
    const steps = operationSteps(op({ kind: "recreateTable", target: "big", summary: "", from: to, to: from, reasons: [] })).up as SqlStep[];
    const copy = steps.findIndex((step) => step.cause?.rebuild === "copy");
    for (const step of steps.slice(0, copy)) await executeSqlStep(driver, step);
    const edited = { ...steps[copy]!, sql: `${steps[copy]!.sql} WHERE 1 SETTINGS max_insert_threads = 4` };
    await executeSqlStep(driver, edited);
    await executeSqlStep(driver, edited);
    expect(await rowCount(driver, "big__moose_new")).toBe(rows);
    // An edit that copies fewer rows is refused before the swap could lose them.
    const partial = { ...steps[copy]!, sql: `${steps[copy]!.sql} WHERE id < 10` };
    expect((await refusal(executeSqlStep(driver, partial))).code).toBe("REBUILD_ROW_COUNT_MISMATCH");
    expect(await rowCount(driver, "big")).toBe(rows);
  });
});
