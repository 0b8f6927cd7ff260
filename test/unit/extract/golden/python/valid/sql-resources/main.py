from pydantic import BaseModel

from moose_ts import OlapConfig, OlapTable, SqlResource, get_sql_resource


class Order(BaseModel):
    order_id: str
    status: str


orders = OlapTable[Order]("Orders", OlapConfig(order_by_fields=["order_id"]))

# A dictionary and a function over Orders, as MooseStack's SqlResource takes them.
lookups = SqlResource(
    "orderLookups",
    setup=[
        "CREATE DICTIONARY order_status (order_id String, status String) PRIMARY KEY order_id "
        "SOURCE(CLICKHOUSE(TABLE 'Orders')) LAYOUT(COMPLEX_KEY_HASHED()) LIFETIME(300);",
        "CREATE FUNCTION orderStatus AS (id) -> dictGet('order_status', 'status', tuple(id))",
    ],
    teardown=["DROP FUNCTION IF EXISTS orderStatus", "DROP DICTIONARY IF EXISTS order_status"],
    pulls_data_from=[orders],
)

assert get_sql_resource("orderLookups") is lookups
