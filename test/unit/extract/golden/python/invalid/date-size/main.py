from datetime import date
from typing import Annotated

from pydantic import BaseModel

from moose_ts import ClickhouseSize, OlapTable


class Row(BaseModel):
    id: str
    day: Annotated[date, ClickhouseSize(8)]


rows = OlapTable[Row]("Rows")
