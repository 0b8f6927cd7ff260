import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  onChange: (value: string) => void;
}

export const rows = new OlapTable<Row>("Rows");
