/** Types chosen by a brand regardless of the base: aggregate states, JSON, geometry. */
import ts from "../../typescript.js";
import { GEOMETRY_TYPES } from "../../../manifest/types.js";
import type { MappedType, MappingContext, Shape, TypeMapper } from "../mapper.js";

export const aggregateMapper: TypeMapper = {
  name: "aggregate",
  matches: (shape) => shape.brands.aggregationFunction !== undefined || shape.brands.simpleAggregationFunction !== undefined,
  map(shape, context): MappedType {
    const brands = shape.brands;
    if (brands.simpleAggregationFunction !== undefined) {
      const argument = brands.argType ?? shape.members[0];
      return { type: `SimpleAggregateFunction(${brands.simpleAggregationFunction}, ${context.innerType(argument, "<arg>")})`, container: false };
    }
    const argumentTypes = brands.argTypes && context.checker.isTupleType(brands.argTypes) ? context.checker.getTypeArguments(brands.argTypes as ts.TypeReference) : [];
    const parts = [brands.aggregationFunction as string, ...argumentTypes.map((argument, index) => context.innerType(argument, `<arg${index}>`))];
    return { type: `AggregateFunction(${parts.join(", ")})`, container: false };
  },
};

export const jsonMapper: TypeMapper = {
  name: "json",
  matches: (shape) => shape.brands.mappedType === "JSON",
  map(shape, context): MappedType {
    const settings = jsonSettings(shape, context);
    return { type: settings.length ? `JSON(${settings.join(", ")})` : "JSON", container: false };
  },
};

function jsonSettings(shape: Shape, context: MappingContext): string[] {
  const settingsType = shape.brands.jsonSettings;
  if (!settingsType) return [];
  const read = (name: string): ts.Type | undefined => {
    const property = context.checker.getPropertyOfType(settingsType, name);
    return property ? context.checker.getNonNullableType(context.checker.getTypeOfSymbol(property)) : undefined;
  };
  const settings: string[] = [];
  const paths = read("maxDynamicPaths");
  if (paths?.isNumberLiteral()) settings.push(`max_dynamic_paths=${paths.value}`);
  const types = read("maxDynamicTypes");
  if (types?.isNumberLiteral()) settings.push(`max_dynamic_types=${types.value}`);
  for (const [name, keyword] of [["skipPaths", "SKIP"], ["skipRegexes", "SKIP REGEXP"]] as const) {
    const list = read(name);
    if (list && context.checker.isTupleType(list)) {
      for (const item of context.checker.getTypeArguments(list as ts.TypeReference)) {
        if (item.isStringLiteral()) settings.push(`${keyword} ${keyword === "SKIP" ? item.value : `'${item.value}'`}`);
      }
    }
  }
  return settings;
}

export const geometryMapper: TypeMapper = {
  name: "geometry",
  matches: (shape) => shape.brands.mappedType !== undefined && GEOMETRY_TYPES.has(shape.brands.mappedType),
  map: (shape): MappedType => ({ type: shape.brands.mappedType as string, container: true }),
};
