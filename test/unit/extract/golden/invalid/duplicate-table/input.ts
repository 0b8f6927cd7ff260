import { OlapTable } from "moose-ts";

interface Row {
  id: string;
}

export const first = new OlapTable<Row>("Rows");
export const second = new OlapTable<Row>("Rows");
