from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict

from ._typed import ModelBacked, life_cycle_value, require_model
from .columns import columns_of
from .errors import MooseError, SourceLocation
from .life_cycle import ClickHouseEngines, LifeCycle
from .registry import notice, register, unknown_arguments
from .runtime import host_request
from .runtime_env import ddl_literal
from .source import caller_location
from .sql_text import quote_string


# ---- engines (MooseStack's EngineConfig classes) -------------------------------------------------
@dataclasses.dataclass
class EngineConfig:
    pass


@dataclasses.dataclass
class MergeTreeEngine(EngineConfig):
    pass


@dataclasses.dataclass
class ReplacingMergeTreeEngine(EngineConfig):
    ver: Optional[str] = None
    is_deleted: Optional[str] = None


@dataclasses.dataclass
class AggregatingMergeTreeEngine(EngineConfig):
    pass


@dataclasses.dataclass
class SummingMergeTreeEngine(EngineConfig):
    columns: Optional[list[str]] = None


@dataclasses.dataclass
class CollapsingMergeTreeEngine(EngineConfig):
    sign: str = ""


@dataclasses.dataclass
class VersionedCollapsingMergeTreeEngine(EngineConfig):
    sign: str = ""
    ver: str = ""


# Replicated*: MooseStack's classes, each with keeper_path and replica_name (both or neither) before its base's fields.
@dataclasses.dataclass
class ReplicatedMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None

    def _base(self) -> EngineConfig:
        return MergeTreeEngine()


@dataclasses.dataclass
class ReplicatedReplacingMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None
    ver: Optional[str] = None
    is_deleted: Optional[str] = None

    def _base(self) -> EngineConfig:
        return ReplacingMergeTreeEngine(ver=self.ver, is_deleted=self.is_deleted)


@dataclasses.dataclass
class ReplicatedAggregatingMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None

    def _base(self) -> EngineConfig:
        return AggregatingMergeTreeEngine()


@dataclasses.dataclass
class ReplicatedSummingMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None
    columns: Optional[list[str]] = None

    def _base(self) -> EngineConfig:
        return SummingMergeTreeEngine(columns=self.columns)


@dataclasses.dataclass
class ReplicatedCollapsingMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None
    sign: str = ""

    def _base(self) -> EngineConfig:
        return CollapsingMergeTreeEngine(sign=self.sign)


@dataclasses.dataclass
class ReplicatedVersionedCollapsingMergeTreeEngine(EngineConfig):
    keeper_path: Optional[str] = None
    replica_name: Optional[str] = None
    sign: str = ""
    ver: str = ""

    def _base(self) -> EngineConfig:
        return VersionedCollapsingMergeTreeEngine(sign=self.sign, ver=self.ver)


# Engines outside the MergeTree family (MooseStack's moose_lib.blocks classes): no ORDER BY, PARTITION BY or TTL.
@dataclasses.dataclass
class S3QueueEngine(EngineConfig):
    s3_path: str
    format: str
    aws_access_key_id: Optional[str] = None
    aws_secret_access_key: Optional[str] = None
    compression: Optional[str] = None
    headers: Optional[dict[str, str]] = None


@dataclasses.dataclass
class S3Engine(EngineConfig):
    path: str
    format: str
    aws_access_key_id: Optional[str] = None
    aws_secret_access_key: Optional[str] = None
    compression: Optional[str] = None
    partition_strategy: Optional[str] = None
    partition_columns_in_data_file: Optional[str] = None


@dataclasses.dataclass
class IcebergS3Engine(EngineConfig):
    path: str
    format: str
    aws_access_key_id: Optional[str] = None
    aws_secret_access_key: Optional[str] = None
    compression: Optional[str] = None


@dataclasses.dataclass
class BufferEngine(EngineConfig):
    target_database: str
    target_table: str
    num_layers: int
    min_time: int
    max_time: int
    min_rows: int
    max_rows: int
    min_bytes: int
    max_bytes: int
    flush_time: Optional[int] = None
    flush_rows: Optional[int] = None
    flush_bytes: Optional[int] = None


@dataclasses.dataclass
class DistributedEngine(EngineConfig):
    cluster: str
    target_database: str
    target_table: str
    sharding_key: Optional[str] = None
    policy_name: Optional[str] = None


@dataclasses.dataclass
class KafkaEngine(EngineConfig):
    broker_list: str
    topic_list: str
    group_name: str
    format: str


@dataclasses.dataclass
class MergeEngine(EngineConfig):
    source_database: str
    tables_regexp: str


_INTEGRATION_ENGINES = (S3QueueEngine, S3Engine, IcebergS3Engine, BufferEngine, DistributedEngine, KafkaEngine, MergeEngine)
_INTEGRATION_ENGINE_NAMES = {engine.__name__ for engine in _INTEGRATION_ENGINES}
# Keys MooseStack's classes take that moose-ts accepts without applying (as the TypeScript SDK's build notice says).
_UNAPPLIED_ENGINE_KEYS = ("headers", "partition_strategy", "partition_columns_in_data_file")

_REPLICATED_ENGINES = (ReplicatedMergeTreeEngine, ReplicatedReplacingMergeTreeEngine, ReplicatedAggregatingMergeTreeEngine,
                       ReplicatedSummingMergeTreeEngine, ReplicatedCollapsingMergeTreeEngine, ReplicatedVersionedCollapsingMergeTreeEngine)

# The Keeper path and replica name of a Replicated table on a cluster that names neither (the TypeScript SDK's
# CLUSTER_KEEPER_PATH / CLUSTER_REPLICA_NAME): one path per shard, database and table, which every server expands.
CLUSTER_KEEPER_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
CLUSTER_REPLICA_NAME = "{replica}"


class TableIndex(BaseModel):
    name: str
    expression: str
    type: str
    arguments: list[str] = []
    granularity: int = 1


class TableProjection(BaseModel):
    """MooseStack's projection: `PROJECTION name (body)`. Accepted, not applied (a build notice says so)."""
    name: str
    body: str


class OlapConfig(BaseModel):
    """How a table is stored (MooseStack's OlapConfig)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    order_by_fields: list[str] = []
    order_by_expression: Optional[str] = None
    partition_by: Optional[str] = None
    sample_by_expression: Optional[str] = None
    primary_key_expression: Optional[str] = None
    engine: Optional[Union[ClickHouseEngines, EngineConfig]] = None
    version: Optional[str] = None
    metadata: Optional[dict] = None
    life_cycle: Optional[LifeCycle] = None
    settings: Optional[dict[str, Union[str, int]]] = None
    ttl: Optional[str] = None
    indexes: list[TableIndex] = []
    # The [[clickhouse_config.clusters]] cluster the table is on: its DDL runs ON CLUSTER (docs/clusters.md).
    cluster: Optional[str] = None
    # Accepted as MooseStack's, not applied: a build notice names them (docs/moosestack-differences.md).
    database: Optional[str] = None
    projections: Optional[list[Union[TableProjection, dict[str, Any]]]] = None
    constraints: Optional[list[Any]] = None
    seed_filter: Optional[Any] = None



OlapConfig.TableIndex = TableIndex  # type: ignore[attr-defined]  # OlapConfig.TableIndex(...), as in MooseStack
OlapConfig.TableProjection = TableProjection  # type: ignore[attr-defined]


# As moose-ts's config takes cluster names (src/config/clusters.ts): written bare after ON CLUSTER.
_CLUSTER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def cluster_spec(cluster: Optional[str], what: str, source: SourceLocation) -> dict[str, str]:
    """A component's `cluster` for its spec ({} when none); a name ON CLUSTER could not carry is an error at its line."""
    if cluster is None:
        return {}
    if not _CLUSTER_NAME.match(cluster):
        raise MooseError("INVALID_CLUSTER", f"{what} has cluster {cluster!r}, which is not a cluster name", source,
                         "cluster names are letters, digits and underscores, as in the server's remote_servers and [[clickhouse_config.clusters]] name")
    return {"cluster": cluster}


@dataclasses.dataclass
class InsertOptions:
    """How `OlapTable.insert` treats rows that do not fit (MooseStack's InsertOptions)."""

    #: `fail-fast`: stop at the first invalid or refused row (a list is checked whole before anything is inserted);
    #: `discard` / `isolate`: set such rows aside, within allow_errors / allow_errors_ratio.
    strategy: str = "fail-fast"
    #: Check each row against the table's model (pydantic) before inserting.
    validate: bool = True
    allow_errors: Optional[int] = None
    allow_errors_ratio: Optional[float] = None

    def __post_init__(self) -> None:
        if self.strategy not in ("fail-fast", "discard", "isolate"):
            raise ValueError(f"strategy must be 'fail-fast', 'discard' or 'isolate', got {self.strategy!r}")


@dataclasses.dataclass
class FailedRecord:
    record: Any
    error: str
    index: Optional[int] = None


@dataclasses.dataclass
class InsertResult:
    successful: int
    failed: int
    total: int
    failed_records: list[FailedRecord] = dataclasses.field(default_factory=list)


#: Rows sent in one INSERT (an iterable is read this many at a time).
INSERT_BATCH_ROWS = 10_000


def _batches(data: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for record in data:
        batch.append(record)
        if len(batch) >= INSERT_BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def versioned_id(name: str, version: Optional[str]) -> str:
    return f"{name}_{version.replace('.', '_')}" if version else name


class OlapTable(ModelBacked):
    """A ClickHouse table whose columns are the fields of a pydantic model: `OlapTable[Row]("Rows")`."""

    component_kind = "tables"
    _kind_label = "OLAP table"

    def __init__(self, name: str, config: Optional[OlapConfig] = None, *, t: Any = None, _source: Optional[SourceLocation] = None, **unknown: Any):
        self.source = _source or caller_location()
        self.name = name
        self.config = config if config is not None else OlapConfig()
        self.id = versioned_id(name, self.config.version)
        self._t = require_model(t, f'OLAP table "{name}"', self.source, f'OlapTable[MyModel]("{name}")')
        self.column_specs = columns_of(self._t, name, self.source)
        unknown_arguments(f'OLAP table "{name}"', unknown, self.source)
        unapplied = [key for key in ("database", "projections", "constraints", "seed_filter") if getattr(self.config, key) is not None]
        if unapplied:
            notice(f'OLAP table "{name}": {", ".join(unapplied)} {"is" if len(unapplied) == 1 else "are"} accepted but not applied by moose-ts '
                   "(see docs/moosestack-differences.md: the table is created in clickhouse_config.db_name, without projections, constraints or seeding)",
                   self.source)
        register(self)

    def _fail(self, code: str, problem: str, hint: str, details: Optional[dict] = None) -> Any:
        raise MooseError(code, f'OLAP table "{self.name}" {problem}', self.source, hint, details)

    def insert(self, data: Any, options: Optional[InsertOptions] = None) -> InsertResult:
        """Inserts model instances or dicts (one, a list, or any iterable, read in batches) into the table. Dicts are
        validated into the model first and moose then checks every row against the table's columns with the ingest
        API's rules, as the TypeScript SDK's insert does (src/server/python-host.ts); `validate=False` skips both."""
        location = caller_location()
        options = options or InsertOptions()
        records = [data] if isinstance(data, (dict, BaseModel)) else data
        failed: list[FailedRecord] = []
        total = successful = 0

        def row_of(record: Any) -> dict[str, Any]:
            if options.validate or isinstance(record, self._t):
                return self._json_row(record)
            values = record.model_dump(by_alias=True) if isinstance(record, BaseModel) else record
            return json.loads(json.dumps(values, default=_json_value))

        def invalid(index: int, problem: str) -> MooseError:
            return MooseError("INSERT_INVALID", f"row {index} for {self.id} does not fit the table: {problem}"
                              + (f" ({successful} earlier row(s) were inserted)" if successful else ""), location,
                              'fix the row, or insert with InsertOptions(strategy="discard") to set invalid rows aside',
                              {"index": index, "inserted": successful})

        def checked(indexed: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any, Optional[dict[str, Any]], str]]:
            for index, record in indexed:
                try:
                    yield index, record, row_of(record), ""
                except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
                    yield index, record, None, str(error)

        items: Iterable[tuple[int, Any, Optional[dict[str, Any]], str]] = checked(enumerate(records))
        fail_fast = options.strategy == "fail-fast"
        if isinstance(records, list) and fail_fast:
            # All or nothing for a list: every row is checked before the first insert.
            items = list(items)
            first_invalid = next((item for item in items if item[2] is None), None)
            if first_invalid is not None:
                raise invalid(first_invalid[0], first_invalid[3])
        # A list goes to moose whole, which checks every row before inserting any (all or nothing); an iterable in batches.
        for batch in ([items] if isinstance(items, list) else _batches(items)):
            total += len(batch)
            sent: list[tuple[int, Any]] = []
            rows: list[dict[str, Any]] = []
            for index, record, row, problem in batch:
                if row is None:
                    if fail_fast:
                        raise invalid(index, problem)
                    failed.append(FailedRecord(record, problem, index))
                else:
                    sent.append((index, record))
                    rows.append(row)
            if not rows:
                continue
            # Moose sets aside what its checks or ClickHouse refuse; how many may be is decided here, over every batch.
            try:
                result = host_request({"op": "insert", "table": self.id, "rows": rows, "location": location.to_json(),
                                       "options": {"strategy": options.strategy, "validate": options.validate}}, location, "OlapTable.insert")
            except MooseError as error:
                if error.code == "INSERT_INVALID" and error.details and "problems" in error.details:
                    # Moose counted within what it was sent: the row's index in what this call was given.
                    raise invalid(sent[error.details["index"]][0], error.details["problems"]) from None
                raise
            successful += result["successful"]
            for refused in result.get("failedRecords") or []:
                index, record = sent[refused["index"]]
                failed.append(FailedRecord(record, refused["error"], index))
        if not failed:
            return InsertResult(successful, 0, total)
        tolerated = (options.allow_errors if options.allow_errors is not None
                     else math.floor(options.allow_errors_ratio * total) if options.allow_errors_ratio is not None else total)
        if len(failed) > tolerated:
            raise MooseError("INSERT_REJECTED", f"{len(failed)} of {total} row(s) for {self.id} were refused, more than the {tolerated} "
                             f"allowed: {failed[0].error}", location, "fix the rows (see details.failed_records), or raise allow_errors / "
                             "allow_errors_ratio", {"failed_records": [{"index": record.index, "error": record.error} for record in failed[:10]],
                                                    "inserted": successful})
        return InsertResult(successful, len(failed), total, failed)

    def _engine(self) -> tuple[str, list[str], dict[str, Any]]:
        """(engine name, its parameters, the fields its parameters name), as the TypeScript SDK's engineSpec."""
        engine = self.config.engine
        if isinstance(engine, _REPLICATED_ENGINES):
            name, params, fields = self._base_engine(engine._base())
            return f"Replicated{name}", self._replication(engine.keeper_path, engine.replica_name) + params, fields
        if isinstance(engine, ClickHouseEngines) and engine.value.startswith("Replicated"):
            name, params, fields = self._base_engine(ClickHouseEngines(engine.value[len("Replicated"):]))
            return engine.value, self._replication(None, None) + params, fields
        if isinstance(engine, _INTEGRATION_ENGINES):
            return (*self._integration_engine(engine), {})
        if isinstance(engine, ClickHouseEngines) and engine.value + "Engine" in _INTEGRATION_ENGINE_NAMES:
            self._fail("INVALID_ENGINE", f"uses ClickHouseEngines.{engine.value} without its arguments", f"use {engine.value}Engine(...)")
        return self._base_engine(engine)

    def _integration_engine(self, engine: EngineConfig) -> tuple[str, list[str]]:
        """(name, parameters) of an engine outside the MergeTree family, as the TypeScript SDK's engineSpec writes them."""
        name = type(engine).__name__[: -len("Engine")]
        for key in _UNAPPLIED_ENGINE_KEYS:
            if getattr(engine, key, None) is not None:
                notice(f'OLAP table "{self.name}": {key} is accepted but not applied by moose-ts (see docs/moosestack-differences.md)', self.source)
        if isinstance(engine, (S3QueueEngine, S3Engine, IcebergS3Engine)):
            location = engine.s3_path if isinstance(engine, S3QueueEngine) else engine.path
            params = [self._engine_text(self._required(name, location, "s3_path" if isinstance(engine, S3QueueEngine) else "path"), "path")]
            if (engine.aws_access_key_id is None) != (engine.aws_secret_access_key is None):
                self._fail("INVALID_ENGINE", "sets only one of aws_access_key_id and aws_secret_access_key", "set both, or neither for a public bucket")
            if engine.aws_access_key_id is not None and engine.aws_secret_access_key is not None:
                params += [self._engine_text(engine.aws_access_key_id, "aws_access_key_id"), self._engine_text(engine.aws_secret_access_key, "aws_secret_access_key")]
            params.append(self._engine_text(self._required(name, engine.format, "format"), "format"))
            if engine.compression is not None:
                params.append(self._engine_text(engine.compression, "compression"))
            return name, params
        if isinstance(engine, BufferEngine):
            limits = ["num_layers", "min_time", "max_time", "min_rows", "max_rows", "min_bytes", "max_bytes"]
            flushes = [key for key in ("flush_time", "flush_rows", "flush_bytes") if getattr(engine, key) is not None]
            return name, [self._engine_text(self._required(name, engine.target_database, "target_database"), "target_database"),
                          self._engine_text(self._required(name, engine.target_table, "target_table"), "target_table"),
                          *(self._engine_number(getattr(engine, key), key) for key in limits + flushes)]
        if isinstance(engine, DistributedEngine):
            params = [self._engine_text(self._required(name, getattr(engine, key), key), "target") for key in ("cluster", "target_database", "target_table")]
            if engine.sharding_key is not None:
                params.append(engine.sharding_key)
            if engine.policy_name is not None:
                params.append(self._engine_text(engine.policy_name, "policy_name"))
            return name, params
        if isinstance(engine, KafkaEngine):
            return name, [self._engine_text(self._required(name, getattr(engine, key), key), key) for key in ("broker_list", "topic_list", "group_name", "format")]
        assert isinstance(engine, MergeEngine)
        database = self._required(name, engine.source_database, "source_database").strip()
        # `currentDatabase()` or `REGEXP('…')` are expressions; anything else is a database name.
        database_param = database if re.fullmatch(r"\w+\(.*\)", database) else self._engine_text(database, "source_database")
        return name, [database_param, self._engine_text(self._required(name, engine.tables_regexp, "tables_regexp"), "tables_regexp")]

    def _required(self, engine: str, value: Any, key: str) -> Any:
        if value is None or value == "":
            self._fail("INVALID_ENGINE", f"uses the {engine} engine without {key}", f"set {key} in {engine}Engine(...)")
        return value

    def _engine_number(self, value: Any, key: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            self._fail("INVALID_ENGINE", f"{key} must be a non-negative number, got {value!r}", f"set {key} to a number")
        return str(int(value)) if float(value).is_integer() else repr(float(value))

    def _engine_text(self, value: str, key: str) -> str:
        return ddl_literal(value, f'OLAP table "{self.name}"', key, self.source)

    def _replication(self, keeper_path: Optional[str], replica_name: Optional[str]) -> list[str]:
        """A Replicated engine's first parameters: the Keeper path and replica name given, the cluster default, or none."""
        if (keeper_path is None) != (replica_name is None):
            missing, given = ("keeper_path", "replica_name") if keeper_path is None else ("replica_name", "keeper_path")
            self._fail("INVALID_ENGINE", f"sets {given} without {missing}", "set both keeper_path and replica_name, or neither to use the server's defaults")
        if keeper_path is not None and replica_name is not None:
            return [quote_string(keeper_path), quote_string(replica_name)]
        if self.config.cluster is not None:
            return [quote_string(CLUSTER_KEEPER_PATH), quote_string(CLUSTER_REPLICA_NAME)]
        return []

    def _base_engine(self, engine: Union[ClickHouseEngines, EngineConfig, None]) -> tuple[str, list[str], dict[str, Any]]:
        if engine is None:
            return "MergeTree", [], {}
        if isinstance(engine, ClickHouseEngines):
            if engine in (ClickHouseEngines.CollapsingMergeTree, ClickHouseEngines.VersionedCollapsingMergeTree):
                self._fail("INVALID_ENGINE", f"uses {engine.value} without sign", f"use {engine.value}Engine(sign=...)")
            return engine.value, [], {}
        if isinstance(engine, ReplacingMergeTreeEngine):
            if engine.is_deleted and not engine.ver:
                self._fail("INVALID_ENGINE", "sets is_deleted without ver", "ReplacingMergeTree needs ver when is_deleted is set")
            return "ReplacingMergeTree", [p for p in (engine.ver, engine.is_deleted) if p], {"ver": engine.ver, "is_deleted": engine.is_deleted}
        if isinstance(engine, SummingMergeTreeEngine):
            return "SummingMergeTree", ([f"({', '.join(engine.columns)})"] if engine.columns else []), {"columns": engine.columns}
        if isinstance(engine, VersionedCollapsingMergeTreeEngine):
            if not engine.sign or not engine.ver:
                self._fail("INVALID_ENGINE", "uses VersionedCollapsingMergeTree without sign and ver", "set sign and ver")
            return "VersionedCollapsingMergeTree", [engine.sign, engine.ver], {"sign": engine.sign, "ver": engine.ver}
        if isinstance(engine, CollapsingMergeTreeEngine):
            if not engine.sign:
                self._fail("INVALID_ENGINE", "uses CollapsingMergeTree without sign", "set sign to an Int8 field")
            return "CollapsingMergeTree", [engine.sign], {"sign": engine.sign}
        if isinstance(engine, AggregatingMergeTreeEngine):
            return "AggregatingMergeTree", [], {}
        if isinstance(engine, MergeTreeEngine):
            return "MergeTree", [], {}
        return self._fail("INVALID_ENGINE", f"uses unknown engine {engine!r}", "use MergeTreeEngine(), ReplacingMergeTreeEngine(...), ...")

    def to_spec(self) -> dict[str, Any]:
        config = self.config
        if config.order_by_fields and config.order_by_expression is not None:
            self._fail("CONFLICTING_ORDER_BY", "sets both order_by_fields and order_by_expression", "keep one of them")
        engine_name, engine_params, engine_fields = self._engine()
        merge_tree = engine_name.endswith("MergeTree")
        column_names = [column["name"] for column in self.column_specs]
        checked: dict[str, Any] = {"order_by_fields": config.order_by_fields or None, **engine_fields}
        for setting, fields in checked.items():
            if fields is None:
                continue
            for index, field in enumerate(fields if isinstance(fields, list) else [fields]):
                if field not in column_names:
                    path = f"{setting}[{index}]" if isinstance(fields, list) else setting
                    raise MooseError("UNKNOWN_FIELD",
                                     f'{self.name}.{path} names "{field}", which is not a field of the model of OLAP table "{self.name}"',
                                     self.source, f"use one of: {', '.join(column_names)}", {"field": f"{self.name}.{path}"})
        key_columns = [column["name"] for column in self.column_specs if column.get("primaryKey")]
        if config.order_by_fields:
            explicit: Optional[list[str]] = list(config.order_by_fields)
        elif config.order_by_expression is not None:
            explicit = split_key_expression(config.order_by_expression)
        else:
            explicit = None
        order_by = (explicit if explicit is not None else key_columns) if merge_tree else []
        key_is_prefix = merge_tree and 0 < len(key_columns) < len(order_by) and all(order_by[i] == column for i, column in enumerate(key_columns))
        primary_key = (split_key_expression(config.primary_key_expression) if config.primary_key_expression is not None
                       else key_columns if key_is_prefix else None)
        spec: dict[str, Any] = {
            "name": self.id,
            "columns": self.column_specs,
            "orderBy": order_by,
            "engine": {"name": engine_name, "params": engine_params},
            "settings": {key: _setting_literal(value) for key, value in (config.settings or {}).items()},
            "indexes": [_index_spec(index) for index in config.indexes],
            "lifeCycle": life_cycle_value(config.life_cycle),
            "source": self.source.to_json(),
        }
        if primary_key is not None:
            spec["primaryKey"] = primary_key
        if config.partition_by is not None:
            spec["partitionBy"] = config.partition_by
        if config.sample_by_expression is not None:
            spec["sampleBy"] = config.sample_by_expression
        if config.ttl is not None:
            spec["ttl"] = config.ttl
        if not isinstance(config.engine, DistributedEngine):
            spec.update(cluster_spec(config.cluster, f'OLAP table "{self.name}"', self.source))
        if config.version is not None:
            spec["version"] = config.version
        return spec


def split_key_expression(expression: str) -> list[str]:
    """`"(a, b)"` → `["a", "b"]`; `"tuple()"` → `[]`; other expressions stay one item."""
    trimmed = expression.strip()
    if trimmed == "" or re.fullmatch(r"tuple\(\s*\)", trimmed, re.IGNORECASE):
        return []
    inner = trimmed[1:-1] if trimmed.startswith("(") and _closing_paren(trimmed) == len(trimmed) - 1 else trimmed
    items, depth, quote, current = [], 0, None, ""
    for char in inner:
        if quote:
            if char == quote:
                quote = None
        elif char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += char
    items.append(current.strip())
    return [item for item in items if item]


def _closing_paren(text: str) -> int:
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1




def _setting_literal(value: Union[str, int]) -> str:
    text = str(value)
    if re.fullmatch(r"-?\d+(\.\d+)?", text) or re.fullmatch(r"'.*'", text):
        return text
    return "'" + text.replace("'", "\\'") + "'"


def _index_spec(index: TableIndex) -> dict[str, Any]:
    return {
        "name": index.name,
        "expression": index.expression,
        "type": f"{index.type}({', '.join(index.arguments)})" if index.arguments else index.type,
        "granularity": index.granularity,
    }


def _json_value(value: Any) -> Any:
    """What json cannot write by itself, as pydantic's JSON mode writes it (rows inserted without validation)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
