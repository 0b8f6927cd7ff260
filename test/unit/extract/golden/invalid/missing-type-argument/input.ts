import { OlapTable } from "moose-ts";

export const rows = new OlapTable("Rows");
