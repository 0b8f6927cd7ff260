from typing import Annotated, Literal, Union, Optional

from pydantic import BaseModel

from moose_ts import ClickHouseAlias, OlapConfig, OlapTable, clickhouse_default


rows = OlapTable[int]("Rows")
