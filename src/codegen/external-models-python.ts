/**
 * The Python of `moose db pull`'s external models file for a Python project (app/external_models.py):
 * one pydantic model and one `OlapTable` (life_cycle EXTERNALLY_MANAGED) per table, each column's
 * ClickHouse type written as the annotation moose_ts maps back to that very type (docs/type-mapping.md,
 * the Python column). Pure; the same rules as ./external-models.ts, which it shares its parsing with.
 */
import { splitNullable } from "../diff/normalize.js";
import { engineText, GEOMETRY_TYPES, type ColumnSpec, type TableSpec } from "../manifest/types.js";
import {
  call,
  DECIMAL_PRECISION,
  STRING_LITERAL,
  enumMembers,
  generatedHeader,
  literal,
  mergeTreeEngineConfig,
  namedFields,
  ordering,
  pascal,
  sortedKeepingNames,
  uniqueName,
  Unsupported,
  unsupportedTypes,
  whole,
  type ExternalModelsOptions,
} from "./external-models.js";

const INTEGERS = new Set(["Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32", "UInt64"]);

const PYTHON_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(" "),
);
/** BaseModel's own attributes (pydantic v1 names included): a field of that name must take another and say the column with an alias. */
const BASE_MODEL_ATTRIBUTES = new Set(["copy", "dict", "json", "parse_obj", "parse_raw", "parse_file", "from_orm", "construct", "schema", "schema_json", "validate", "update_forward_refs", "fields", "Config"]);

/** moose_ts's engine classes a table's config may name (ReplacingMergeTreeEngine, ReplicatedSummingMergeTreeEngine, …). */
const ENGINE_CLASSES = ["MergeTree", "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree", "VersionedCollapsingMergeTree"].flatMap((name) => [`${name}Engine`, `Replicated${name}Engine`]);

/** Names the file imports or declares besides its models. */
const RESERVED = ["None", "True", "False", "BaseModel", "Field", "Annotated", "Any", "Optional", "IntEnum", "StringToEnumMixin", "UUID", "IPv4Address", "IPv6Address", "date", "datetime", "OlapTable", "OlapConfig", "LifeCycle", "FixedString", "Float32", "clickhouse_decimal", "clickhouse_datetime64", "clickhouse_default", "simple_aggregated", "ClickHouseMaterialized", "ClickHouseAlias", "ClickHouseCodec", "ClickHouseTTL", "ClickHouseNamedTuple", "ClickhouseSize", ...ENGINE_CLASSES, ...INTEGERS, ...GEOMETRY_TYPES];

interface Writer {
  /** `module` → names imported from it. */
  imports: Map<string, Set<string>>;
  /** Enums and nested models, written before the tables' models. */
  declarations: string[];
  names: Set<string>;
}

const newWriter = (): Writer => ({ imports: new Map(), declarations: [], names: new Set(RESERVED) });

function use(writer: Writer, module: string, name: string): string {
  let names = writer.imports.get(module);
  if (!names) writer.imports.set(module, (names = new Set()));
  names.add(name);
  return name;
}

const mooseTs = (writer: Writer, name: string) => use(writer, "moose_ts", name);

/** `taken`: the model's field names, which an enum or nested model the type declares must not take. */
function pyType(type: string, writer: Writer, scope: string, taken: Set<string>): string {
  const [name, args] = call(type);
  if (name === "String") return "str";
  if (name === "Float64") return "float";
  if (name === "Int64") return "int";
  if (name === "Float32" || INTEGERS.has(name)) return mooseTs(writer, name);
  if (name === "Bool" || name === "Boolean") return "bool";
  if (name === "UUID") return use(writer, "uuid", "UUID");
  if (name === "DateTime") return use(writer, "datetime", "datetime");
  if (name === "DateTime64") return `${mooseTs(writer, "clickhouse_datetime64")}(${whole(args[0], type)})`;
  if (name === "Date32") return use(writer, "datetime", "date");
  if (name === "Date") return `${use(writer, "typing", "Annotated")}[${use(writer, "datetime", "date")}, ${mooseTs(writer, "ClickhouseSize")}(2)]`;
  if (name === "IPv4" || name === "IPv6") return use(writer, "ipaddress", `${name}Address`);
  if (name === "Decimal" && args.length === 2) return `${mooseTs(writer, "clickhouse_decimal")}(${whole(args[0], type)}, ${whole(args[1], type)})`;
  if (DECIMAL_PRECISION[name] !== undefined && args.length === 1) return `${mooseTs(writer, "clickhouse_decimal")}(${DECIMAL_PRECISION[name]}, ${whole(args[0], type)})`;
  if (name === "FixedString" && args.length === 1) return `${use(writer, "typing", "Annotated")}[str, ${mooseTs(writer, "FixedString")}(${whole(args[0], type)})]`;
  if (name === "LowCardinality" && args[0] === "String") return `${use(writer, "typing", "Annotated")}[str, "LowCardinality"]`;
  if (name === "LowCardinality" && args[0] === "Nullable(String)") return `${use(writer, "typing", "Optional")}[${use(writer, "typing", "Annotated")}[str, "LowCardinality"]]`;
  if (name === "Nullable") return `${use(writer, "typing", "Optional")}[${pyType(args[0]!, writer, scope, taken)}]`;
  if (name === "Array") return `list[${pyType(args[0]!, writer, scope, taken)}]`;
  if (name === "Map" && args.length === 2 && (args[0] === "String" || args[0] === "Int64")) return `dict[${args[0] === "String" ? "str" : "int"}, ${pyType(args[1]!, writer, scope, taken)}]`;
  if (name === "Tuple" || name === "Nested") {
    const fields = namedFields(args);
    if (fields !== undefined && fields.length > 0) {
      const model = nestedModel(fields, writer, scope, taken);
      return name === "Nested" ? model : `${use(writer, "typing", "Annotated")}[${model}, ${mooseTs(writer, "ClickHouseNamedTuple")}]`;
    }
    if (name === "Nested") throw new Unsupported(type);
    if (args.length === 0) throw new Unsupported(type);
    return `tuple[${args.map((arg) => pyType(arg, writer, scope, taken)).join(", ")}]`;
  }
  if (name === "JSON" && args.length === 0) return `dict[str, ${use(writer, "typing", "Any")}]`;
  if (GEOMETRY_TYPES.has(name) && args.length === 0) return mooseTs(writer, name);
  // Of a Nullable or LowCardinality argument: the wrapper would end up around the aggregate.
  if (name === "SimpleAggregateFunction" && args.length === 2 && /^\w+$/.test(args[0]!) && !/^(Nullable|LowCardinality)\(/.test(args[1]!)) {
    return `${mooseTs(writer, "simple_aggregated")}(${literal(args[0]!)}, ${pyType(args[1]!, writer, scope, taken)})`;
  }
  if ((name === "Enum8" || name === "Enum16") && args.length > 0) return enumType(name, args, writer, scope, taken);
  throw new Unsupported(type);
}

/**
 * `IntEnum` with moose_ts's StringToEnumMixin, as MooseStack's db pull writes it (ClickHouse answers an
 * Enum value with its name, which the mixin takes), through the functional API, which takes any
 * member name ('gone away') except Enum's reserved ones; values must differ (a repeat is an alias, dropped).
 */
function enumType(kind: "Enum8" | "Enum16", args: string[], writer: Writer, scope: string, taken: Set<string>): string {
  const members = enumMembers(kind, args);
  if (members.some(([member]) => /^_.*_$|^__/.test(member) || member === "mro") || new Set(members.map(([, value]) => value)).size !== members.length) {
    throw new Unsupported(`${kind}(${args.join(", ")})`);
  }
  const name = declaredName(scope, writer, taken);
  const body = members.map(([member, value]) => `${literal(member)}: ${value}`).join(", ");
  writer.declarations.push(`${name} = ${use(writer, "enum", "IntEnum")}(${literal(name)}, {${body}}, type=${mooseTs(writer, "StringToEnumMixin")})`);
  return name;
}

/**
 * A module-level name for an enum or nested model: one no other declaration and no field of the model
 * has (a field of that name, bound in the class body first, would be what the annotation reads).
 */
function declaredName(scope: string, writer: Writer, taken: Set<string>): string {
  let name = scope;
  for (let index = 2; writer.names.has(name) || taken.has(name); index++) name = `${scope}${index}`;
  writer.names.add(name);
  return name;
}

function nestedModel(fields: Array<[string, string]>, writer: Writer, scope: string, taken: Set<string>): string {
  const name = declaredName(scope, writer, taken);
  const lines = fields.map(([field, type]) => fieldLine({ name: field, type, nullable: false }, writer, name, new Set()));
  writer.declarations.push(`class ${name}(${use(writer, "pydantic", "BaseModel")}):\n${lines.join("\n")}`);
  return name;
}

/**
 * Names a field must not take: a class body's field of that name (with a default, `= None`) would be
 * what a later annotation of the class reads (`date: Optional[date] = None` then `at: date`).
 */
const ANNOTATION_NAMES = new Set([...RESERVED, "int", "str", "float", "bool", "bytes", "list", "dict", "tuple"]);

/** A field name for a column: the column's own when Python and pydantic take it, else a made-up one (the column then said with an alias). */
function fieldName(column: string, taken: Set<string>, declared: Set<string>): { name: string; alias?: string } {
  const usable =
    /^[A-Za-z][A-Za-z0-9_]*$/.test(column) &&
    !PYTHON_KEYWORDS.has(column) &&
    !BASE_MODEL_ATTRIBUTES.has(column) &&
    !column.startsWith("model_") &&
    !ANNOTATION_NAMES.has(column) &&
    !declared.has(column);
  if (usable && !taken.has(column)) {
    taken.add(column);
    return { name: column };
  }
  // MooseStack's name for a column pydantic would take as private (`_version`): UNDERSCORE_PREFIXED_version.
  const base = /^_+[A-Za-z0-9]\w*$/.test(column) ? `UNDERSCORE_PREFIXED_${column.replace(/^_/, "")}` : `f_${column.replace(/[^A-Za-z0-9_]/g, "_")}`;
  return { name: uniqueName(base, taken), alias: column };
}

/** One field of a model; `taken`: the model's field names so far. */
function fieldLine(column: ColumnSpec, writer: Writer, scope: string, taken: Set<string>): string {
  const unwrapped = splitNullable(column.type);
  const nullable = column.nullable || unwrapped.nullable;
  // A field with a clickhouse_default is never Nullable (MooseStack's rule): `Nullable(T) DEFAULT …` has no model.
  if (nullable && column.default !== undefined) throw new Unsupported(`Nullable(${unwrapped.type}) DEFAULT ${column.default}`);
  let annotation = pyType(unwrapped.type, writer, `${scope}_${column.name.replace(/[^A-Za-z0-9_]/g, "_")}`, taken);
  const extras: string[] = [];
  if (column.default !== undefined) extras.push(`${mooseTs(writer, "clickhouse_default")}(${literal(column.default)})`);
  if (column.materialized !== undefined) extras.push(`${mooseTs(writer, "ClickHouseMaterialized")}(${literal(column.materialized)})`);
  if (column.alias !== undefined) extras.push(`${mooseTs(writer, "ClickHouseAlias")}(${literal(column.alias)})`);
  if (column.codec !== undefined) extras.push(`${mooseTs(writer, "ClickHouseCodec")}(${literal(column.codec)})`);
  if (column.ttl !== undefined) extras.push(`${mooseTs(writer, "ClickHouseTTL")}(${literal(column.ttl)})`);
  if (extras.length > 0) annotation = `${use(writer, "typing", "Annotated")}[${annotation}, ${extras.join(", ")}]`;
  if (nullable) annotation = `${use(writer, "typing", "Optional")}[${annotation}]`;
  const field = fieldName(column.name, taken, writer.names);
  const settings = [
    ...(nullable ? ["default=None"] : []),
    ...(field.alias !== undefined ? [`alias=${literal(field.alias)}`] : []),
    ...(column.comment ? [`description=${literal(column.comment)}`] : []),
  ];
  const value = settings.length === 0 ? "" : settings.length === 1 && nullable ? " = None" : ` = ${use(writer, "pydantic", "Field")}(${settings.join(", ")})`;
  return `    ${field.name}: ${annotation}${value}`;
}

/** As declareColumn of ./external-models.ts, in Python. */
export function declarePythonColumn(column: ColumnSpec): string {
  const writer = newWriter();
  const line = fieldLine(column, writer, "Model", new Set());
  return [...writer.declarations, line].join("\n");
}

/** `widget_table = OlapTable[widget]("widget"` (MooseStack's generated shape). */
export const PYTHON_TABLE = new RegExp(String.raw`^([A-Za-z_]\w*)\s*=\s*OlapTable\s*\[\s*([A-Za-z_]\w*)\s*\]\s*\(\s*` + STRING_LITERAL, "gm");

/** `widget` → `widget_table` (MooseStack's name), `order-items` → `order_items_table`: a module variable's name. */
function variableName(table: string, taken: Set<string>): string {
  const snake = table.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "") || "table";
  return uniqueName(`${/^\d/.test(snake) ? `t_${snake}` : snake}_table`, taken);
}

/** A model's class name: the table's own, as MooseStack names it, when Python takes it; else `OrderItems`. */
function className(table: string, taken: Set<string>): string {
  const usable = /^[A-Za-z_][A-Za-z0-9_]*$/.test(table) && !PYTHON_KEYWORDS.has(table) && !ANNOTATION_NAMES.has(table) && !BASE_MODEL_ATTRIBUTES.has(table);
  return uniqueName(usable ? table : pascal(table), taken);
}

export function pythonExternalModelsSource(tables: TableSpec[], options: ExternalModelsOptions): string {
  const writer = newWriter();
  const unsupported: string[] = [];
  const blocks: string[] = [];
  for (const table of sortedKeepingNames(tables, options, writer.names)) {
    const kept = options.names?.get(table.name);
    const model = kept?.model ?? className(table.name, writer.names);
    const lines: string[] = [];
    const taken = new Set<string>();
    for (const column of table.columns) {
      try {
        lines.push(fieldLine(column, writer, model, taken));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        unsupported.push(`${table.name}.${column.name} ${column.type}`);
      }
    }
    const order = ordering(table);
    const orderConfig = "fields" in order ? `order_by_fields=[${order.fields.map(literal).join(", ")}]` : `order_by_expression=${literal(order.expression)}`;
    const engine = mergeTreeEngineConfig(table.engine);
    const engineArguments =
      engine === undefined
        ? []
        : ([["keeper_path", engine.keeperPath], ["replica_name", engine.replicaName], ["ver", engine.ver], ["is_deleted", engine.isDeleted], ["sign", engine.sign]] as const)
            .filter(([, value]) => value !== undefined)
            .map(([key, value]) => `${key}=${literal(value!)}`)
            .concat(engine.columns ? [`columns=[${engine.columns.map(literal).join(", ")}]`] : []);
    const engineLine = engine === undefined || engine.name === "MergeTree" ? [] : [`engine=${mooseTs(writer, `${engine.name}Engine`)}(${engineArguments.join(", ")})`];
    blocks.push(
      `class ${model}(${use(writer, "pydantic", "BaseModel")}):\n${lines.length > 0 ? lines.join("\n") : "    pass"}\n\n\n` +
        (engine === undefined ? `# ENGINE = ${engineText(table.engine).replace(/[\r\n]/g, " ")} on the server.\n` : "") +
        `${kept?.table ?? variableName(table.name, writer.names)} = ${mooseTs(writer, "OlapTable")}[${model}](${literal(table.name)}, ${mooseTs(writer, "OlapConfig")}(\n${[orderConfig, ...engineLine, `life_cycle=${mooseTs(writer, "LifeCycle")}.EXTERNALLY_MANAGED`].map((line) => `    ${line},`).join("\n")}\n))`,
    );
  }
  if (unsupported.length > 0) throw unsupportedTypes(unsupported, "Python");
  const order = ["datetime", "enum", "ipaddress", "typing", "uuid", "pydantic", "moose_ts"];
  const imports = order
    .filter((module) => writer.imports.has(module))
    .map((module) => `from ${module} import ${[...writer.imports.get(module)!].sort().join(", ")}`);
  // Standard library first, then pydantic, then moose_ts, each group apart (PEP 8).
  const standard = imports.filter((line) => !/^from (pydantic|moose_ts) /.test(line));
  const third = imports.filter((line) => /^from (pydantic|moose_ts) /.test(line));
  return [generatedHeader(options.source, "#"), [standard.join("\n"), third.join("\n")].filter(Boolean).join("\n\n"), ...writer.declarations, ...blocks].join("\n\n\n") + "\n";
}
