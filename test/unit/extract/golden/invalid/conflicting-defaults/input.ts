import { OlapTable, ClickHouseDefault, ClickHouseAlias } from "moose-ts";

interface Row {
  id: string;
  day: Date & ClickHouseDefault<"today()"> & ClickHouseAlias<"toDate(now())">;
}

export const rows = new OlapTable<Row>("Rows");
