import { OlapTable, type OlapConfig } from "moose-ts";

interface Row {
  id: string;
  at: Date;
}

// Built from strings at runtime, so TypeScript cannot see the typo.
const fields = ["id", "timestamp"] as Array<keyof Row>;
const config: OlapConfig<Row> = { orderByFields: fields };

export const rows = new OlapTable<Row>("Rows", config);
