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

/** typia `tags.Type<…>` → ClickHouse (MooseStack's mapping). */
const TYPIA_NUMBER_TYPES: Record<string, string> = {
  int32: "Int32",
  uint32: "UInt32",
  int64: "Int64",
  uint64: "UInt64",
  float: "Float32",
  double: "Float64",
};

/** typia `tags.Format<…>` on a string → ClickHouse; other formats (email, uri, …) stay String. */
const TYPIA_STRING_FORMATS: Record<string, string> = {
  uuid: "UUID",
  "date-time": "DateTime('UTC')",
  // As MooseStack: a date is Date32 (1900–2299); ClickHouseByteSize<2> makes it the 2-byte Date (1970–2149).
  date: "Date32",
  ipv4: "IPv4",
  ipv6: "IPv6",
};

const BYTE_SIZES = new Set([1, 2, 4, 8, 16, 32]);

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

/** A date of ClickHouseByteSize<4> (Date32, the default) or <2> (Date). */
function sizedDate(byteSize: number, context: MappingContext): MappedType {
  if (byteSize === 4) return scalar("Date32");
  if (byteSize === 2) return scalar("Date");
  return context.fail(`a date of ClickHouseByteSize<${byteSize}> has no ClickHouse type`, "use 4 (Date32, the default) or 2 (Date)");
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
    if (brands.typiaFormat !== undefined && TYPIA_STRING_FORMATS[brands.typiaFormat]) {
      if (brands.typiaFormat === "date-time" && brands.precision !== undefined) return dateTime64(brands.precision, context);
      if (brands.typiaFormat === "date" && brands.byteSize !== undefined) return sizedDate(brands.byteSize, context);
      return scalar(TYPIA_STRING_FORMATS[brands.typiaFormat]!);
    }
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
    if (brands.byteSize !== undefined) return sizedInteger(shape, context);
    if (brands.int !== undefined) return scalar(INT_TYPES[brands.int] ?? context.fail(`unknown integer brand "${brands.int}"`));
    if (brands.float === "float32") return scalar("Float32");
    if (brands.scale !== undefined) return decimal(shape, context);
    if (brands.typiaType !== undefined) return scalar(TYPIA_NUMBER_TYPES[brands.typiaType] ?? context.fail(`unknown typia tags.Type<"${brands.typiaType}">`, 'use "int32", "uint32", "int64", "uint64", "float" or "double"'));
    return scalar("Float64");
  },
};

/** ClickHouseByteSize<N> on an integer: Int(8N), or UInt(8N) when the integer brand or typia tag is unsigned. */
function sizedInteger(shape: Shape, context: MappingContext): MappedType {
  const { byteSize, int, typiaType } = shape.brands;
  if (byteSize === undefined || !BYTE_SIZES.has(byteSize)) {
    return context.fail(`ClickHouseByteSize<${String(byteSize)}> is not an integer width`, "use 1, 2, 4, 8, 16 or 32 (bytes)");
  }
  const integer = int ?? typiaType;
  if (integer === undefined || !/^u?int\d*$/.test(integer)) {
    return context.fail(`ClickHouseByteSize<${byteSize}> needs an integer type`, 'combine it with an integer, e.g. number & tags.Type<"int32"> & ClickHouseByteSize<2>');
  }
  return scalar(`${integer.startsWith("u") ? "UInt" : "Int"}${byteSize * 8}`);
}

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
