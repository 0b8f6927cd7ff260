/**
 * The embedded engine never reads the process's stdin. chdb runs statements through ClickHouse's
 * client code, which takes a non-terminal stdin as extra INSERT data: with async inserts (chdb's
 * default) an inline INSERT then fails, without them stdin's bytes become rows. The driver runs in
 * a child process whose stdin is a pipe (or a file) holding JSON rows that would parse.
 */
import { spawn } from "node:child_process";
import { writeFileSync, openSync, closeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDataDir } from "../../helpers/clickhouse.js";

const work = tempDataDir();
const script = path.join(work.dir, "stdin-child.cjs");
/** Rows a naive engine would take from stdin: every column of `t` filled. */
const STDIN_ROWS = '{"id":999,"name":"FROM_STDIN","amount":9.99,"at":"2020-01-01 00:00:00","tags":["stdin"]}\n';

const CHILD = `
import { openEmbedded } from ${JSON.stringify(fileURLToPath(new URL("../../../src/infra/clickhouse/embedded.ts", import.meta.url)))};
const dataDir = process.argv[2];
const out = {};
const step = async (name, run) => {
  try { out[name] = (await run()) ?? "ok"; } catch (error) { out[name] = { error: String(error && error.message || error) }; }
};
(async () => {
const driver = await openEmbedded({ dataDir, database: "local" });
await step("create", () => driver.exec("CREATE TABLE t (id UInt64, name String, amount Decimal(38, 18), at DateTime('UTC') DEFAULT '2024-05-06 07:08:09', tags Array(String), doubled UInt64 MATERIALIZED id * 2) ENGINE = MergeTree ORDER BY id"));
await step("insert", () => driver.insert("t", [
  { id: 1, name: "it's \\\\ one\\nline", amount: "0.123456789012345678", tags: ["a", "b"] },
  { id: 18446744073709551615n, name: "max", amount: "1", at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), tags: [] },
]));
const raw = async (sql, settings) => Buffer.from((await driver.raw(sql, { settings })).body).toString();
await step("rawFormat", () => raw('INSERT INTO t (id, name, amount, tags) FORMAT JSONEachRow\\n{"id":2,"name":"raw json","amount":0.5,"tags":["x"]}\\n'));
await step("rawNoColumns", () => raw('INSERT INTO local.t SETTINGS async_insert = 1 FORMAT JSONEachRow {"id":3,"name":"no list","amount":2,"tags":[]}'));
await step("rawValues", () => raw("INSERT INTO t (id, name, amount, at, tags) VALUES (4, 'values', 1.25, '2024-01-01 00:00:00', ['v']), (5, 'semi;colon', 0, '2024-01-01 00:00:00', []);"));
await step("rawCsv", () => raw("INSERT INTO \`t\` (\`id\`, name, amount, tags) FORMAT CSV\\n6,csv,3.5,\\"['c']\\"\\n"));
await step("rawSelect", () => raw("INSERT INTO t (id, name, amount, tags) SELECT 7, 'select', 0, []"));
await step("execValues", () => driver.exec("INSERT INTO t (id, name, amount, tags) VALUES (8, 'exec', 0, [])"));
await step("execParams", () => driver.exec("INSERT INTO t (id, name, amount, tags) VALUES ({id:UInt64}, {name:String}, 0, [])", { id: 9, name: "bound" }));
await step("rows", () => driver.query("SELECT id, name, toString(amount) AS amount, toString(at) AS at, tags, doubled FROM t ORDER BY id"));
await driver.close();
process.stdout.write(JSON.stringify(out));
})();
`;

beforeAll(async () => {
  await build({
    stdin: { contents: CHILD, resolveDir: work.dir, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "cjs",
    external: ["chdb"],
    outfile: script,
    logLevel: "silent",
  });
});

afterAll(() => work.remove());

interface ChildResult {
  code: number;
  out: Record<string, unknown>;
  stderr: string;
}

/** Runs the driver script with `stdin` as its standard input ("pipe": STDIN_ROWS written, then kept open). */
function runChild(stdinKind: "pipe" | "file" | "closed-pipe", dataDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdinOption: "pipe" | number = "pipe";
    let fd: number | undefined;
    if (stdinKind === "file") {
      const file = path.join(work.dir, "stdin-rows.json");
      writeFileSync(file, STDIN_ROWS);
      fd = openSync(file, "r");
      stdinOption = fd;
    }
    const child = spawn(process.execPath, [script, dataDir], {
      env: { ...process.env, NODE_PATH: fileURLToPath(new URL("../../../node_modules", import.meta.url)) },
      stdio: [stdinOption, "pipe", "pipe"],
    });
    if (fd !== undefined) closeSync(fd);
    if (child.stdin) {
      child.stdin.write(STDIN_ROWS);
      // An open pipe with data waiting (ssh, CI runners); "closed-pipe" is `echo … | moose …`.
      if (stdinKind === "closed-pipe") child.stdin.end();
    }
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      try {
        resolve({ code: code ?? -1, out: JSON.parse(stdout) as Record<string, unknown>, stderr });
      } catch {
        reject(new Error(`child exited ${code} without a result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

const EXPECTED_ROWS = [
  { id: "1", name: "it's \\ one\nline", amount: "0.123456789012345678", at: "2024-05-06 07:08:09", tags: ["a", "b"], doubled: "2" },
  { id: "2", name: "raw json", amount: "0.5", at: "2024-05-06 07:08:09", tags: ["x"], doubled: "4" },
  { id: "3", name: "no list", amount: "2", at: "2024-05-06 07:08:09", tags: [], doubled: "6" },
  { id: "4", name: "values", amount: "1.25", at: "2024-01-01 00:00:00", tags: ["v"], doubled: "8" },
  { id: "5", name: "semi;colon", amount: "0", at: "2024-01-01 00:00:00", tags: [], doubled: "10" },
  { id: "6", name: "csv", amount: "3.5", at: "2024-05-06 07:08:09", tags: ["c"], doubled: "12" },
  { id: "7", name: "select", amount: "0", at: "2024-05-06 07:08:09", tags: [], doubled: "14" },
  { id: "8", name: "exec", amount: "0", at: "2024-05-06 07:08:09", tags: [], doubled: "16" },
  { id: "9", name: "bound", amount: "0", at: "2024-05-06 07:08:09", tags: [], doubled: "18" },
  { id: "18446744073709551615", name: "max", amount: "1", at: "2024-01-02 03:04:05", tags: [], doubled: "18446744073709551614" },
];

describe("embedded driver with data on stdin", () => {
  for (const kind of ["closed-pipe", "pipe", "file"] as const) {
    it(`inserts (driver insert/exec and raw, JSONEachRow/CSV/VALUES) exactly, without reading a stdin that is a ${kind}`, async () => {
      const result = await runChild(kind, path.join(work.dir, kind, ".moose", "clickhouse"));
      expect(result.code, result.stderr).toBe(0);
      for (const step of ["create", "insert", "rawFormat", "rawNoColumns", "rawValues", "rawCsv", "rawSelect", "execValues", "execParams"]) {
        expect(result.out[step], step).not.toHaveProperty("error");
      }
      // No FROM_STDIN row: stdin was neither refused nor consumed.
      expect(result.out.rows).toEqual(EXPECTED_ROWS);
    });
  }
});
