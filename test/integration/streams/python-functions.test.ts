/**
 * The Python function worker (src/streams/python-functions.ts + python/_moose_ts_processes.py) with the
 * machine's Python and pydantic, no broker: a record is validated into the stream's model before the
 * function gets it, a transform's result comes back serialised as MooseStack's runner does it (model_dump
 * in JSON mode, by alias; None = none, a list = several; a multi-transform's routed messages with their
 * streams' ids), an exception fails only its record with the
 * Python class name, records queued together are answered each with its own result, a result holding NaN
 * or Infinity fails its record (ValueError) instead of the batch's answer, an answer that is not JSON
 * fails its batch, a worker that exits is started again and only the record that killed it fails,
 * `reload` runs the app's new code, and a close racing a reload leaves no worker running.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { PythonProtocolError } from "../../../src/extract/python/child.js";
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
    if reading.id == "nan":
        return Scaled(id=reading.id, doubledValue=float("nan"), year=1, at=reading.at)
    if reading.id == "inf":
        return {"id": reading.id, "doubledValue": float("inf"), "year": 1, "at": reading.at}
    if reading.id == "stdout":
        os.write(1, b"not a protocol line\\n")  # past sys.stdout, onto descriptor 1: the worker points it at stderr
    if reading.id == "protocol":
        import _moose_ts_worker  # the protocol's own pipe: out of step on purpose
        _moose_ts_worker._protocol_out.write("not a protocol line\\n")
        _moose_ts_worker._protocol_out.flush()
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

sorting = Stream[Reading]("Sorting")


def route(reading: Reading) -> list:
    if reading.value > 10:
        return [scaled.routed(Scaled(id=reading.id, doubledValue=reading.value * 2, year=reading.at.year, at=reading.at)), seen.routed([reading, None])]
    return [seen.routed(reading), scaled.routed(None)]


sorting.set_multi_transform(route)
`;

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-functions-"));
const racingDir = mkdtempSync(path.join(tmpdir(), "moose-python-functions-race-"));
const restarts: string[] = [];
const output: string[] = [];
let functions: PythonFunctions;

function write(app: string, dir = projectDir): void {
  writeFileSync(path.join(dir, "app", "main.py"), app);
}

/** The pids of the stream-function workers running on `dir`'s app (read from /proc). */
function workersOf(dir: string): string[] {
  return readdirSync("/proc").filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return args.includes("_moose_ts_processes") && args.includes(dir);
    } catch {
      return false; // exited while listed
    }
  });
}

beforeAll(async () => {
  process.env.MOOSE_PYTHON = testPython();
  for (const dir of [projectDir, racingDir]) {
    mkdirSync(path.join(dir, "app"));
    writeFileSync(path.join(dir, "moose.config.toml"), `language = "Python"\n`);
    write(APP, dir);
  }
  functions = new PythonFunctions({ projectDir, components: () => ({ tables: {}, streams: {} }), log: (text) => output.push(text), onRestart: (reason) => restarts.push(reason) });
  await functions.reload();
}, 60_000);

afterAll(async () => {
  await functions?.close();
  rmSync(projectDir, { recursive: true, force: true });
  rmSync(racingDir, { recursive: true, force: true });
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

  it("runs set_multi_transform as the transform to \"*\": each stream.routed(values) comes back with its stream's id", async () => {
    const route = functions.functionFor("transform:Sorting->*")!.run;
    expect(await route({ id: "big", value: 20, at: AT })).toEqual([
      { destination: { id: "Scaled" }, values: [{ id: "big", doubledValue: 40, year: 2026, at: "2026-12-02T03:04:05Z" }] },
      { destination: { id: "Seen" }, values: [{ id: "big", value: 20, at: "2026-12-02T03:04:05Z" }] },
    ]);
    expect(await route({ id: "small", value: 1, at: AT })).toEqual([
      { destination: { id: "Seen" }, values: [{ id: "small", value: 1, at: "2026-12-02T03:04:05Z" }] },
      { destination: { id: "Scaled" }, values: [] },
    ]);
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

  it("fails only the record whose result holds NaN or Infinity, with a ValueError, and answers the rest of its batch", async () => {
    const outcomes = await functions.functionFor("transform:Readings->Scaled")!.runBatch([
      { id: "nan", value: 1, at: AT },
      { id: "r5", value: 1, at: AT },
      { id: "inf", value: 1, at: AT },
    ]);
    for (const failed of [outcomes[0]!, outcomes[2]!]) {
      expect(failed.ok).toBe(false);
      const error = (failed as { error: Error }).error;
      expect(error.constructor.name).toBe("ValueError");
      expect(error.message).toContain("the transform's result cannot be sent as JSON: Out of range float values are not JSON compliant");
    }
    expect(outcomes[1]).toEqual({ ok: true, result: [{ id: "r5", doubledValue: 2, year: 2026, at: "2026-12-02T03:04:05Z" }] });
  });

  it("keeps the protocol when the app writes to descriptor 1 itself: the text goes to the log", async () => {
    const before = restarts.length;
    expect(await transform()({ id: "stdout", value: 1, at: AT })).toEqual([{ id: "stdout", doubledValue: 2, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    // Its own pipe (stderr): it may come after the answer.
    await vi.waitFor(() => expect(output.join("")).toContain("not a protocol line\n"));
    expect(restarts.length).toBe(before);
  });

  it("fails a batch whose answer is not JSON (instead of waiting for it forever), and starts the worker again", async () => {
    const before = restarts.length;
    const error = (await transform()({ id: "protocol", value: 1, at: AT }).catch((thrown: unknown) => thrown)) as Error;
    expect(error).toBeInstanceOf(PythonProtocolError);
    expect(error.message).toBe("the Python worker wrote a line that is not JSON: not a protocol line");
    expect(await transform()({ id: "r6", value: 1, at: AT })).toEqual([{ id: "r6", doubledValue: 2, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    expect(restarts.length).toBe(before + 1);
  });

  it("fails only the record that killed the worker: the others of its batch run again, no attempt of theirs lost", async () => {
    const before = restarts.length;
    const run = transform();
    const [crashed, beside] = await Promise.allSettled([run({ id: "crash", value: 1, at: AT }), run({ id: "beside", value: 1, at: AT })]);
    expect(crashed!.status).toBe("rejected");
    expect((crashed as PromiseRejectedResult).reason).toBeInstanceOf(PythonWorkerExitedError);
    expect(((crashed as PromiseRejectedResult).reason as Error).message).toContain("exited (code 3)");
    expect(beside).toEqual({ status: "fulfilled", value: [{ id: "beside", doubledValue: 2, year: 2026, at: "2026-12-02T03:04:05Z" }] });
    // A chunk's first attempts (./functions.ts runBatch): the killer among good records fails alone.
    const records = ["g1", "g2", "crash", "g3", "g4"].map((id) => ({ id, value: 1, at: AT }));
    const outcomes = await functions.functionFor("transform:Readings->Scaled")!.runBatch(records);
    expect(outcomes.map((outcome) => (outcome.ok ? "ok" : (outcome.error as Error).constructor.name))).toEqual(["ok", "ok", "PythonWorkerExitedError", "ok", "ok"]);
    expect(await run({ id: "after", value: 4, at: AT })).toEqual([{ id: "after", doubledValue: 8, year: 2026, at: "2026-12-02T03:04:05Z" }]);
    // Four deaths, each followed by a start: each batch's, then its killer's alone.
    expect(restarts.slice(before)).toHaveLength(4);
    for (const reason of restarts.slice(before)) expect(reason).toContain("exited (code 3)");
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

  it("stops the worker a reload was starting when close comes first", async () => {
    const racing = new PythonFunctions({ projectDir: racingDir, components: () => ({ tables: {}, streams: {} }), log: (text) => output.push(text) });
    const reloading = racing.reload();
    await racing.close();
    const outcome = await reloading.then(() => "reloaded", (error: Error) => error.message);
    expect(workersOf(racingDir)).toEqual([]);
    expect(outcome).toBe("the Python worker is stopped");
    expect(racing.functionFor("transform:Readings->Scaled")).toBeUndefined();
  });
});
