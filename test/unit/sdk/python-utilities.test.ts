/**
 * The Python SDK's utilities real MooseStack projects import next to their models: `cli_log` / `CliLogData` /
 * `Logger` (the TypeScript SDK's cliLog line), `moose_runtime_env` (a marker while extracting, the variable at
 * run time), `StringToEnumMixin` (enums that take a ClickHouse Enum's names) and the `moose_ts.dmv2` /
 * `moose_ts.blocks` module paths. Run with the machine's Python and pydantic, as the CLI runs apps.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pythonEnv } from "../../../src/extract/python/index.js";
import type { ClickHouseDriver } from "../../../src/infra/clickhouse/driver.js";
import { emptyManifest, type ColumnSpec, type Manifest } from "../../../src/manifest/types.js";
import { ingestRoutes, tableRecords } from "../../../src/server/ingest.js";
import { quoteIdentifier, quoteString } from "../../../src/infra/clickhouse/quote.js";
import { testPython } from "../../helpers/python.js";

const projectDir = mkdtempSync(path.join(tmpdir(), "moose-python-utilities-"));
afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

let scripts = 0;

/** Runs `code` as a file of the project (so the SDK can name its lines). */
function python(code: string, env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const script = path.join(projectDir, `script_${++scripts}.py`);
  writeFileSync(script, code);
  const result = spawnSync(testPython(), [script], { cwd: projectDir, env: { ...pythonEnv(projectDir), ...env }, encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe("cli_log, CliLogData and Logger", () => {
  it("write the TypeScript SDK's line: the action right-aligned to 12, errors and warnings on stderr", () => {
    const { stdout, stderr, status } = python(`
from moose_ts import CliLogData, Logger, cli_log
cli_log(CliLogData(action="Events", message="3 rows in"))
cli_log(CliLogData("Events", "it broke", "Error"))
cli_log(CliLogData(message="no action given"))
logger = Logger("Transform")
logger.info("info"); logger.success("success"); logger.highlight("highlight")
logger.warning("warning"); logger.error("error")
Logger().info("default action")
`);
    expect(status).toBe(0);
    expect(stdout).toBe("      Events 3 rows in\n      Custom no action given\n   Transform info\n   Transform success\n   Transform highlight\n      Custom default action\n");
    expect(stderr).toBe("      Events it broke\n   Transform warning\n   Transform error\n");
  });
});

describe("moose_runtime_env", () => {
  it("returns the variable at run time, a marker while moose extracts the app, and says which variable is missing", () => {
    const code = `
from moose_ts import moose_env_secrets, moose_runtime_env
from moose_ts.errors import MooseError
print(moose_runtime_env.get("BUCKET_KEY"))
assert moose_env_secrets is moose_runtime_env
try:
    moose_runtime_env.get("NOT_SET_ANYWHERE")
except MooseError as error:
    print(error.code, error.message, error.location.line)
`;
    expect(python(code, { BUCKET_KEY: "k-123" }).stdout).toBe(
      "k-123\nRUNTIME_ENV_MISSING environment variable NOT_SET_ANYWHERE is not set (read by moose_runtime_env.get) 7\n",
    );
    expect(python(code, { BUCKET_KEY: "k-123", IS_LOADING_INFRA_MAP: "true" }).stdout.split("\n")[0]).toBe("__MOOSE_RUNTIME_ENV__:BUCKET_KEY");
  });
});

describe("StringToEnumMixin", () => {
  it("lets a model's enum take a member's name, as ClickHouse answers an Enum column, and still refuses other names", () => {
    const { stdout, status, stderr } = python(`
from enum import IntEnum
from pydantic import BaseModel, ValidationError
from moose_ts import StringToEnumMixin

class Status(StringToEnumMixin, IntEnum):
    active = 1
    inactive = 2

class Row(BaseModel):
    status: Status

print(Row.model_validate({"status": "inactive"}).status.name, Row.model_validate({"status": 1}).status.name)
print(Row.model_validate_json('{"status": "active"}').status.value)
try:
    Row.model_validate({"status": "deleted"})
except ValidationError:
    print("refused")
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("inactive active\n1\nrefused\n");
  });
});

describe("moose_ts.dmv2 and moose_ts.blocks", () => {
  it("hold moose_ts's names, so code importing moose_lib.dmv2 / moose_lib.blocks ports by its module name", () => {
    const { stdout, status, stderr } = python(`
import moose_ts, moose_ts.blocks, moose_ts.dmv2
from moose_ts.dmv2 import IngestPipeline, LifeCycle, MaterializedView, OlapTable
from moose_ts.blocks import ReplacingMergeTreeEngine, S3QueueEngine
names = set(moose_ts.__all__)
print(all(getattr(module, name) is getattr(moose_ts, name) for module in (moose_ts.dmv2, moose_ts.blocks) for name in names), len(names) > 100)
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("True True\n");
  });
});

describe("engine keys moose-ts accepts without applying", () => {
  it("are named in a notice at the table's line, as the TypeScript SDK's build notice names them", () => {
    const { stdout, stderr, status } = python(`
from pydantic import BaseModel
from moose_ts import OlapConfig, OlapTable, registry
from moose_ts.blocks import S3Engine, S3QueueEngine

class Row(BaseModel):
    id: str

queue = OlapTable[Row]("Queue", OlapConfig(engine=S3QueueEngine(s3_path="s3://b/*.json", format="JSONEachRow", headers={"X-Tenant": "a"})))
files = OlapTable[Row]("Files", OlapConfig(engine=S3Engine(path="s3://b/out/", format="Parquet", partition_strategy="hive")))
registry.to_manifest()
for notice in registry.notices():
    print(notice["source"]["line"], notice["message"])
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe(
      '9 OLAP table "Queue": headers is accepted but not applied by moose-ts (see docs/moosestack-differences.md)\n' +
        '10 OLAP table "Files": partition_strategy is accepted but not applied by moose-ts (see docs/moosestack-differences.md)\n',
    );
  });
});

describe("SQL text", () => {
  it("is quoted by the Python SDK exactly as the TypeScript SDK quotes it (twin models, one manifest)", () => {
    const names = ["Users", "user_id", "order", "Select", "top", "my col", "a`b", "back\\slash", "new\nline", "1st", "é"];
    const texts = ["plain", "it's", "back\\slash", "tab\tand\nline", "nul\u0000"];
    const { stdout, stderr, status } = python(`
import json
from moose_ts.sql_text import quote_identifier, quote_string
names, texts = ${JSON.stringify(names)}, ${JSON.stringify(texts)}
print(json.dumps([[quote_identifier(name) for name in names], [quote_string(text) for text in texts]]))
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual([names.map(quoteIdentifier), texts.map(quoteString)]);
  });
});

describe("WebApp", () => {
  it("is importable from moose_lib's module paths, and its mount path is checked at its line, as the TypeScript SDK checks it", () => {
    const { stdout, status, stderr } = python(`
from moose_ts.dmv2 import WebApp, WebAppConfig
from moose_ts.dmv2.web_app_helpers import ApiUtil, get_moose_utils, get_moose_dependency
from moose_ts import get_web_apps
from moose_ts.errors import MooseError

async def app(scope, receive, send):
    pass

WebApp("ok", app, WebAppConfig(mount_path="/ok"))
for name, target, path in [("root", app, "/"), ("slash", app, "/x/"), ("relative", app, "x"), ("reserved", app, "/api/x"),
                           ("query", app, "/x?y"), ("twice", app, "/ok"), ("ok", app, "/other"), ("notapp", 42, "/n")]:
    try:
        WebApp(name, target, WebAppConfig(mount_path=path))
        print(name, "accepted")
    except MooseError as error:
        print(name, error.code, error.location.line, error.message)
print(sorted(get_web_apps()))
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 8).map((line) => line.split(" ").slice(0, 3).join(" "))).toEqual(
      ["root", "slash", "relative", "reserved", "query", "twice", "ok", "notapp"].map((name) => `${name} INVALID_WEB_APP 14`),
    );
    expect(lines[3]).toContain("on the server's own route /api");
    expect(lines[5]).toContain('WebApp "ok" is mounted at /ok too');
    expect(lines[7]).toContain("not an ASGI app");
    expect(lines[8]).toBe("['ok']");
  });
});

describe("client.query.execute", () => {
  it("takes tables and columns as identifiers by their class, so a model parsed from a request with such fields stays a value", () => {
    const { stdout, stderr } = python(`
from pydantic import BaseModel
from moose_ts import Key, OlapTable
from moose_ts.client import QueryClient

seen = []
query = QueryClient(lambda sql, params: seen.append((sql, params)) or [])


class Row(BaseModel):
    id: Key[str]


class Body(BaseModel):
    component_kind: str = "tables"
    id: str


table = OlapTable[Row]("Rows")
query.execute("SELECT {c} FROM {t}", {"t": table, "c": table.cols.id})
query.execute("SELECT * FROM t WHERE x = {v}", {"v": Body(id="Users")})
for sql, params in seen:
    print(sql, sorted((key, type(value).__name__) for key, value in params.items()))
`);
    expect(stderr).toBe("");
    expect(stdout).toBe("SELECT {p0:Identifier} FROM {p1:Identifier} [('p0', 'str'), ('p1', 'str')]\nSELECT * FROM t WHERE x = {p0:String} [('p0', 'Body')]\n");
  });
});

describe("MooseStack's v1 names a dmv2 app still imports", () => {
  it("load and define nothing, as in a MooseStack dmv2 app, each use named in a notice", () => {
    const { stdout, stderr, status } = python(`
from dataclasses import dataclass
from moose_ts import DataModelConfig, StorageConfig, StreamingFunction, moose_data_model, registry


@moose_data_model
@dataclass
class Old:
    id: str


@moose_data_model(DataModelConfig(storage=StorageConfig(enabled=False)))
class Older:
    pass


Old__New = StreamingFunction(run=lambda old: old)
print(Old(id="a"), Older.__name__, Old__New.run(1), registry.to_manifest()["tables"])
for notice in registry.notices():
    print(notice["source"]["line"], notice["message"])
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe(
      "Old(id='a') Older 1 {}\n" +
        "6 @moose_data_model is MooseStack's v1 API and defines nothing in a dmv2 app (MooseStack ignores it there too); a table is OlapTable[Model](name)\n" +
        "12 @moose_data_model is MooseStack's v1 API and defines nothing in a dmv2 app (MooseStack ignores it there too); a table is OlapTable[Model](name)\n" +
        "17 StreamingFunction is MooseStack's v1 API and defines nothing in a dmv2 app (MooseStack ignores it there too); a transform is stream.add_transform(destination, function)\n",
    );
  });
});

describe("the query builder and MooseModel (moose_lib's Query, col, and_, or_)", () => {
  it("write a SELECT with every value a typed parameter, quoted identifiers, AND/OR nesting kept by parentheses", () => {
    const { stdout, stderr } = python(`
from datetime import datetime, timezone
from moose_ts import Key, MooseModel, OlapTable, Params, Query, and_, col, or_
from moose_ts.client import QueryClient


class Event(MooseModel):
    id: Key[int]
    kind: str
    order: str
    at: datetime


events = OlapTable[Event]("Event Log")
query = (Query().from_(events).select(Event.id, events.cols.kind)
         .where(or_(and_(col(Event.kind).in_(["a", "b"]), col(Event.id).ge(3)), col(Event.order).is_null()))
         .where(Event.at.to_expr().lt(datetime(2026, 1, 2, tzinfo=timezone.utc)))
         .order_by((Event.at, "DESC"), Event.id).limit(5))
sql, params = query.to_sql_and_params()
print(sql)
print(params)
print(Query().from_(events).where(col(Event.kind).in_([])).to_sql())
bound = Params()
print(bound.bind(1, name="p0"), bound.bind("x"), bound.bind(2.5, ch_type="Float32"), bound.bindings)
seen = []
QueryClient(lambda sql, params: seen.append((sql, params)) or [{"id": 1}]).execute(query)
print(seen[0][1]["p3"])
`);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      "SELECT `Event Log`.id, `Event Log`.kind FROM `Event Log` WHERE ((`Event Log`.kind IN ({p0:String}, {p1:String}) AND `Event Log`.id >= {p2:Int64}) OR `Event Log`.`order` IS NULL) AND `Event Log`.at < {p3:DateTime64(6, 'UTC')} ORDER BY `Event Log`.at DESC, `Event Log`.id LIMIT 5\n" +
        "{'p0': 'a', 'p1': 'b', 'p2': 3, 'p3': datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)}\n" +
        "SELECT * FROM `Event Log` WHERE false\n" +
        "{p0:Int64} {p1:String} {p2:Float32} {'p0': 1, 'p1': 'x', 'p2': 2.5}\n" +
        "2026-01-02 00:00:00.000000\n",
    );
  });

  it("refuse what they cannot write with a message naming the call", () => {
    const { stdout, stderr } = python(`
from moose_ts import Key, MooseModel, OlapTable, Query, Stream, col
from moose_ts.client import QueryClient


class Row(MooseModel):
    id: Key[int]


table = OlapTable[Row]("rows")
attempts = [
    lambda: Query().select(Row.id).to_sql(),
    lambda: Query().from_(Stream[Row]("rows_stream")),
    lambda: Query().from_(table).where("id = 1 OR 1 = 1"),
    lambda: Query().from_(table).order_by((Row.id, "sideways")),
    lambda: Query().from_(table).select("id"),
    lambda: Query().from_(table).limit(-1),
    lambda: Query().params.bind(1, name="p0; DROP TABLE rows"),
    lambda: QueryClient(lambda sql, params: []).execute(Query().from_(table), {"x": 1}),
    lambda: f"{Row.id:>10}",
]
for attempt in attempts:
    try:
        attempt()
        print("accepted")
    except (TypeError, ValueError) as error:
        print(type(error).__name__, error)
`);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      "ValueError the query has no table: call Query().from_(table) first\n" +
        "TypeError Query.from_ takes an OlapTable or a View of the app, not Stream\n" +
        "TypeError Query.where takes conditions such as col(table.cols.id).eq(1), and_(...) or or_(...), not str\n" +
        "ValueError order_by direction must be 'asc' or 'desc', not 'sideways'\n" +
        "TypeError Query.select takes columns (table.cols.name, Model.name or col(...)), not str\n" +
        "ValueError Query.limit takes a count of rows, not -1\n" +
        "ValueError query parameter name 'p0; DROP TABLE rows' is not a plain identifier\n" +
        "ValueError client.query.execute(query): a Query binds its own values; pass no variables\n" +
        "ValueError format spec '>10' for column 'id': use :col (or none)\n",
    );
  });

  it("MooseModel: the class's attributes are its columns (by alias), instances hold values, subclasses keep their parents' defaults", () => {
    const { stdout, stderr } = python(`
from typing import Optional
from pydantic import Field
from moose_ts import MooseModel, OlapTable


class User(MooseModel):
    user_id: int
    email: str = "none"
    group: Optional[str] = Field(default=None, alias="group name")


class Admin(User):
    user_id: int
    level: int = 1


print(f"SELECT {User.user_id:col}, {User.group:col} FROM users", str(User.email), User.cols.email, User.cols["user_id"])
print(User(user_id=3).model_dump(), Admin(user_id=5).model_dump(), Admin.level, list(map(str, Admin.cols)))
print([spec["name"] for spec in OlapTable[Admin]("admins", order_by_fields=["user_id"]).column_specs])
try:
    User.cols.missing
except AttributeError as error:
    print(error)
`);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      "SELECT user_id, `group name` FROM users email email user_id\n" +
        "{'user_id': 3, 'email': 'none', 'group': None} {'user_id': 5, 'email': 'none', 'group': None, 'level': 1} level ['user_id', 'email', '`group name`', 'level']\n" +
        "['user_id', 'email', 'group name', 'level']\n" +
        "model User has no column 'missing' (it has: user_id, email, group name)\n",
    );
  });
});

describe("dead-letter queues as MooseStack's template uses them", () => {
  it("are a pipeline's get_dead_letter_queue(); DeadLetterModel[Row] types a function's argument, and as_typed() gives the failed record as a Row", () => {
    const { stdout, stderr } = python(`
from pydantic import BaseModel
from moose_ts import DeadLetterModel, IngestPipeline, IngestPipelineConfig, Key


class View(BaseModel):
    id: Key[str]
    n: int


pipeline = IngestPipeline[View]("Views", IngestPipelineConfig(table=False))
print(pipeline.get_dead_letter_queue().name)


def handle(letter: DeadLetterModel[View]) -> None:
    pass


letter = DeadLetterModel[View].model_validate({"originalRecord": {"id": "a", "n": 2}, "errorMessage": "m", "errorType": "ValueError",
                                                "failedAt": "2026-01-01T00:00:00Z", "source": "transform"})
try:
    letter.as_typed()
except ValueError as error:
    print("untyped:", error)
letter._t = View
print(repr(letter.as_typed()))
try:
    IngestPipeline[View]("Other", IngestPipelineConfig(table=False, dead_letter_queue=False)).get_dead_letter_queue()
except ValueError as error:
    print(error)
`);
    expect(stderr).toBe("");
    expect(stdout.split("\n")).toEqual([
      "ViewsDeadLetterQueue",
      "untyped: as_typed() needs the record's model, which the messages a dead-letter queue's transforms and consumers receive carry",
      "View(id='a', n=2)",
      "ingest pipeline Other has no dead letter queue",
      "",
    ]);
  });
});

describe("what moose_lib code leans on beyond the components (found in public MooseStack projects)", () => {
  it("imports from moose_lib's submodule paths, and takes BaseModel and Field from the SDK", () => {
    const { stdout, stderr, status } = python(`
import moose_ts
from moose_ts.dmv2.workflow import Task, Workflow
from moose_ts.dmv2.stream import Stream
from moose_ts.dmv2.olap_table import OlapConfig, OlapTable
from moose_ts.data_models import ClickHouseJson
from moose_ts import BaseModel, Field
import pydantic
print(Task is moose_ts.Task, Stream is moose_ts.Stream, ClickHouseJson is moose_ts.ClickHouseJson, BaseModel is pydantic.BaseModel, Field is pydantic.Field)
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("True True True True True\n");
  });

  it("gives an ingest API a field's plain default, so ingest fills it in and the record on the topic fits the table's sync", async () => {
    const { stdout, stderr, status } = python(`
import json
from enum import Enum
from pydantic import BaseModel, Field
from moose_ts import IngestPipeline, IngestPipelineConfig, Key

class Level(str, Enum):
    low = "low"
    high = "high"

class Reading(BaseModel):
    sensor_id: Key[str]
    value: float
    fail: bool = False
    level: Level = Level.low
    tags: list[str] = Field(default_factory=list)

pipeline = IngestPipeline[Reading]("Readings", IngestPipelineConfig(ingest_api=True, stream=True, table=True, dead_letter_queue=False))
print(json.dumps({"schema": pipeline.ingest_api.schema, "columns": pipeline.table.column_specs}))
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const { schema, columns } = JSON.parse(stdout) as { schema: { properties: Record<string, { default?: unknown }> }; columns: ColumnSpec[] };
    expect(Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, property.default]))).toEqual({ sensor_id: undefined, value: undefined, fail: false, level: "low", tags: undefined });
    const sent: unknown[] = [];
    const manifest: Manifest = {
      ...emptyManifest(),
      tables: { Readings: { name: "Readings", columns, orderBy: ["sensor_id"], engine: { name: "MergeTree", params: [] }, settings: {}, indexes: [], lifeCycle: "FULLY_MANAGED" } },
      streams: { Readings: { name: "Readings", partitionCount: 1, retentionMs: 1000, config: {}, columns, destination: "Readings", lifeCycle: "FULLY_MANAGED" } },
      ingestApis: { Readings: { name: "Readings", path: "Readings", columns, schema, destination: "Readings" } },
    };
    const producer = { send: async (_stream: string, values: unknown[]) => void sent.push(...values), close: async () => {} };
    const ingest = ingestRoutes(manifest, { driver: {} as ClickHouseDriver, producer });
    expect(await ingest("Readings", { sensor_id: "s1", value: 5 })).toEqual({ status: 200, body: { ingested: 1 } });
    expect(sent).toEqual([{ sensor_id: "s1", value: 5, fail: false, level: "low" }]);
    expect(tableRecords(columns).problems(sent[0])).toEqual([]);
  });

  it("reads a blank workflow schedule as none, as the TypeScript SDK does", () => {
    const { stdout, stderr, status } = python(`
from moose_ts import Task, TaskConfig, Workflow, WorkflowConfig
for name, schedule in (("blank", ""), ("spaces", "  "), ("daily", "@daily")):
    spec = Workflow(name, WorkflowConfig(starting_task=Task[None, None](name + "_t", TaskConfig(run=lambda ctx: None)), schedule=schedule)).to_spec()
    print(name, spec.get("schedule"))
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("blank None\nspaces None\ndaily @daily\n");
  });

  it("finds a component by name: get_stream, get_table, get_api (by name, version or path), get_workflow…; None for none", () => {
    const { stdout, stderr, status } = python(`
from pydantic import BaseModel
from moose_ts import (Api, ApiConfig, OlapConfig, OlapTable, Stream, Task, TaskConfig, Workflow, WorkflowConfig, get_api, get_consumption_api,
                      get_stream, get_table, get_workflow)


class Row(BaseModel):
    id: str


orders = Stream[Row]("orders")
OlapTable[Row]("history", OlapConfig(version="2"))
Api[Row, dict]("stats", lambda client, params: {}, ApiConfig(version="1.0"))
Api[Row, dict]("custom", lambda client, params: {}, ApiConfig(path="reports/custom"))
Workflow("nightly", WorkflowConfig(starting_task=Task[None, None]("t", TaskConfig(run=lambda ctx: None))))
print(get_stream("orders") is orders, get_stream("nope"), get_table("history").id, get_table("history_2").id)
print(get_api("stats").id, get_api("stats/1.0").id, get_api("reports/custom").name, get_consumption_api("custom").name, get_workflow("nightly").name)
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe("True None history_2 history_2\nstats/1.0 stats/1.0 custom custom nightly\n");
  });

  it("names keyword arguments a constructor does not have, and OlapConfig / ViewConfig keys it does not apply, in notices (moose_lib ignores the first silently)", () => {
    const { stdout, stderr, status } = python(`
from pydantic import BaseModel
from moose_ts import Api, LifeCycle, OlapConfig, OlapTable, Stream, View, ViewConfig, registry
from moose_lib.dmv2 import TableProjection


class Row(BaseModel):
    id: str


events = Stream[Row]("events", lifecycle=LifeCycle.EXTERNALLY_MANAGED)
Api[Row, dict]("shows", lambda client, params: {}, source="Show")
table = OlapTable[Row]("archive", OlapConfig(database="analytics", seed_filter={"limit": 10}))
View("recent", ViewConfig(select_statement="SELECT 1", base_tables=[table], database="analytics"))
# moose_lib's two spellings of a projection, as its dmv2 exports it and as OlapConfig's nested class.
OlapTable[Row]("projected", OlapConfig(projections=[TableProjection(name="by_id", body="SELECT id ORDER BY id"), OlapConfig.TableProjection(name="p2", body="SELECT id")]))
registry.to_manifest()
for notice in registry.notices():
    print(notice["source"]["line"], notice["message"])
`);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toBe(
      '11 stream "events": lifecycle= is not an argument of its constructor and changes nothing (MooseStack ignores it too; did you mean a key of its config?)\n' +
        '12 API "shows": source= is not an argument of its constructor and changes nothing (MooseStack ignores it too; did you mean a key of its config?)\n' +
        '13 OLAP table "archive": database, seed_filter are accepted but not applied by moose-ts (see docs/moosestack-differences.md: the table is created in clickhouse_config.db_name, without projections, constraints or seeding)\n' +
        '14 view "recent": database is accepted but not applied by moose-ts (the view is created in clickhouse_config.db_name)\n' +
        '16 OLAP table "projected": projections is accepted but not applied by moose-ts (see docs/moosestack-differences.md: the table is created in clickhouse_config.db_name, without projections, constraints or seeding)\n',
    );
  });
});
