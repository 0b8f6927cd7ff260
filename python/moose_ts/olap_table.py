from __future__ import annotations

import dataclasses
import re
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict

from ._typed import ModelBacked, life_cycle_value, require_model
from .columns import columns_of
from .errors import MooseError, SourceLocation
from .life_cycle import ClickHouseEngines, LifeCycle
from .registry import register
from .source import caller_location


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



OlapConfig.TableIndex = TableIndex  # type: ignore[attr-defined]  # OlapConfig.TableIndex(...), as in MooseStack


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


def versioned_id(name: str, version: Optional[str]) -> str:
    return f"{name}_{version.replace('.', '_')}" if version else name


class OlapTable(ModelBacked):
    """A ClickHouse table whose columns are the fields of a pydantic model: `OlapTable[Row]("Rows")`."""

    component_kind = "tables"
    _kind_label = "OLAP table"

    def __init__(self, name: str, config: Optional[OlapConfig] = None, *, t: Any = None, _source: Optional[SourceLocation] = None):
        self.source = _source or caller_location()
        self.name = name
        self.config = config if config is not None else OlapConfig()
        self.id = versioned_id(name, self.config.version)
        self._t = require_model(t, f'OLAP table "{name}"', self.source, f'OlapTable[MyModel]("{name}")')
        self.column_specs = columns_of(self._t, name, self.source)
        register(self)

    def _fail(self, code: str, problem: str, hint: str, details: Optional[dict] = None) -> Any:
        raise MooseError(code, f'OLAP table "{self.name}" {problem}', self.source, hint, details)

    def _engine(self) -> tuple[str, list[str], dict[str, Any]]:
        """(engine name, its parameters, the fields its parameters name), as the TypeScript SDK's engineSpec."""
        engine = self.config.engine
        if isinstance(engine, _REPLICATED_ENGINES):
            name, params, fields = self._base_engine(engine._base())
            return f"Replicated{name}", self._replication(engine.keeper_path, engine.replica_name) + params, fields
        if isinstance(engine, ClickHouseEngines) and engine.value.startswith("Replicated"):
            name, params, fields = self._base_engine(ClickHouseEngines(engine.value[len("Replicated"):]))
            return engine.value, self._replication(None, None) + params, fields
        return self._base_engine(engine)

    def _replication(self, keeper_path: Optional[str], replica_name: Optional[str]) -> list[str]:
        """A Replicated engine's first parameters: the Keeper path and replica name given, the cluster default, or none."""
        if (keeper_path is None) != (replica_name is None):
            missing, given = ("keeper_path", "replica_name") if keeper_path is None else ("replica_name", "keeper_path")
            self._fail("INVALID_ENGINE", f"sets {given} without {missing}", "set both keeper_path and replica_name, or neither to use the server's defaults")
        if keeper_path is not None and replica_name is not None:
            return [_sql_string(keeper_path), _sql_string(replica_name)]
        if self.config.cluster is not None:
            return [_sql_string(CLUSTER_KEEPER_PATH), _sql_string(CLUSTER_REPLICA_NAME)]
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
        order_by = explicit if explicit is not None else key_columns
        key_is_prefix = 0 < len(key_columns) < len(order_by) and all(order_by[i] == column for i, column in enumerate(key_columns))
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


_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0", "'": "\\'"}


def _sql_string(text: str) -> str:
    """A SQL string literal escaped as the TypeScript SDK's quoteString does it, so both write the same bytes."""
    return "'" + "".join(_STRING_ESCAPES.get(char, char) for char in text) + "'"


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
