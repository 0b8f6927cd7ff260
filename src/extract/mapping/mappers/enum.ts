/** TypeScript enums → Enum8/Enum16; string-literal unions → LowCardinality(String). */
import ts from "../../typescript.js";
import type { MappedType, MappingContext, Shape, TypeMapper } from "../mapper.js";

function quote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function enumDeclaration(type: ts.Type): ts.EnumDeclaration | undefined {
  const declaration = type.getSymbol()?.valueDeclaration;
  if (declaration && ts.isEnumMember(declaration)) return declaration.parent;
  if (declaration && ts.isEnumDeclaration(declaration)) return declaration;
  return undefined;
}

/** A member's name as written without its quotes: `"CDMA" = 1` (how `moose db pull` writes names) is `CDMA`. */
function memberName(member: ts.EnumMember): string {
  const name = member.name;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** The values an enum column accepts, in declaration order: `'name' = number`. */
function enumEntries(declaration: ts.EnumDeclaration, context: MappingContext): Array<[string, number]> {
  const values = declaration.members.map((member) => context.checker.getConstantValue(member));
  if (values.every((value) => typeof value === "number")) {
    return declaration.members.map((member, index) => [memberName(member), values[index] as number]);
  }
  if (values.every((value) => typeof value === "string")) {
    // String enums store their values; ClickHouse needs numbers, so they are numbered 1..n.
    return values.map((value, index) => [value as string, index + 1]);
  }
  return context.fail(`enum ${declaration.name.text} mixes string and number values`, "use only string or only number values");
}

export const enumMapper: TypeMapper = {
  name: "enum",
  matches: (shape) => shape.members.every((member) => (member.flags & ts.TypeFlags.EnumLiteral) !== 0 || (member.flags & ts.TypeFlags.Enum) !== 0),
  map(shape, context): MappedType {
    const declarations = new Set(shape.members.map(enumDeclaration));
    const [declaration] = declarations;
    if (declarations.size !== 1 || !declaration) return context.fail("a field can hold values of one enum only", "use a single enum type");
    const entries = enumEntries(declaration, context);
    const fitsEnum8 = entries.every(([, value]) => value >= -128 && value <= 127);
    const body = entries.map(([name, value]) => `${quote(name)} = ${value}`).join(", ");
    return { type: `${fitsEnum8 ? "Enum8" : "Enum16"}(${body})`, container: false };
  },
};

export const literalUnionMapper: TypeMapper = {
  name: "string literal union",
  matches: (shape) => shape.members.every((member) => member.isStringLiteral()),
  map: (): MappedType => ({ type: "LowCardinality(String)", container: false }),
};
