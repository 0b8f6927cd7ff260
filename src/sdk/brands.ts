/**
 * Type brands: phantom optional properties intersected with a base type. They cost nothing at
 * runtime; the build plugin reads them from the checker to pick ClickHouse column types.
 * Names and shapes follow MooseStack's moose-lib so model code ports by swapping the import.
 */

/** Marks a column as part of the primary/order key (used when the table gives no orderByFields). */
export type Key<T extends string | number | Date> = T & { readonly _clickhouse_key?: true };
/** A JWT payload parameter (accepted for compatibility; typed as its object). */
export type JWT<T extends object> = T;

export type ClickHouseInt<Value extends "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64"> = {
  readonly _clickhouse_int?: Value;
};
export type ClickHouseFloat<Value extends "float32" | "float64"> = { readonly _clickhouse_float?: Value };
export type ClickHousePrecision<P extends number> = { readonly _clickhouse_precision?: P };
export type ClickHouseDecimal<P extends number, S extends number> = {
  readonly _clickhouse_precision?: P;
  readonly _clickhouse_scale?: S;
};
export type ClickHouseFixedStringSize<N extends number> = { readonly _clickhouse_fixed_string_size?: N };
/** An integer's size in bytes (1, 2, 4, 8, 16, 32): with `tags.Type<"int32">`-style signedness picks Int16, UInt64, … */
export type ClickHouseByteSize<N extends number> = { readonly _clickhouse_byte_size?: N };
export type LowCardinality = { readonly _LowCardinality?: true };

export type Int8 = number & ClickHouseInt<"int8">;
export type Int16 = number & ClickHouseInt<"int16">;
export type Int32 = number & ClickHouseInt<"int32">;
export type Int64 = number & ClickHouseInt<"int64">;
export type UInt8 = number & ClickHouseInt<"uint8">;
export type UInt16 = number & ClickHouseInt<"uint16">;
export type UInt32 = number & ClickHouseInt<"uint32">;
export type UInt64 = number & ClickHouseInt<"uint64">;
export type Float32 = number & ClickHouseFloat<"float32">;
export type Float64 = number & ClickHouseFloat<"float64">;
/** Decimal(P, S), carried as a string so no precision is lost in JavaScript. */
export type Decimal<P extends number, S extends number> = string & ClickHouseDecimal<P, S>;
export type FixedString<N extends number> = string & ClickHouseFixedStringSize<N>;

export type DateTime = Date;
export type DateTime64<P extends number> = Date & ClickHousePrecision<P>;
/** DateTime carried as an ISO string. */
export type DateTimeString = string & { readonly _clickhouse_datetime_string?: true };
/** DateTime64(P) carried as an ISO string (JavaScript Dates stop at milliseconds). */
export type DateTime64String<P extends number> = string & { readonly _clickhouse_datetime_string?: true } & ClickHousePrecision<P>;

/** `DEFAULT <expr>` for the column. */
export type ClickHouseDefault<SqlExpression extends string> = { readonly _clickhouse_default?: SqlExpression };
export type WithDefault<T, SqlExpression extends string> = T & ClickHouseDefault<SqlExpression>;
/** Column-level `TTL <expr>`. */
export type ClickHouseTTL<SqlExpression extends string> = { readonly _clickhouse_ttl?: SqlExpression };
/** `MATERIALIZED <expr>`: computed at insert time and stored. */
export type ClickHouseMaterialized<SqlExpression extends string> = { readonly _clickhouse_materialized?: SqlExpression };
/** `ALIAS <expr>`: computed at query time, not stored. */
export type ClickHouseAlias<SqlExpression extends string> = { readonly _clickhouse_alias?: SqlExpression };
/** `CODEC(<expr>)`, e.g. `"Delta, LZ4"`. */
export type ClickHouseCodec<CodecExpr extends string> = { readonly _clickhouse_codec?: CodecExpr };

/** Map a nested object to a named `Tuple(...)` instead of `Nested(...)`. */
export type ClickHouseNamedTuple = { readonly _clickhouse_mapped_type?: "namedTuple" };
/** A `JSON` column (optionally with settings). */
export type ClickHouseJson<
  maxDynamicPaths extends number | undefined = undefined,
  maxDynamicTypes extends number | undefined = undefined,
  skipPaths extends string[] = [],
  skipRegexes extends string[] = [],
> = {
  readonly _clickhouse_mapped_type?: "JSON";
  readonly _clickhouse_json_settings?: {
    maxDynamicPaths?: maxDynamicPaths;
    maxDynamicTypes?: maxDynamicTypes;
    skipPaths?: skipPaths;
    skipRegexes?: skipRegexes;
  };
};
export type UUID = string & { readonly _clickhouse_mapped_type?: "UUID" };
export type ClickHousePoint = [number, number] & { readonly _clickhouse_mapped_type?: "Point" };
export type ClickHouseRing = ClickHousePoint[] & { readonly _clickhouse_mapped_type?: "Ring" };
export type ClickHouseLineString = ClickHousePoint[] & { readonly _clickhouse_mapped_type?: "LineString" };
export type ClickHouseMultiLineString = ClickHouseLineString[] & { readonly _clickhouse_mapped_type?: "MultiLineString" };
export type ClickHousePolygon = ClickHouseRing[] & { readonly _clickhouse_mapped_type?: "Polygon" };
export type ClickHouseMultiPolygon = ClickHousePolygon[] & { readonly _clickhouse_mapped_type?: "MultiPolygon" };

/** `AggregateFunction(fn, ...ArgTypes)` for AggregatingMergeTree state columns. */
export type Aggregated<AggregationFunction extends string, ArgTypes extends unknown[] = []> = {
  readonly _aggregationFunction?: AggregationFunction;
  readonly _argTypes?: ArgTypes;
};
/** `SimpleAggregateFunction(fn, ArgType)`. */
export type SimpleAggregated<AggregationFunction extends string, ArgType = unknown> = {
  readonly _simpleAggregationFunction?: AggregationFunction;
  readonly _argType?: ArgType;
};
