from __future__ import annotations

import warnings
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict

from ._typed import Typed, life_cycle_value, require_model
from .errors import SourceLocation
from .life_cycle import ClickHouseEngines, LifeCycle
from .olap_table import OlapConfig, OlapTable, cluster_spec
from .registry import notice, register, unknown_arguments
from .source import caller_location


class ViewConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    select_statement: str
    base_tables: list[Any]
    metadata: Optional[dict] = None
    life_cycle: Optional[LifeCycle] = None
    # The [[clickhouse_config.clusters]] cluster the view is created on (ON CLUSTER; moose-ts's option).
    cluster: Optional[str] = None
    # Accepted as MooseStack's, not applied: the view is created in clickhouse_config.db_name (a build notice says so).
    database: Optional[str] = None


class View:
    """A ClickHouse view: `View("name", ViewConfig(select_statement=..., base_tables=[table]))`."""

    component_kind = "views"

    def __init__(self, name: str, config_or_select: Union[ViewConfig, str], base_tables: Optional[list[Any]] = None,
                 metadata: Optional[dict] = None, **unknown: Any):
        self.source = caller_location()
        unknown_arguments(f'view "{name}"', unknown, self.source)
        if isinstance(config_or_select, ViewConfig):
            config = config_or_select
        else:
            warnings.warn("View(name, select, base_tables) is deprecated: pass a ViewConfig", DeprecationWarning, stacklevel=2)
            config = ViewConfig(select_statement=config_or_select, base_tables=base_tables or [], metadata=metadata)
        self.name = name
        self.id = name
        self.config = config
        if config.database is not None:
            notice(f'view "{name}": database is accepted but not applied by moose-ts (the view is created in clickhouse_config.db_name)', self.source)
        self.select_sql = config.select_statement
        self.source_tables = [table.id for table in config.base_tables]
        register(self)

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.id, "sql": self.select_sql, "sourceTables": self.source_tables,
                **cluster_spec(self.config.cluster, f'view "{self.name}"', self.source),
                "lifeCycle": life_cycle_value(self.config.life_cycle), "source": self.source.to_json()}


class MaterializedViewOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    select_statement: str
    select_tables: list[Any]
    table_name: Optional[str] = None
    materialized_view_name: str
    engine: Optional[ClickHouseEngines] = None
    order_by_fields: Optional[list[str]] = None
    metadata: Optional[dict] = None
    life_cycle: Optional[LifeCycle] = None
    # The cluster the view, and the target table it creates, are on (moose-ts's option).
    cluster: Optional[str] = None


class MaterializedView(Typed):
    """A materialized view writing into a table of the model: `MaterializedView[Row](MaterializedViewOptions(...))`."""

    component_kind = "materializedViews"

    def __init__(self, options: MaterializedViewOptions, target_table: Optional[OlapTable] = None, *, t: Any = None,
                 _source: Optional[SourceLocation] = None, **unknown: Any):
        self.source = _source or caller_location()
        self.name = options.materialized_view_name
        unknown_arguments(f'materialized view "{self.name}"', unknown, self.source)
        self.id = self.name
        self.options = options
        self.life_cycle = life_cycle_value(options.life_cycle)
        self.select_sql = options.select_statement
        self.source_tables = [table.id for table in options.select_tables]
        if target_table is not None:
            self.target_table = target_table
        else:
            model = require_model(t, f'materialized view "{self.name}"', self.source,
                                  "MaterializedView[MyModel](MaterializedViewOptions(...))")
            values: dict[str, Any] = {"life_cycle": LifeCycle(self.life_cycle)}
            if options.order_by_fields:
                values["order_by_fields"] = options.order_by_fields
            if options.engine is not None:
                values["engine"] = options.engine
            if options.cluster is not None:
                values["cluster"] = options.cluster
            self.target_table = OlapTable(options.table_name or f"{self.name}_target", OlapConfig(**values), t=model, _source=self.source)
        register(self)

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.id, "sql": self.select_sql, "sourceTables": self.source_tables,
                "targetTable": self.target_table.id, **cluster_spec(self.options.cluster, f'materialized view "{self.name}"', self.source),
                "lifeCycle": self.life_cycle, "source": self.source.to_json()}
