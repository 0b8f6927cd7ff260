/**
 * The TypeScript source of `moose db pull`'s external models file: one interface and one
 * `OlapTable` (lifeCycle EXTERNALLY_MANAGED) per table of a ClickHouse database, written from the
 * tables as introspected. Pure. Each column's ClickHouse type is written as the TypeScript type
 * moose-ts maps back to that very type (docs/type-mapping.md), so building the file gives the
 * columns the database has; a type with no such TypeScript (Date32, a parametric aggregate, …)
 * refuses the whole file (`DB_PULL_UNSUPPORTED_TYPE`), naming every such column.
 */
import { splitNullable, splitTopLevel } from "../diff/normalize.js";
import { MooseError } from "../errors.js";
import type { ColumnSpec, TableSpec } from "../manifest/types.js";

export interface ExternalModelsOptions {
  /** Where the tables were read: the header names it. */
  source: string;
}

/** Local aliases for the typia formats ClickHouse types need, so the file needs no typia import. */
const FORMAT_ALIASES = {
  Date: `/** ClickHouse \`Date\`: typia's \`tags.Format<"date">\`, written out so this file needs no typia import. */\ntype DateString = string & { readonly "typia.tag"?: { kind: "format"; value: "date" } };`,
  IPv4: `/** ClickHouse \`IPv4\` (typia's \`tags.Format<"ipv4">\`). */\ntype IPv4String = string & { readonly "typia.tag"?: { kind: "format"; value: "ipv4" } };`,
  IPv6: `/** ClickHouse \`IPv6\` (typia's \`tags.Format<"ipv6">\`). */\ntype IPv6String = string & { readonly "typia.tag"?: { kind: "format"; value: "ipv6" } };`,
} as const;

const BRANDED = new Set(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32"]);
const WIDE_INTEGERS: Record<string, [brand: string, bytes: number]> = { Int128: ["Int64", 16], Int256: ["Int64", 32], UInt128: ["UInt64", 16], UInt256: ["UInt64", 32] };
const DECIMAL_PRECISION: Record<string, number> = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 };
const GEO: Record<string, string> = { Point: "ClickHousePoint", Ring: "ClickHouseRing", LineString: "ClickHouseLineString", MultiLineString: "ClickHouseMultiLineString", Polygon: "ClickHousePolygon", MultiPolygon: "ClickHouseMultiPolygon" };

/** Names the file may import or declare besides its models, which a model's name must not take. */
const RESERVED = [
  "OlapTable", "LifeCycle", "UUID", "Decimal", "DateTime64", "FixedString", "LowCardinality", "ClickHouseByteSize", "ClickHouseNamedTuple", "SimpleAggregated",
  "ClickHouseDefault", "ClickHouseMaterialized", "ClickHouseAlias", "ClickHouseCodec", "ClickHouseTTL", "DateString", "IPv4String", "IPv6String",
  ...BRANDED, ...Object.values(GEO),
];

class Unsupported extends Error {}

interface Writer {
  /** moose-ts types the file imports (OlapTable and LifeCycle, values, always). */
  imports: Set<string>;
  aliases: Set<keyof typeof FORMAT_ALIASES>;
  /** Enum declarations, written before the interfaces. */
  enums: string[];
  names: Set<string>;
}

/** `name(args)` → [name, args]; a bare name → [name, []]. */
function call(type: string): [string, string[]] {
  const open = type.indexOf("(");
  if (open === -1 || !type.endsWith(")")) return [type.trim(), []];
  return [type.slice(0, open).trim(), splitTopLevel(type.slice(open + 1, -1)).map((arg) => arg.trim())];
}

const literal = (text: string) => JSON.stringify(text);
/** A type argument that must be a whole number (a precision, a scale, a length). */
function whole(arg: string | undefined, type: string): number {
  if (arg === undefined || !/^\d+$/.test(arg)) throw new Unsupported(type);
  return Number(arg);
}
const unquote = (text: string) => text.replace(/^'(.*)'$/s, "$1").replace(/\\(.)/gs, "$1");

function tsType(type: string, writer: Writer, enumName: string): string {
  const [name, args] = call(type);
  const imported = (brand: string) => (writer.imports.add(brand), brand);
  if (name === "String") return "string";
  if (name === "Float64") return "number";
  if (name === "Bool" || name === "Boolean") return "boolean";
  if (BRANDED.has(name) && args.length === 0) return imported(name);
  if (WIDE_INTEGERS[name]) return `${imported(WIDE_INTEGERS[name][0])} & ${imported("ClickHouseByteSize")}<${WIDE_INTEGERS[name][1]}>`;
  if (name === "UUID") return imported("UUID");
  if (name === "DateTime") return "Date";
  if (name === "DateTime64") return `${imported("DateTime64")}<${whole(args[0], type)}>`;
  if (name === "Date" || name === "IPv4" || name === "IPv6") {
    writer.aliases.add(name);
    return `${name}String`;
  }
  if (name === "Decimal" && args.length === 2) return `${imported("Decimal")}<${whole(args[0], type)}, ${whole(args[1], type)}>`;
  if (DECIMAL_PRECISION[name] !== undefined && args.length === 1) return `${imported("Decimal")}<${DECIMAL_PRECISION[name]}, ${whole(args[0], type)}>`;
  if (name === "FixedString" && args.length === 1) return `${imported("FixedString")}<${whole(args[0], type)}>`;
  if (name === "LowCardinality" && args[0] === "String") return `string & ${imported("LowCardinality")}`;
  if (name === "Nullable") return `${tsType(args[0]!, writer, enumName)} | null`;
  if (name === "Array") {
    const element = tsType(args[0]!, writer, enumName);
    return /[|&]/.test(element) ? `(${element})[]` : `${element}[]`;
  }
  if (name === "Map" && args.length === 2 && args[0] === "String") return `Record<string, ${tsType(args[1]!, writer, enumName)}>`;
  if (name === "Tuple" || name === "Nested") {
    const fields = namedFields(args);
    if (fields !== undefined) {
      const object = `{ ${fields.map(([field, fieldType]) => `${propertyName(field)}: ${tsType(fieldType, writer, enumName)}`).join("; ")} }`;
      return name === "Nested" ? object : `${object} & ${imported("ClickHouseNamedTuple")}`;
    }
    if (name === "Nested") throw new Unsupported(type);
    return `[${args.map((arg) => tsType(arg, writer, enumName)).join(", ")}]`;
  }
  if (name === "JSON" && args.length === 0) return "Record<string, unknown>";
  if (GEO[name] && args.length === 0) return imported(GEO[name]);
  if (name === "SimpleAggregateFunction" && args.length === 2 && /^\w+$/.test(args[0]!)) {
    const value = tsType(args[1]!, writer, enumName);
    return `${value} & ${imported("SimpleAggregated")}<${literal(args[0]!)}, ${value}>`;
  }
  if ((name === "Enum8" || name === "Enum16") && args.length > 0) return enumType(args, writer, enumName);
  throw new Unsupported(type);
}

/** `a String, \`b c\` Int32` → [name, type] pairs; undefined when an item has no name (an unnamed tuple). */
function namedFields(args: string[]): Array<[string, string]> | undefined {
  const fields = args.map((arg) => /^(`[^`]+`|[A-Za-z_]\w*)\s+(.+)$/s.exec(arg));
  return fields.every((match) => match !== null) ? fields.map((match) => [match![1]!.replace(/^`|`$/g, ""), match![2]!]) : undefined;
}

/** `Enum8('a' = 1, 'b' = 2)`: a numeric TypeScript enum with those names and numbers, which maps back to it. */
function enumType(args: string[], writer: Writer, enumName: string): string {
  const members = args.map((arg) => {
    const match = /^('(?:[^'\\]|\\.)*')\s*=\s*(-?\d+)$/s.exec(arg);
    const member = match ? unquote(match[1]!) : "";
    // TypeScript refuses an enum member named like a number ('1', '-2.5').
    if (!match || member.trim() === "" || Number.isFinite(Number(member))) throw new Unsupported(`Enum(${args.join(", ")})`);
    return `  ${propertyName(member)} = ${match[2]},`;
  });
  const name = uniqueName(enumName, writer.names);
  writer.enums.push(`export enum ${name} {\n${members.join("\n")}\n}`);
  return name;
}

function propertyName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name);
}

/** `cdc_users` → `CdcUsers`; a name that starts with a digit gets a `T`. */
function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((word) => word !== "");
  const joined = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join("") || "Table";
  return /^\d/.test(joined) ? `T${joined}` : joined;
}

function uniqueName(wanted: string, names: Set<string>): string {
  let name = wanted;
  for (let index = 2; names.has(name); index++) name = `${wanted}${index}`;
  names.add(name);
  return name;
}

/** A JSDoc comment that reads back as `text` (a `*\/` in it is written `*\\/`: a JSDoc comment cannot hold its end). */
function docComment(text: string, indent: string): string {
  const lines = text.replace(/\*\//g, "*\\/").split("\n");
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`.trimEnd()).join("\n")}\n${indent} */\n`;
}

/** `column` as introspected (`Nullable(…)` may still be in its type text) or as a manifest has it. */
function columnLine(column: ColumnSpec, writer: Writer, enumName: string): string {
  const unwrapped = splitNullable(column.type);
  const nullable = column.nullable || unwrapped.nullable;
  let type = tsType(unwrapped.type, writer, enumName);
  const extras: string[] = [];
  const brand = (name: string, expression: string) => extras.push(`${(writer.imports.add(name), name)}<${literal(expression)}>`);
  if (column.default !== undefined) brand("ClickHouseDefault", column.default);
  if (column.materialized !== undefined) brand("ClickHouseMaterialized", column.materialized);
  if (column.alias !== undefined) brand("ClickHouseAlias", column.alias);
  if (column.codec !== undefined) brand("ClickHouseCodec", column.codec);
  if (column.ttl !== undefined) brand("ClickHouseTTL", column.ttl);
  if (extras.length > 0) type = `${/[|]/.test(type) ? `(${type})` : type} & ${extras.join(" & ")}`;
  const comment = column.comment ? docComment(column.comment, "  ") : "";
  return `${comment}  ${propertyName(column.name)}${nullable ? "?" : ""}: ${type};`;
}

/** The declaration of each column, or undefined for one whose type no TypeScript maps to. */
function declarations(table: TableSpec): Map<string, string | undefined> {
  const result = new Map<string, string | undefined>();
  for (const column of table.columns) {
    const writer: Writer = { imports: new Set(), aliases: new Set(), enums: [], names: new Set(RESERVED) };
    try {
      const line = columnLine(column, writer, "Enum");
      result.set(column.name, [...writer.enums, line].join("\n"));
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      result.set(column.name, undefined);
    }
  }
  return result;
}

/**
 * Each column's declaration as the file writes it (enums included), by column name: a model and the
 * database's table differ where these do (a `DateTime` the model has as `DateTime('UTC')` does not).
 */
export function columnDeclarations(table: TableSpec): Map<string, string> {
  return new Map([...declarations(table)].map(([name, declaration]) => [name, declaration ?? `unsupported ${table.columns.find((column) => column.name === name)!.type}`]));
}

/** `column Type` of each column whose type no TypeScript maps to (externalModelsSource refuses the table). */
export function unsupportedColumns(table: TableSpec): string[] {
  const declared = declarations(table);
  return table.columns.filter((column) => declared.get(column.name) === undefined).map((column) => `${column.name} ${column.type}`);
}

export function externalModelsSource(tables: TableSpec[], options: ExternalModelsOptions): string {
  const writer: Writer = { imports: new Set(), aliases: new Set(), enums: [], names: new Set(RESERVED) };
  const unsupported: string[] = [];
  const blocks: string[] = [];
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) {
    const model = uniqueName(pascal(table.name), writer.names);
    const lines: string[] = [];
    for (const column of table.columns) {
      try {
        lines.push(columnLine(column, writer, `${model}${pascal(column.name)}`));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        unsupported.push(`${table.name}.${column.name} ${column.type}`);
      }
    }
    const columnNames = new Set(table.columns.map((column) => column.name));
    const ordering = table.orderBy.every((item) => columnNames.has(item))
      ? `orderByFields: [${table.orderBy.map(literal).join(", ")}]`
      : `orderByExpression: ${literal(`(${table.orderBy.join(", ")})`)}`;
    const engine = `ENGINE = ${table.engine.name}${table.engine.params.length > 0 ? `(${table.engine.params.join(", ")})` : ""}`;
    blocks.push(
      `export interface ${model} {\n${lines.join("\n")}\n}\n\n` +
        `/** ${engine.replace(/\*\//g, "*\\/")} on the server. */\n` +
        `export const ${uniqueName(`${model[0]!.toLowerCase()}${model.slice(1)}Table`, writer.names)} = new OlapTable<${model}>(${literal(table.name)}, {\n  ${ordering},\n  lifeCycle: LifeCycle.EXTERNALLY_MANAGED,\n});`,
    );
  }
  if (unsupported.length > 0) {
    throw new MooseError("DB_PULL_UNSUPPORTED_TYPE", `no TypeScript type maps to ${unsupported.length === 1 ? "this column's type" : "these columns' types"}: ${unsupported.join(", ")}. Nothing was written.`, {
      hint: "model such a table by hand outside the external models file (docs/type-mapping.md lists what maps), and leave it out of --table",
      details: { columns: unsupported },
    });
  }
  const header = [
    `// Generated by \`moose db pull\` from ${options.source}.`,
    `// Written anew on every run: change the database (or move a table out of this file), not this file.`,
    `// Every table here is EXTERNALLY_MANAGED: moose-ts reads and queries it, never creates, alters or drops it.`,
  ].join("\n");
  const imports = `import { LifeCycle, OlapTable${[...writer.imports].sort().map((name) => `, type ${name}`).join("")} } from "moose-ts";`;
  const aliases = [...writer.aliases].sort().map((name) => FORMAT_ALIASES[name]);
  return [header, imports, ...aliases, ...writer.enums, ...blocks].join("\n\n") + "\n";
}
