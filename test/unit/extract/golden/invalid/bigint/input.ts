import { OlapTable } from "moose-ts";

interface Row {
  id: string;
  nested: {
    big: bigint;
  };
}

export const rows = new OlapTable<Row>("Rows");
