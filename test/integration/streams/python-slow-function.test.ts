/**
 * A slow Python consumer on a real broker: one batch call of 500 records takes longer than the
 * group's session timeout (10 s), and the process keeps its membership meanwhile (src/streams/
 * functions.ts heartbeats during the call), so every record is consumed once, with no rebalance
 * and no record seen twice.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Supervisor } from "../../../src/streams/supervisor.js";
import { GROUP_SESSION } from "../../../src/streams/kafka.js";
import { BROKER_START_TIMEOUT_MS, startTestBroker, testNamespace, type TestBroker } from "../../helpers/kafka.js";
import { testPython } from "../../helpers/python.js";
import { createTopics, manifestOf, produce, stream, streamsConfig, until } from "./fixtures.js";

const RECORDS = 500;
const SECONDS_PER_RECORD = 0.025;

const APP = `import os
import time

from pydantic import BaseModel

from moose_ts import Key, Stream


class Tick(BaseModel):
    id: Key[int]


def note(tick: Tick) -> None:
    time.sleep(${SECONDS_PER_RECORD})
    with open(os.path.join(os.environ["MOOSE_PROJECT_DIR"], "seen.txt"), "a") as seen:
        seen.write(f"{tick.id}\\n")


Stream[Tick]("Ticks").add_consumer(note)
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-slow-"));
let broker: TestBroker;

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  broker = await startTestBroker();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "app", "main.py"), APP);
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
}, BROKER_START_TIMEOUT_MS);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await broker?.stop();
});

describe("a Python consumer slower than the session timeout per batch", () => {
  it("keeps its group membership through the batch call: every record once", async () => {
    expect(RECORDS * SECONDS_PER_RECORD * 1000).toBeGreaterThan(GROUP_SESSION.sessionTimeout);
    const namespace = testNamespace();
    const config = streamsConfig(broker.broker, namespace);
    const ticks = stream("Ticks", [{ name: "id", type: "Int64", nullable: false }]);
    await createTopics(config, [ticks]);
    await produce(broker.broker, `${namespace}Ticks`, Array.from({ length: RECORDS }, (_, id) => ({ id })));
    const errors: string[] = [];
    const supervisor = new Supervisor({ projectDir, config, driver: undefined as never, events: { error: (id, message) => errors.push(`${id}: ${message}`) } });
    try {
      const result = await supervisor.reconcile(manifestOf({ streams: [ticks], processes: [{ kind: "consumer", source: "Ticks", codeHash: "slow" }] }), new Map());
      expect(result.started).toEqual(["consumer:Ticks"]);
      await until(async () => (await supervisor.report())[0]!.processed >= RECORDS, 60_000, "every record consumed");
      const seen = readFileSync(path.join(projectDir, "seen.txt"), "utf8").split("\n").filter(Boolean);
      expect(seen).toHaveLength(RECORDS);
      expect(new Set(seen).size).toBe(RECORDS);
      expect(errors).toEqual([]);
    } finally {
      await supervisor.close();
    }
  }, 120_000);
});
