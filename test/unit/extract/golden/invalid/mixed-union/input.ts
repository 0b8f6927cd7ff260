import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  value: string | number;
}

export const rows = new OlapTable<Row>("Rows");
