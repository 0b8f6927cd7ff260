/**
 * TypeScript type → JSON Schema (draft-07 subset) for API parameters/results and ingest payloads.
 * Lenient on purpose: a type with no JSON equivalent (any, functions) becomes `{}` (anything),
 * since only columns need a precise type.
 */
import ts from "../typescript.js";
import { compareEnumValues } from "../../manifest/enum-order.js";
import { SCHEMA_FORMATS } from "../../manifest/schema-formats.js";
import type { JsonSchema } from "../../manifest/types.js";
import { NULLISH, splitBrands, splitFieldType, type Brands } from "./brands.js";
import { orderedProperties } from "./properties.js";

const INT_RANGES: Record<string, [number, number] | undefined> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int64: undefined,
  uint64: undefined,
};

/** The typia validation tags (./brands.ts typiaChecks) each JSON Schema type takes. */
const TYPIA_KEYWORDS: Record<string, ReadonlySet<string>> = {
  number: new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
  integer: new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
  string: new Set(["minLength", "maxLength", "pattern"]),
  array: new Set(["minItems", "maxItems", "uniqueItems"]),
};

export class JsonSchemaMapper {
  private readonly expanding: ts.Type[] = [];

  constructor(private readonly checker: ts.TypeChecker) {}

  schemaOf(type: ts.Type): JsonSchema {
    const { members, present, brands, bases } = splitFieldType(type, this.checker);
    if (present.length === 0) return { type: "null" };
    const schema = this.baseSchema(bases, brands);
    return present.length < members.length && members.some((member) => member.flags & ts.TypeFlags.Null) ? { anyOf: [schema, { type: "null" }] } : schema;
  }

  /** The base type's schema with the typia validation tags that apply to it (`tags.Minimum<1>` on a number, …). */
  private baseSchema(bases: ts.Type[], brands: Brands): JsonSchema {
    const schema = this.typeSchema(bases, brands);
    if (!brands.typiaChecks) return schema;
    const applicable = TYPIA_KEYWORDS[String(schema.type)];
    const checked: JsonSchema = { ...schema };
    for (const [keyword, value] of Object.entries(brands.typiaChecks)) {
      if (!applicable?.has(keyword)) continue;
      // An integer type's own range stays when the tag's bound is looser.
      const current = checked[keyword];
      if (keyword === "minimum" && typeof current === "number" && typeof value === "number") checked[keyword] = Math.max(current, value);
      else if (keyword === "maximum" && typeof current === "number" && typeof value === "number") checked[keyword] = Math.min(current, value);
      else checked[keyword] = value;
    }
    return checked;
  }

  private typeSchema(bases: ts.Type[], brands: Brands): JsonSchema {
    if (bases.length === 0) return {};
    if (bases.every((base) => base.isStringLiteral() || base.isNumberLiteral())) {
      const values = bases.map((base) => (base as ts.LiteralType).value);
      // An enum's members come in declaration order; a literal union's in no order of the source's.
      return { enum: bases.every((base) => base.flags & ts.TypeFlags.EnumLiteral) ? values : values.sort(compareEnumValues) };
    }
    if (bases.every((base) => base.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral))) return { type: "boolean" };
    if (bases.length > 1) return { anyOf: bases.map((base) => this.baseSchema([base], {})) };
    const type = bases[0];
    if (type.flags & ts.TypeFlags.String) {
      if (brands.mappedType === "UUID") return { type: "string", format: "uuid" };
      if (brands.datetimeString) return { type: "string", format: "date-time" };
      if (brands.scale !== undefined) return { type: "string", pattern: "^-?\\d+(\\.\\d+)?$" };
      if (brands.typiaFormat !== undefined && SCHEMA_FORMATS.has(brands.typiaFormat)) return { type: "string", format: brands.typiaFormat };
      return { type: "string" };
    }
    if (type.flags & ts.TypeFlags.Number) {
      const int = brands.int ?? (brands.typiaType !== undefined && brands.typiaType in INT_RANGES ? brands.typiaType : undefined);
      if (int !== undefined) {
        const range = INT_RANGES[int];
        return range ? { type: "integer", minimum: range[0], maximum: range[1] } : { type: "integer" };
      }
      return { type: "number" };
    }
    if (type.getSymbol()?.getName() === "Date") return { type: "string", format: "date-time" };
    if (this.checker.isArrayType(type)) {
      const [element] = this.checker.getTypeArguments(type as ts.TypeReference);
      return { type: "array", items: this.schemaOf(element) };
    }
    if (this.checker.isTupleType(type)) {
      const items = this.checker.getTypeArguments(type as ts.TypeReference).map((item) => this.schemaOf(item));
      return { type: "array", items, minItems: items.length, maxItems: items.length };
    }
    if (this.isPlainObject(type) || (type.isIntersection() && type.types.every((member) => this.isPlainObject(member)))) {
      // An intersection of objects (`Foo & CDC`, `Omit<Params, "x"> & { … }`) is one object with every member's fields.
      return this.objectSchema(type);
    }
    return {};
  }

  private isPlainObject(type: ts.Type): boolean {
    return (type.flags & ts.TypeFlags.Object) !== 0 && this.checker.getSignaturesOfType(type, ts.SignatureKind.Call).length === 0;
  }

  private objectSchema(type: ts.Type): JsonSchema {
    if (this.expanding.includes(type)) return { type: "object" };
    this.expanding.push(type);
    try {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const property of orderedProperties(type, this.checker)) {
        const propertyType = this.checker.getTypeOfSymbol(property);
        properties[property.name] = this.schemaOf(propertyType);
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || (propertyType.isUnion() && propertyType.types.some((member) => member.flags & NULLISH));
        // ClickHouse fills DEFAULT / MATERIALIZED / ALIAS columns itself: payloads may leave them out.
        if (!optional && !computedByClickHouse(propertyType, this.checker)) required.push(property.name);
      }
      const [index] = this.checker.getIndexInfosOfType(type);
      return {
        type: "object",
        properties,
        ...(required.length ? { required } : {}),
        ...(index ? { additionalProperties: this.schemaOf(index.type) } : {}),
      };
    } finally {
      this.expanding.pop();
    }
  }
}

function computedByClickHouse(type: ts.Type, checker: ts.TypeChecker): boolean {
  const { brands } = splitBrands(checker.getNonNullableType(type), checker);
  return brands.default !== undefined || brands.materialized !== undefined || brands.alias !== undefined;
}
