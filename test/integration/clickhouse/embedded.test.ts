import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { LOCK_FILE, openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const data = tempDataDir();
const dataDir = path.join(data.dir, "project", ".moose", "clickhouse");
let driver: RawClickHouseDriver;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir, database: "local" });
});

afterAll(async () => {
  await driver?.close();
  data.remove();
});

async function expectMooseError(promise: Promise<unknown>, code: string): Promise<MooseError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MooseError);
  expect((error as MooseError).code).toBe(code);
  return error as MooseError;
}

describe("embedded driver", () => {
  it("creates the data directory and the database, and runs everything in that database", async () => {
    expect(existsSync(dataDir)).toBe(true);
    expect(driver.kind).toBe("embedded");
    expect(driver.database).toBe("local");
    expect(await driver.query("SELECT currentDatabase() AS db")).toEqual([{ db: "local" }]);
    await driver.exec("CREATE TABLE IF NOT EXISTS users (id UInt64, name String) ENGINE = MergeTree ORDER BY id");
    const [table] = await driver.query<{ database: string }>("SELECT database FROM system.tables WHERE name = 'users'");
    expect(table).toEqual({ database: "local" });
  });

  it("inserts rows and reads them back, 64-bit integers as strings", async () => {
    await driver.exec("CREATE TABLE IF NOT EXISTS events (id UInt64, at DateTime('UTC'), note String) ENGINE = MergeTree ORDER BY id");
    await driver.insert("events", [
      { id: 1n, at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), note: "quote ' and \\ backslash" },
      { id: 2, at: "2024-01-01 00:00:00", note: "line\nbreak" },
    ]);
    const rows = await driver.query("SELECT id, toString(at) AS at, note FROM events ORDER BY id");
    expect(rows).toEqual([
      { id: "1", at: "2024-01-02 03:04:05", note: "quote ' and \\ backslash" },
      { id: "2", at: "2024-01-01 00:00:00", note: "line\nbreak" },
    ]);
  });

  it("binds {name:Type} parameters server-side", async () => {
    const rows = await driver.query("SELECT {text:String} AS text, {n:UInt32} + 1 AS n", { text: "it's", n: 41 });
    expect(rows).toEqual([{ text: "it's", n: "42" }]); // UInt32 + 1 is UInt64
  });

  it("answers a query as arrays with its columns' names and types (queryCompact); a statement with no answer is empty", async () => {
    expect(await driver.queryCompact("SELECT {n:UInt32} + 1 AS n, toDateTime64('2026-01-02 03:04:05', 3, 'UTC') AS at, [1, 2] AS list", { n: 41 })).toEqual({
      columns: [
        { name: "n", type: "UInt64" },
        { name: "at", type: "DateTime64(3, 'UTC')" },
        { name: "list", type: "Array(UInt8)" },
      ],
      rows: [["42", "2026-01-02 03:04:05.000", [1, 2]]],
    });
    expect(await driver.queryCompact("CREATE TABLE IF NOT EXISTS compact_empty (id UInt8) ENGINE = Memory")).toEqual({ columns: [], rows: [] });
  });

  it("reports a rejected statement as CLICKHOUSE_QUERY_FAILED with ClickHouse's code", async () => {
    const error = await expectMooseError(driver.exec("SELEC 1"), "CLICKHOUSE_QUERY_FAILED");
    expect(error.details?.clickhouseCode).toBe(62);
    expect(error.message).toMatch(/Syntax error/);
    const missing = await expectMooseError(driver.query("SELECT * FROM no_such_table"), "CLICKHOUSE_QUERY_FAILED");
    expect(missing.details?.clickhouseCode).toBe(60);
  });

  it("refuses to read a result over 128 MB into the process (past 2 GiB decoding it aborted the process), and goes on answering", async () => {
    const huge = "SELECT number, repeat('x', 1000) AS s FROM numbers(140000)";
    const error = await expectMooseError(driver.query(huge), "CLICKHOUSE_RESULT_TOO_LARGE");
    expect(error.message).toMatch(/the query's result is 1\d\d MB; at most 128 MB is read into the process/);
    expect(error.hint).toContain("LIMIT");
    await expectMooseError(driver.query(huge, undefined, { max_threads: "1" }), "CLICKHOUSE_RESULT_TOO_LARGE");
    // The endpoint's path hands the bytes over without decoding them.
    expect((await driver.raw(`${huge} FORMAT JSONEachRow`)).body.byteLength).toBeGreaterThan(128 * 2 ** 20);
    expect(await driver.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("keeps the event loop free while a query runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await driver.query("SELECT count() AS c FROM numbers(20000000) WHERE number % 7 = 3");
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it("runs raw statements in any format and database, without touching the driver's session", async () => {
    await driver.exec("CREATE DATABASE IF NOT EXISTS other");
    const tsv = await driver.raw("SELECT currentDatabase(), getSetting('max_threads')", { database: "other", settings: { max_threads: "3" } });
    expect(Buffer.from(tsv.body).toString()).toBe("other\t3\n");
    const json = await driver.raw("SELECT 1 AS one FORMAT JSONEachRow", { format: "TabSeparated" });
    expect(Buffer.from(json.body).toString()).toBe('{"one":1}\n');
    expect(await driver.query("SELECT currentDatabase() AS db")).toEqual([{ db: "local" }]);
  });

  it("binds text parameters as sent over HTTP (escaped strings, arrays, NULL)", async () => {
    const result = await driver.raw("SELECT {s:String} AS s, {a:Array(String)} AS a, {n:Nullable(UInt8)} AS n, toString({i:UInt64}) AS i FORMAT JSONEachRow", {
      textParams: { s: "tab\\there", a: "['x\\'y','z']", n: "\\N", i: "7" },
    });
    expect(JSON.parse(Buffer.from(result.body).toString())).toEqual({ s: "tab\there", a: ["x'y", "z"], n: null, i: "7" });
  });

  it("refuses a second data directory in the same process", async () => {
    const other = tempDataDir();
    try {
      const error = await expectMooseError(openEmbedded({ dataDir: other.dir, database: "local" }), "CLICKHOUSE_DATA_DIR_IN_USE");
      expect(error.message).toContain(dataDir);
      expect(error.hint).toMatch(/close/);
    } finally {
      other.remove();
    }
  });

  it("opens the same directory twice in one process (another database)", async () => {
    const second = await openEmbedded({ dataDir, database: "second" });
    try {
      expect(await second.query("SELECT currentDatabase() AS db")).toEqual([{ db: "second" }]);
    } finally {
      await second.close();
    }
    expect(await driver.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("holds a lock file with its pid while open", () => {
    expect(readFileSync(path.join(dataDir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
  });

  it("rejects an empty database name with the config key", async () => {
    const error = await expectMooseError(openEmbedded({ dataDir, database: "" }), "CLICKHOUSE_NO_DATABASE");
    expect(error.config?.key).toBe("clickhouse_config.db_name");
  });

  it("errors when used after close", async () => {
    const extra = await openEmbedded({ dataDir, database: "local" });
    await extra.close();
    await expectMooseError(extra.query("SELECT 1"), "CLICKHOUSE_DRIVER_CLOSED");
  });
});

describe("data directory held by another process", () => {
  let holder: ChildProcess;
  const locked = tempDataDir();

  beforeAll(async () => {
    holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
    await new Promise((resolve) => holder.once("spawn", resolve));
  });

  afterAll(() => {
    holder.kill();
    locked.remove();
  });

  it("names the pid that holds the directory, and switching directories works after close", async () => {
    await driver.close();
    mkdirSync(locked.dir, { recursive: true });
    writeFileSync(path.join(locked.dir, LOCK_FILE), `${holder.pid}\n`);
    const error = await expectMooseError(openEmbedded({ dataDir: locked.dir, database: "local" }), "CLICKHOUSE_DATA_DIR_LOCKED");
    expect(error.message).toContain(`pid ${holder.pid}`);
    expect(error.details?.pid).toBe(holder.pid);

    // The holder dies: its lock is stale and the directory opens.
    holder.kill();
    await new Promise((resolve) => holder.once("exit", resolve));
    const reopened = await openEmbedded({ dataDir: locked.dir, database: "local" });
    expect(readFileSync(path.join(locked.dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    await reopened.close();
    expect(existsSync(path.join(locked.dir, LOCK_FILE))).toBe(false);
    driver = await openEmbedded({ dataDir, database: "local" });
  });
});

describe("a second moose process on the same data directory", () => {
  const shared = tempDataDir();
  let other: ChildProcess | undefined;

  afterAll(() => {
    other?.kill("SIGKILL");
    shared.remove();
  });

  it("is refused with the pid of the process that has it; after that process dies the directory opens", async () => {
    // A real second process running the embedded driver (bundled, since it is TypeScript).
    const script = path.join(shared.dir, "hold.cjs");
    await build({
      stdin: {
        contents: `import { openEmbedded } from ${JSON.stringify(fileURLToPath(new URL("../../../src/infra/clickhouse/embedded.ts", import.meta.url)))};
          openEmbedded({ dataDir: process.argv[2], database: "local" }).then(() => console.log("ready"));
          setInterval(() => {}, 1000);`,
        resolveDir: shared.dir,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "cjs",
      external: ["chdb"],
      outfile: script,
      logLevel: "silent",
    });
    const dataDir = path.join(shared.dir, "data");
    other = spawn(process.execPath, [script, dataDir], {
      env: { ...process.env, NODE_PATH: fileURLToPath(new URL("../../../node_modules", import.meta.url)) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      other!.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
      other!.once("exit", (code) => reject(new Error(`the holder exited early (${code})`)));
    });

    await driver.close();
    try {
      const error = await expectMooseError(openEmbedded({ dataDir, database: "local" }), "CLICKHOUSE_DATA_DIR_LOCKED");
      expect(error.message).toContain(`pid ${other.pid}`);

      // Killed without a chance to clean up: its lock is stale and is taken over.
      other.kill("SIGKILL");
      await new Promise((resolve) => other!.once("exit", resolve));
      const mine = await openEmbedded({ dataDir, database: "local" });
      expect(await mine.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
      await mine.close();
    } finally {
      driver = await openEmbedded({ dataDir: path.join(data.dir, "project", ".moose", "clickhouse"), database: "local" });
    }
  });
});
