/**
 * Brands are phantom optional properties (`number & { _clickhouse_int?: "int8" }`, see
 * src/sdk/brands.ts). This reads them off a type and separates them from the base type.
 */
import ts from "../typescript.js";

export interface Brands {
  key?: boolean;
  int?: string;
  float?: string;
  precision?: number;
  scale?: number;
  fixedStringSize?: number;
  lowCardinality?: boolean;
  datetimeString?: boolean;
  default?: string;
  ttl?: string;
  materialized?: string;
  alias?: string;
  codec?: string;
  mappedType?: string;
  jsonSettings?: ts.Type;
  aggregationFunction?: string;
  argTypes?: ts.Type;
  simpleAggregationFunction?: string;
  argType?: ts.Type;
  /** ClickHouseByteSize<N>: an integer's width in bytes. */
  byteSize?: number;
  /** typia `tags.Type<"int32" | "uint32" | "int64" | "uint64" | "float" | "double">`. */
  typiaType?: string;
  /** typia `tags.Format<"uuid" | "date-time" | "date" | "ipv4" | "ipv6" | …>`. */
  typiaFormat?: string;
  /** typia's validation tags as JSON Schema keywords: `tags.Minimum<1>` → `{ minimum: 1 }`, `tags.Pattern<"^a">` → `{ pattern: "^a" }`. */
  typiaChecks?: Record<string, string | number | boolean>;
}

const BRAND_PROPERTIES: Record<string, keyof Brands> = {
  _clickhouse_key: "key",
  _clickhouse_int: "int",
  _clickhouse_float: "float",
  _clickhouse_precision: "precision",
  _clickhouse_scale: "scale",
  _clickhouse_fixed_string_size: "fixedStringSize",
  _LowCardinality: "lowCardinality",
  _clickhouse_datetime_string: "datetimeString",
  _clickhouse_default: "default",
  _clickhouse_ttl: "ttl",
  _clickhouse_materialized: "materialized",
  _clickhouse_alias: "alias",
  _clickhouse_codec: "codec",
  _clickhouse_mapped_type: "mappedType",
  _clickhouse_json_settings: "jsonSettings",
  _aggregationFunction: "aggregationFunction",
  _argTypes: "argTypes",
  _simpleAggregationFunction: "simpleAggregationFunction",
  _argType: "argType",
  _clickhouse_byte_size: "byteSize",
};
/** typia's tags (`tags.Type<"int32">`, `tags.Format<"uuid">`, `tags.MaxLength<8>`, …) are `{ "typia.tag"?: { kind, value, … } }`. */
const TYPIA_TAG = "typia.tag";
const TYPE_VALUED: ReadonlySet<keyof Brands> = new Set(["jsonSettings", "argTypes", "argType"]);

export function isBrandProperty(name: string): boolean {
  // Own keys only: `in` would also take a field named `constructor`, `toString` or `__proto__` for a brand and drop its column.
  return Object.hasOwn(BRAND_PROPERTIES, name) || name === TYPIA_TAG;
}

/** An object type made only of brand properties (`{ _clickhouse_int?: "int8" }`). */
export function isBrandObject(type: ts.Type, checker: ts.TypeChecker): boolean {
  if (!(type.flags & ts.TypeFlags.Object) || checker.isArrayType(type) || checker.isTupleType(type)) return false;
  const properties = checker.getPropertiesOfType(type);
  return properties.length > 0 && properties.every((property) => isBrandProperty(property.name));
}

export const NULLISH = ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void;

/** A field's type taken apart: its union members, the non-null ones, their brands and their base types. */
export function splitFieldType(type: ts.Type, checker: ts.TypeChecker): { members: ts.Type[]; present: ts.Type[]; brands: Brands; bases: ts.Type[] } {
  const members = type.isUnion() ? type.types : [type];
  const present = members.filter((member) => !(member.flags & NULLISH));
  const brands: Brands = {};
  const bases: ts.Type[] = [];
  for (const member of present) {
    const split = splitBrands(member, checker);
    Object.assign(brands, split.brands);
    if (split.base) bases.push(split.base);
  }
  return { members, present, brands, bases };
}

/** The base of a possibly branded type, and the brands on it. */
export function splitBrands(type: ts.Type, checker: ts.TypeChecker): { base: ts.Type | undefined; brands: Brands } {
  const brands: Brands = {};
  if (!type.isIntersection()) {
    if (isBrandObject(type, checker)) {
      readBrandObject(type, checker, brands);
      return { base: undefined, brands };
    }
    return { base: type, brands };
  }
  const bases: ts.Type[] = [];
  for (const member of type.types) {
    if (isBrandObject(member, checker)) readBrandObject(member, checker, brands);
    else bases.push(member);
  }
  // `A & B` of two object types stays one object type; its brand properties are skipped by the object mapper.
  const base = bases.length === 0 ? undefined : bases.length === 1 ? bases[0] : type;
  if (bases.length > 1) for (const property of checker.getPropertiesOfType(type)) readBrandProperty(property, checker, brands);
  return { base, brands };
}

function readBrandObject(type: ts.Type, checker: ts.TypeChecker, brands: Brands): void {
  for (const property of checker.getPropertiesOfType(type)) readBrandProperty(property, checker, brands);
}

function readBrandProperty(property: ts.Symbol, checker: ts.TypeChecker, brands: Brands): void {
  if (property.name === TYPIA_TAG) {
    readTypiaTag(checker.getNonNullableType(checker.getTypeOfSymbol(property)), checker, brands);
    return;
  }
  if (!Object.hasOwn(BRAND_PROPERTIES, property.name)) return;
  const field = BRAND_PROPERTIES[property.name]!;
  const valueType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
  if (TYPE_VALUED.has(field)) {
    (brands as Record<string, unknown>)[field] = valueType;
    return;
  }
  const value = literalValue(valueType, checker);
  if (value !== undefined) (brands as Record<string, unknown>)[field] = value;
}

function literalValue(type: ts.Type, checker: ts.TypeChecker): string | number | boolean | undefined {
  if (type.isStringLiteral() || type.isNumberLiteral()) return type.value;
  if (type.flags & ts.TypeFlags.BooleanLiteral) return type === checker.getTrueType();
  return undefined;
}

/** typia's validation tags whose `kind` is the JSON Schema keyword they check. */
const TYPIA_CHECK_KINDS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems"]);

/** The tags that choose a column type (`type`, `format`); the others (MaxLength, Minimum, Pattern, …) only validate. */
function readTypiaTag(props: ts.Type, checker: ts.TypeChecker, brands: Brands): void {
  const read = (name: string): string | number | boolean | undefined => {
    const property = checker.getPropertyOfType(props, name);
    return property ? literalValue(checker.getNonNullableType(checker.getTypeOfSymbol(property)), checker) : undefined;
  };
  const kind = read("kind");
  const value = read("value");
  if (typeof kind !== "string" || value === undefined) return;
  if (kind === "type" && typeof value === "string") brands.typiaType = value;
  else if (kind === "format" && typeof value === "string") brands.typiaFormat = value;
  else if (TYPIA_CHECK_KINDS.has(kind)) brands.typiaChecks = { ...brands.typiaChecks, [kind]: value };
}
