import { OlapTable } from "moose-ts";

interface Row {
  id: string
  name string;
}

export const rows = new OlapTable<Row>("Rows");
