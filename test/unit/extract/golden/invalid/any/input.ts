import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  data: any;
}

export const rows = new OlapTable<Row>("Rows");
