import { OlapTable, type ClickHouseByteSize } from "moose-ts";

// typia's tags.Format<"date">, written out (as `moose db pull` writes it).
type DateString = string & { readonly "typia.tag"?: { kind: "format"; value: "date" } };

interface Row {
  id: string;
  day: DateString & ClickHouseByteSize<8>;
}

export const rows = new OlapTable<Row>("Rows");
