/** Nested object types → Nested(…), or a named Tuple(…) with the ClickHouseNamedTuple brand. */
import ts from "../../typescript.js";
import type { MappedType, TypeMapper } from "../mapper.js";

export const objectMapper: TypeMapper = {
  name: "object",
  matches: (shape, context) => {
    if (shape.members.length !== 1) return false;
    const type = shape.members[0];
    return (type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0 && context.checker.getPropertiesOfType(type).length > 0;
  },
  map(shape, context): MappedType {
    const fields = context.objectFields(shape.members[0]).map((field) => `${field.name} ${field.type}`);
    const kind = shape.brands.mappedType === "namedTuple" ? "Tuple" : "Nested";
    return { type: `${kind}(${fields.join(", ")})`, container: true };
  },
};
