import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  tag: symbol;
}

export const rows = new OlapTable<Row>("Rows");
