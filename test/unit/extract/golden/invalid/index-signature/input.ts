import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  [extra: string]: string;
}

export const rows = new OlapTable<Row>("Rows");
