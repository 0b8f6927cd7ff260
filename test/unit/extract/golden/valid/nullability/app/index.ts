import { OlapTable, Int32, LowCardinality } from "moose-ts";

interface Address {
  city: string;
  zip?: string;
}

interface Nullability {
  id: string;
  optional?: string;
  orUndefined: number | undefined;
  orNull: boolean | null;
  optionalDate?: Date;
  optionalInt?: Int32;
  optionalLowCardinality?: string & LowCardinality;
  optionalLiteral?: "a" | "b";
  /** Arrays, maps and nested objects are never Nullable in ClickHouse. */
  optionalArray?: string[];
  optionalMap?: Record<string, number>;
  optionalNested?: Address;
  nullableElements: (string | null)[];
  lowCardinalityElements: (("x" | "y") | undefined)[];
}

export const nullability = new OlapTable<Nullability>("Nullability");
