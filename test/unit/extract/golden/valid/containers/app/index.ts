import {
  OlapTable, Int64, ClickHouseNamedTuple, ClickHouseJson, ClickHousePoint, ClickHouseRing,
  ClickHousePolygon, ClickHouseMultiPolygon, ClickHouseLineString, ClickHouseMultiLineString,
} from "moose-ts";

interface Item {
  sku: string;
  quantity: Int64;
  note?: string;
}

interface Geo {
  lat: number;
  lon: number;
}

interface Containers {
  tags: string[];
  matrix: number[][];
  readonlyList: readonly string[];
  genericArray: Array<boolean>;
  counts: Record<string, Int64>;
  nestedMap: Record<string, string[]>;
  numericKeys: { [key: number]: string };
  // A webhook payload: named fields and more (MooseStack: a JSON column; a typed signature: a Map).
  webhook: { id: string; object: "user"; [key: string]: any };
  labels: { env: string; [key: string]: string };
  pair: [string, number];
  item: Item;
  items: Item[];
  location: Geo & ClickHouseNamedTuple;
  inline: { a: string; b: { c: number } };
  payload: Record<string, unknown> & ClickHouseJson;
  tunedPayload: Record<string, unknown> & ClickHouseJson<128, 16, ["secret"], ["^tmp"]>;
  point: ClickHousePoint;
  ring: ClickHouseRing;
  line: ClickHouseLineString;
  lines: ClickHouseMultiLineString;
  polygon: ClickHousePolygon;
  polygons: ClickHouseMultiPolygon;
}

export const containers = new OlapTable<Containers>("Containers");
