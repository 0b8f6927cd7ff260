import ts from "../typescript.js";
import { isBrandProperty } from "./brands.js";

/**
 * A type's properties in declaration order: inherited ones (`extends`) first, intersections left
 * to right; brand properties skipped. Column order follows the code as written.
 */
export function orderedProperties(type: ts.Type, checker: ts.TypeChecker): ts.Symbol[] {
  const order = new Map<string, number>();
  const visit = (current: ts.Type): void => {
    if (current.isIntersection()) current.types.forEach(visit);
    const declared = (current as ts.TypeReference).target ?? current;
    if (declared.isClassOrInterface()) for (const base of checker.getBaseTypes(declared)) visit(base);
    for (const property of checker.getPropertiesOfType(current)) if (!order.has(property.name)) order.set(property.name, order.size);
  };
  visit(type);
  const properties = checker.getPropertiesOfType(type).filter((property) => !isBrandProperty(property.name));
  return properties.sort((left, right) => (order.get(left.name) ?? 0) - (order.get(right.name) ?? 0));
}
