# pydantic's field constraints become the JSON Schema keywords ingest checks payloads with.
import re
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import BaseModel, Field, conint, conlist, constr

from moose_ts import IngestPipeline, IngestPipelineConfig, Key, UInt8


class Reading(BaseModel):
    id: Key[str]
    sensor: str = Field(min_length=3, max_length=32, pattern=r"^[a-z0-9-]+$")
    level: UInt8 = Field(ge=1)
    ratio: float = Field(gt=0, lt=1)
    step: Annotated[float, Field(multiple_of=0.5, le=100)]
    tags: list[str] = Field(max_length=5)
    code: constr(min_length=2)
    count: conint(ge=-10, le=10)
    items: conlist(int, min_length=1)
    # A Decimal bound is a JSON number; a float multiple is not carried (ajv checks it exactly, pydantic with a tolerance).
    weight: float = Field(ge=Decimal("0.5"), multiple_of=0.25)
    slug: str = Field(pattern=re.compile(r"^[a-z]+$"))
    rank: Optional[conint(ge=1)] = None


readings = IngestPipeline[Reading]("Readings", IngestPipelineConfig(ingest_api=True, table=True, stream=True))
