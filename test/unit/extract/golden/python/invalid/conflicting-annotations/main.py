from typing import Annotated, Literal, Union, Optional

from pydantic import BaseModel

from moose_ts import ClickHouseAlias, OlapConfig, OlapTable, clickhouse_default


class Row(BaseModel):
    id: str
    n: Annotated[int, clickhouse_default("0"), ClickHouseAlias("1")]


rows = OlapTable[Row]("Rows")
