/**
 * `moose dev` on a Python project (`moose init --language python`) runs its stream functions on a real
 * broker (MOOSE_TEST_KAFKA_BROKER, or one started for this file): a record POSTed to the ingest API goes
 * through the Python transform into a second stream's table; a save that changes the function restarts
 * that process only and new records take the new code; a save that changes only a helper the function
 * reads restarts no process, yet the worker runs the new code; Ctrl-C stops the Python worker with dev.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../helpers/kafka.js";
import { testPython } from "../helpers/python.js";
import { clickhouse, DEV_TEST_TIMEOUT_MS, DevProcess, devEnv, freePorts, projectIn, rows, type DevPorts, type TestProject } from "./dev-process.js";
import { cleanEnv, MOOSE_BIN, run } from "./scenarios/project.js";

const MAIN = "app/main.py";
const APP = `from pydantic import BaseModel

from moose_ts import IngestPipeline, IngestPipelineConfig, Key, OlapTable, Stream, StreamConfig

OFFSET = 0


class Reading(BaseModel):
    id: Key[str]
    value: float


class Doubled(BaseModel):
    id: Key[str]
    doubled: float


readings = IngestPipeline[Reading]("Reading", IngestPipelineConfig(table=True, stream=True, ingest_api=True, dead_letter_queue=False))
doubled = Stream[Doubled]("DoubledStream", StreamConfig(destination=OlapTable[Doubled]("Doubled")))


def double(reading: Reading) -> Doubled:
    return Doubled(id=reading.id, doubled=reading.value * 2 + OFFSET)


readings.get_stream().add_transform(doubled, double)
`;

/** The Python workers running this project's stream functions (their command line names the project). */
function functionWorkers(dir: string): string[] {
  const ps = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((line) => line.includes("_moose_ts_processes") && line.includes(dir));
}

describe("moose dev runs a Python app's stream functions", () => {
  let root: string;
  let dir: string;
  let project: TestProject;
  let broker: TestBroker;
  let ports: DevPorts;
  let dev: DevProcess;
  let client: ClickHouseClient;

  async function save(from: string, to: string): Promise<string> {
    const mark = dev.mark();
    await project.edit(MAIN, from, to);
    return dev.nextReload(mark);
  }
  const doubledOf = async (id: string) => rows<{ doubled: number }>(client, "SELECT doubled FROM Doubled WHERE id = {id:String}", { id });
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${dev.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const ingest = (records: unknown) => fetch(`http://localhost:${ports.api}/ingest/Reading`, { method: "POST", body: JSON.stringify(records) });

  beforeAll(async () => {
    broker = await startTestBroker();
    root = mkdtempSync(path.join(tmpdir(), "moose-python-dev-processes-"));
    dir = path.join(root, "app");
    const init = await run(process.execPath, [MOOSE_BIN, "init", dir, "--language", "python", "--no-venv"], { cwd: root, env: cleanEnv() });
    expect(init.code, init.stdout + init.stderr).toBe(0);
    project = projectIn(dir, root);
    await project.write(MAIN, APP);
    ports = await freePorts();
    dev = new DevProcess(
      project,
      devEnv(ports, { MOOSE_PYTHON: testPython(), MOOSE_REDPANDA_CONFIG__BROKER: broker.broker, MOOSE_REDPANDA_CONFIG__NAMESPACE: testNamespace() }),
    );
    client = clickhouse(ports);
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await client?.close();
    await dev?.stop();
    project?.remove();
    await broker?.stop();
  });

  it(
    "POST /ingest → topic → Python transform → second stream → its table",
    async () => {
      const output = await dev.ready();
      expect(output).toContain("▶ started transform:Reading->DoubledStream");
      expect(output).not.toContain("not run");
      expect(await (await ingest([{ id: "a", value: 1 }, { id: "b", value: 2.5 }])).json()).toEqual({ ingested: 2 });
      await eventually(async () => (await doubledOf("b")).length === 1, "b in Doubled");
      expect(await rows(client, "SELECT id, doubled FROM Doubled ORDER BY id")).toEqual([
        { id: "a", doubled: 2 },
        { id: "b", doubled: 5 },
      ]);
    },
    DEV_TEST_TIMEOUT_MS,
  );

  it(
    "a save that changes the function restarts that process only; new records take the new code",
    async () => {
      const reload = await save("reading.value * 2", "reading.value * 3");
      expect(reload).toContain("↻ restarted transform:Reading->DoubledStream");
      expect(reload).not.toContain("sync:");
      await ingest({ id: "c", value: 5 });
      await eventually(async () => (await doubledOf("c")).length === 1, "c in Doubled");
      expect(await doubledOf("c")).toEqual([{ doubled: 15 }]);
    },
    DEV_TEST_TIMEOUT_MS,
  );

  it(
    "a save that changes only a helper restarts no process, and the function runs with the new helper",
    async () => {
      const reload = await save("OFFSET = 0", "OFFSET = 100");
      expect(reload).toMatch(/✓ reload in \d+ ms/);
      expect(reload).not.toContain("restarted");
      await ingest({ id: "d", value: 1 });
      await eventually(async () => (await doubledOf("d")).length === 1, "d in Doubled");
      expect(await doubledOf("d")).toEqual([{ doubled: 103 }]);
      // One worker at a time: the one started for the previous build exits once its batch in flight is
      // answered (retired in the background, so on a busy machine a moment after the new one runs).
      await eventually(async () => functionWorkers(dir).length === 1, "the previous build's function worker gone");
    },
    DEV_TEST_TIMEOUT_MS,
  );

  it(
    "Ctrl-C stops the Python worker with dev",
    async () => {
      expect(await dev.stop()).toBe(0);
      expect(functionWorkers(dir)).toEqual([]);
    },
    DEV_TEST_TIMEOUT_MS,
  );
});
