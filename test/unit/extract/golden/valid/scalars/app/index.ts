import {
  OlapTable, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float32, Float64,
  Decimal, FixedString, DateTime, DateTime64, DateTimeString, DateTime64String, UUID, LowCardinality,
} from "moose-ts";

interface Scalars {
  text: string;
  float: number;
  flag: boolean;
  createdAt: Date;
  createdAtAlias: DateTime;
  int8: Int8;
  int16: Int16;
  int32: Int32;
  int64: Int64;
  uint8: UInt8;
  uint16: UInt16;
  uint32: UInt32;
  uint64: UInt64;
  float32: Float32;
  float64: Float64;
  price: Decimal<18, 4>;
  hash: FixedString<16>;
  precise: DateTime64<6>;
  isoTime: DateTimeString;
  isoPrecise: DateTime64String<9>;
  uuid: UUID;
  country: string & LowCardinality;
}

export const scalars = new OlapTable<Scalars>("Scalars");
