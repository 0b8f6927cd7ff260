/** Scalars: boolean, string (+ FixedString, Decimal, DateTime strings, UUID), number (+ int/float brands), Date. */
import ts from "../../typescript.js";
import type { MappedType, MappingContext, Shape, TypeMapper } from "../mapper.js";

const INT_TYPES: Record<string, string> = {
  int8: "Int8",
  int16: "Int16",
  int32: "Int32",
  int64: "Int64",
  uint8: "UInt8",
  uint16: "UInt16",
  uint32: "UInt32",
  uint64: "UInt64",
};

function scalar(type: string): MappedType {
  return { type, container: false };
}

function only(shape: Shape, flag: ts.TypeFlags): boolean {
  return shape.members.length === 1 && (shape.members[0].flags & flag) !== 0;
}

function decimal(shape: Shape, context: MappingContext): MappedType {
  const { precision, scale } = shape.brands;
  if (precision === undefined || scale === undefined) return context.fail("Decimal needs a precision and a scale", "write Decimal<P, S>, e.g. Decimal<10, 2>");
  if (precision < 1 || precision > 76 || scale < 0 || scale > precision) {
    return context.fail(`Decimal<${precision}, ${scale}> is out of range`, "precision must be 1..76 and scale 0..precision");
  }
  return scalar(`Decimal(${precision}, ${scale})`);
}

function dateTime64(precision: number, context: MappingContext): MappedType {
  if (!Number.isInteger(precision) || precision < 0 || precision > 9) return context.fail(`DateTime64 precision ${precision} is out of range`, "use 0..9 (3 = milliseconds)");
  return scalar(`DateTime64(${precision})`);
}

export const booleanMapper: TypeMapper = {
  name: "boolean",
  matches: (shape) => shape.members.every((member) => (member.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) !== 0),
  map: () => scalar("Bool"),
};

export const stringMapper: TypeMapper = {
  name: "string",
  matches: (shape) => only(shape, ts.TypeFlags.String),
  map(shape, context) {
    const brands = shape.brands;
    if (brands.mappedType === "UUID") return scalar("UUID");
    if (brands.scale !== undefined) return decimal(shape, context);
    if (brands.datetimeString) return brands.precision !== undefined ? dateTime64(brands.precision, context) : scalar("DateTime('UTC')");
    if (brands.fixedStringSize !== undefined) {
      if (!Number.isInteger(brands.fixedStringSize) || brands.fixedStringSize < 1) return context.fail("FixedString size must be a positive integer", "write FixedString<16>");
      return scalar(`FixedString(${brands.fixedStringSize})`);
    }
    return scalar("String");
  },
};

export const numberMapper: TypeMapper = {
  name: "number",
  matches: (shape) => only(shape, ts.TypeFlags.Number),
  map(shape, context) {
    const brands = shape.brands;
    if (brands.int !== undefined) return scalar(INT_TYPES[brands.int] ?? context.fail(`unknown integer brand "${brands.int}"`));
    if (brands.float === "float32") return scalar("Float32");
    if (brands.scale !== undefined) return decimal(shape, context);
    return scalar("Float64");
  },
};

export const dateMapper: TypeMapper = {
  name: "date",
  matches: (shape) => shape.members.length === 1 && shape.members[0].getSymbol()?.getName() === "Date" && isFromLib(shape.members[0]),
  map(shape, context) {
    return shape.brands.precision !== undefined ? dateTime64(shape.brands.precision, context) : scalar("DateTime('UTC')");
  },
};

function isFromLib(type: ts.Type): boolean {
  // TypeScript's own lib files (lib.es5.d.ts, …): a user type merely named Date is not a date.
  return (type.getSymbol()?.getDeclarations() ?? []).some((declaration) => /[\\/]lib\.[\w.]+\.d\.ts$/.test(declaration.getSourceFile().fileName));
}
