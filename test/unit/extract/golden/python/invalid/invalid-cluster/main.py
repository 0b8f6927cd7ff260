from pydantic import BaseModel

from moose_ts import OlapConfig, OlapTable


class Event(BaseModel):
    id: str


# A cluster name is written bare after ON CLUSTER: it must be a plain identifier.
events = OlapTable[Event]("Events", OlapConfig(order_by_fields=["id"], cluster="events cluster"))
