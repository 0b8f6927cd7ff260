import { OlapTable } from "moose-ts";

interface Row {
  id: string;
}

export const rows = new OlapTable<Row>("Rows", { orderByFields: ["name"] });
