/**
 * The curl examples in docs/clickhouse.md, run against a live local HTTP endpoint, so the
 * documentation cannot drift from what the endpoint does.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openEmbedded } from "../../../src/infra/clickhouse/embedded.js";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../../src/infra/clickhouse/http-endpoint.js";
import type { RawClickHouseDriver } from "../../../src/infra/clickhouse/raw.js";
import { tempDataDir } from "../../helpers/clickhouse.js";

const run = promisify(execFile);
const data = tempDataDir();
let driver: RawClickHouseDriver;
let endpoint: ClickHouseHttpEndpoint;

beforeAll(async () => {
  driver = await openEmbedded({ dataDir: data.dir, database: "local" });
  endpoint = await serveClickHouseHttp(driver, { port: 0, user: "panda", password: "pandapass" });
  await driver.exec("CREATE TABLE Users (id String, name String) ENGINE = MergeTree ORDER BY id");
});

afterAll(async () => {
  await endpoint?.close();
  await driver?.close();
  data.remove();
});

/** The shell commands of the first ```sh block in the section about the HTTP endpoint. */
function documentedCommands(): string[] {
  const doc = readFileSync(new URL("../../../docs/clickhouse.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## The local HTTP endpoint"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

it("every curl example in docs/clickhouse.md works", async () => {
  const commands = documentedCommands();
  expect(commands.length).toBeGreaterThanOrEqual(5);
  const outputs: string[] = [];
  for (const command of commands) {
    const local = command.replaceAll("localhost:18123", `127.0.0.1:${endpoint.port}`);
    const { stdout } = await run("bash", ["-c", `set -o pipefail; ${local.replace(/\bcurl /g, "curl -sS --fail-with-body ")}`]);
    outputs.push(stdout);
  }
  expect(outputs[0]).toBe("Ok.\n");
  expect(outputs[1]).toContain("Users\tMergeTree");
  expect(await driver.query("SELECT id, name FROM Users")).toEqual([{ id: "u1", name: "ada" }]);
  expect(outputs[outputs.length - 1]).toBe("u1\tada\n");
});
