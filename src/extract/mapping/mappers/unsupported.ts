/** Types with no ClickHouse column equivalent: reported with what to use instead. */
import ts from "../../typescript.js";
import type { Shape, TypeMapper, MappingContext, MappedType } from "../mapper.js";

interface Refusal {
  what: string;
  hint: string;
}

function refusal(type: ts.Type, checker: ts.TypeChecker): Refusal | undefined {
  const flags = type.flags;
  if (flags & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) return { what: "bigint", hint: "use Int64 or UInt64 (or Decimal<P, S>) from moose-ts" };
  if (flags & ts.TypeFlags.Any) return { what: "any", hint: "give the field a concrete type, e.g. string, number or an interface" };
  if (flags & ts.TypeFlags.Unknown) return { what: "unknown", hint: "give the field a concrete type, e.g. string, number or an interface" };
  if (flags & (ts.TypeFlags.ESSymbol | ts.TypeFlags.UniqueESSymbol)) return { what: "symbol", hint: "use a string" };
  if (flags & ts.TypeFlags.Never) return { what: "never", hint: "give the field a type that can hold a value" };
  if (flags & ts.TypeFlags.Void) return { what: "void", hint: "remove the field or give it a value type" };
  if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) {
    return { what: "a function", hint: "functions cannot be stored; remove the field or store its result" };
  }
  return undefined;
}

export const unsupportedMapper: TypeMapper = {
  name: "unsupported",
  matches(shape: Shape, context: MappingContext): boolean {
    return shape.members.some((member) => refusal(member, context.checker) !== undefined);
  },
  map(shape: Shape, context: MappingContext): MappedType {
    const found = shape.members.map((member) => refusal(member, context.checker)).find((entry) => entry !== undefined) as Refusal;
    return context.fail(`type ${found.what} is not supported for a column`, found.hint);
  },
};
