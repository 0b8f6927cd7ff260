import { MaterializedView, OlapTable, sql } from "moose-ts";

interface Row {
  id: string;
}

const rows = new OlapTable<Row>("Rows");
export const copy = new MaterializedView<any>({
  materializedViewName: "CopyMV",
  tableName: "Copy",
  selectStatement: sql`SELECT id FROM ${rows}`,
  selectTables: [rows],
});
