/** Arrays → Array(T), tuples → Tuple(…), Record<K, V> / index-signature objects → Map(K, V). */
import ts from "../../typescript.js";
import type { MappedType, Shape, TypeMapper } from "../mapper.js";

function single(shape: Shape): ts.Type | undefined {
  return shape.members.length === 1 ? shape.members[0] : undefined;
}

export const arrayMapper: TypeMapper = {
  name: "array",
  matches: (shape, context) => {
    const type = single(shape);
    return type !== undefined && context.checker.isArrayType(type);
  },
  map(shape, context): MappedType {
    const [element] = context.checker.getTypeArguments(single(shape) as ts.TypeReference);
    return { type: `Array(${context.innerType(element, "[]")})`, container: true };
  },
};

export const tupleMapper: TypeMapper = {
  name: "tuple",
  matches: (shape, context) => {
    const type = single(shape);
    return type !== undefined && context.checker.isTupleType(type);
  },
  map(shape, context): MappedType {
    const items = context.checker.getTypeArguments(single(shape) as ts.TypeReference);
    return { type: `Tuple(${items.map((item, index) => context.innerType(item, `[${index}]`)).join(", ")})`, container: true };
  },
};

export const mapMapper: TypeMapper = {
  name: "map",
  matches: (shape, context) => {
    const type = single(shape);
    if (!type || !(type.flags & ts.TypeFlags.Object) || context.checker.isArrayType(type) || context.checker.isTupleType(type)) return false;
    // Named fields beside the index signature (a webhook payload's `{ id: string; [key: string]: any }`) are
    // entries like the others, as in MooseStack: their types fit the signature's.
    return context.checker.getIndexInfosOfType(type).length > 0;
  },
  map(shape, context): MappedType {
    const [info] = context.checker.getIndexInfosOfType(single(shape) as ts.Type);
    // Record<string, any> / Record<string, unknown> is free-form data: a JSON column (MooseStack's mapping).
    if (info.type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { type: "JSON", container: false };
    // ClickHouse Map keys cannot be floats: numeric keys are taken as integers.
    const keyType = info.keyType.flags & ts.TypeFlags.Number ? "Int64" : "String";
    return { type: `Map(${keyType}, ${context.innerType(info.type, "{}")})`, container: true };
  },
};
