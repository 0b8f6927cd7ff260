from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel

from moose_ts import IngestPipeline, IngestPipelineConfig, Key, clickhouse_decimal


class Payment(BaseModel):
    id: Key[str]
    # The ingest API takes a JSON number or a decimal string, as pydantic does.
    amount: Annotated[Decimal, clickhouse_decimal(10, 2)]


payments = IngestPipeline[Payment]("Payments", IngestPipelineConfig(table=True, stream=False, ingest_api=True, dead_letter_queue=False))
