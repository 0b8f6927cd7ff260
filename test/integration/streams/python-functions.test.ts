/**
 * The Python function worker (src/streams/python-functions.ts + python/_moose_ts_processes.py) with the
 * machine's Python and pydantic, no broker: a record is validated into the stream's model before the
 * function gets it, a transform's result comes back serialised as MooseStack's runner does it (model_dump
 * in JSON mode, by alias; None = none, a list = several), an exception fails only its record with the
 * Python class name, records queued together are answered each with its own result, a worker that exits
 * fails the records in flight and is started again, and `reload` runs the app's new code.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { PythonFunctionError, PythonFunctions, PythonWorkerExitedError } from "../../../src/streams/python-functions.js";
import { testPython } from "../../helpers/python.js";

const APP = `import os
from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field

from moose_ts import DeadLetterModel, DeadLetterQueue, Key, Stream


class Reading(BaseModel):
    id: Key[str]
    value: float
    at: datetime


class Scaled(BaseModel):
    id: Key[str]
    doubled: float = Field(alias="doubledValue")
    year: int
    at: datetime


readings = Stream[Reading]("Readings")
scaled = Stream[Scaled]("Scaled")
seen = Stream[Reading]("Seen")
failures = DeadLetterQueue[Reading]("Failures")


def double(reading: Reading) -> Optional[object]:
    if reading.id == "crash":
        os._exit(3)
    if reading.value < 0:
        raise ValueError(f"negative reading {reading.id}")
    if reading.id == "none":
        return None
    if reading.id == "many":
        return [{"id": "many-1", "doubledValue": 1, "year": 1, "at": reading.at}, None, {"id": "many-2", "doubledValue": 2, "year": 2, "at": reading.at}]
    return Scaled(id=reading.id, doubledValue=reading.value * 2, year=reading.at.year, at=reading.at)


def check(reading: Reading) -> str:
    assert isinstance(reading, Reading), type(reading)
    return "ignored: a consumer's result is not a record"


def check_letter(letter: DeadLetterModel) -> None:
    assert isinstance(letter, DeadLetterModel) and letter.error_type == "ValueError", letter


readings.add_transform(scaled, double)
seen.add_consumer(check)
failures.add_consumer(check_letter)
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-functions-"));
const restarts: string[] = [];
const output: string[] = [];
let functions: PythonFunctions;

function write(app: string): void {
  writeFileSync(path.join(projectDir, "app", "main.py"), app);
}

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  mkdirSync(path.join(projectDir, "app"));
  writeFileSync(path.join(projectDir, "moose.config.toml"), `language = "Python"\n`);
  write(APP);
  functions = new PythonFunctions({ projectDir, log: (text) => output.push(text), onRestart: (reason) => restarts.push(reason) });
  await functions.reload();
}, 60_000);

afterAll(async () => {
  await functions?.close();
  rmSync(projectDir, { recursive: true, force: true });
});

function transform(): (record: unknown) => Promise<unknown> {
  const run = functions.functionFor("transform:Readings->Scaled")?.run;
  if (!run) throw new Error("no function for transform:Readings->Scaled");
  return async (record) => run(record);
}

const AT = "2026-12-02T03:04:05Z";

describe("the Python function worker", () => {
  it("gives the function a model instance and serialises what it returns in JSON mode, by alias", async () => {
    expect(await transform()({ id: "r1", value: "2.5", at: AT })).toEqual([{ id: "r1", doubledValue: 5, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    expect(await transform()({ id: "none", value: 1, at: AT })).toEqual([]);
    // Plain dicts are serialised with their values' isoformat(), as the Api worker does.
    expect(await transform()({ id: "many", value: 1, at: AT })).toEqual([
      { id: "many-1", doubledValue: 1, year: 1, at: "2026-12-02T03:04:05+00:00" },
      { id: "many-2", doubledValue: 2, year: 2, at: "2026-12-02T03:04:05+00:00" },
    ]);
    const consumer = functions.functionFor("consumer:Seen")!.run;
    expect(await consumer({ id: "c1", value: 1, at: AT })).toBeUndefined();
    // A dead-letter queue's records come as DeadLetterModel.
    const letters = functions.functionFor("consumer:Failures")!.run;
    const letter = { originalRecord: { id: "x" }, errorMessage: "negative reading x", errorType: "ValueError", failedAt: AT, source: "transform" };
    expect(await letters(letter)).toBeUndefined();
    await expect(letters({ ...letter, errorType: "KeyError" })).rejects.toThrow("error_type");
  });

  it("fails a record whose function raises, or that does not fit the model, with the Python class name", async () => {
    const raised = (await transform()({ id: "bad", value: -1, at: AT }).catch((error: unknown) => error)) as Error;
    expect(raised.constructor.name).toBe("ValueError");
    expect(raised.message).toBe("negative reading bad");
    // Where the app raised, for the process's log line (./functions.ts): the raise in app/main.py.
    expect((raised as PythonFunctionError).location).toMatchObject({ file: "app/main.py", line: APP.split("\n").findIndex((line) => line.includes("raise ValueError")) + 1 });
    const invalid = (await transform()({ id: "r2", value: "not a number", at: AT }).catch((error: unknown) => error)) as Error;
    expect(invalid.constructor.name).toBe("ValidationError");
    expect(invalid.message).toContain("value");
  });

  it("answers records queued together each with its own result, failures beside successes", async () => {
    const run = transform();
    const records = Array.from({ length: 300 }, (_, index) => ({ id: `b${index}`, value: index % 50 === 7 ? -1 : index, at: AT }));
    const expected = (index: number) => [{ id: `b${index}`, doubledValue: index * 2, year: 2026, at: "2026-12-02T03:04:05Z" }];
    const outcomes = await Promise.allSettled(records.map((record) => run(record)));
    outcomes.forEach((outcome, index) => {
      if (index % 50 === 7) expect(outcome.status === "rejected" && (outcome.reason as Error).message).toBe(`negative reading b${index}`);
      else expect(outcome.status === "fulfilled" && outcome.value).toEqual(expected(index));
    });
    // A chunk's first attempts in one call (./functions.ts runBatch): an outcome per record, in order.
    const batch = await functions.functionFor("transform:Readings->Scaled")!.runBatch(records);
    expect(batch).toHaveLength(records.length);
    batch.forEach((outcome, index) => {
      if (index % 50 === 7) expect(!outcome.ok && (outcome.error as Error).constructor.name).toBe("ValueError");
      else expect(outcome).toEqual({ ok: true, result: expected(index) });
    });
    expect(await functions.functionFor("consumer:Seen")!.runBatch(records.slice(0, 3))).toEqual([
      { ok: true, result: undefined },
      { ok: true, result: undefined },
      { ok: true, result: undefined },
    ]);
  });

  it("fails the records in flight when the worker exits, and starts it again for the next ones", async () => {
    const run = transform();
    const crashed = await Promise.allSettled([run({ id: "crash", value: 1, at: AT }), run({ id: "beside", value: 1, at: AT })]);
    for (const outcome of crashed) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PythonWorkerExitedError);
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toContain("exited (code 3)");
    }
    expect(await run({ id: "after", value: 4, at: AT })).toEqual([{ id: "after", doubledValue: 8, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toContain("exited (code 3)");
  });

  it("runs the app's new code after reload, and has no function for a process the code no longer has", async () => {
    write(APP.replace("reading.value * 2", "reading.value * 3").replace("seen.add_consumer(check)\n", ""));
    await functions.reload();
    expect(await transform()({ id: "r3", value: 1, at: AT })).toEqual([{ id: "r3", doubledValue: 3, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    expect(functions.functionFor("consumer:Seen")).toBeUndefined();
  });

  it("keeps the running worker when the app no longer imports, and says where", async () => {
    const broken = APP.replace("readings.add_transform(scaled, double)", "readings.add_transform(scaled, double)\nraise RuntimeError('broken on purpose')");
    write(broken);
    const error = (await functions.reload().catch((thrown: unknown) => thrown)) as MooseError;
    expect(error).toBeInstanceOf(MooseError);
    expect(error.code).toBe("APP_ERROR");
    expect(error.location).toMatchObject({ file: "app/main.py", line: broken.split("\n").findIndex((line) => line.startsWith("raise")) + 1 });
    expect(await transform()({ id: "r4", value: 1, at: AT })).toEqual([{ id: "r4", doubledValue: 3, year: 2026, at: "2026-12-02T03:04:05Z" }]);
  });
});
