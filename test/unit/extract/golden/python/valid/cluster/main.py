from pydantic import BaseModel

from moose_ts import MaterializedView, MaterializedViewOptions, OlapConfig, OlapTable, View, ViewConfig


class Event(BaseModel):
    id: str
    n: int


# On a [[clickhouse_config.clusters]] cluster: the table's DDL runs ON CLUSTER events_cluster.
events = OlapTable[Event]("Events", OlapConfig(order_by_fields=["id"], cluster="events_cluster"))

recent = View("Recent", ViewConfig(select_statement="SELECT id FROM Events", base_tables=[events], cluster="events_cluster"))
copy = MaterializedView[Event](MaterializedViewOptions(
    select_statement="SELECT id, n FROM Events", select_tables=[events], materialized_view_name="Copy",
    table_name="CopyTarget", order_by_fields=["id"], cluster="events_cluster"))
