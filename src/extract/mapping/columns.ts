/**
 * Row type → ColumnSpec[]: walks the properties of the type argument of `new OlapTable<T>` (and
 * friends), maps each with the first matching TypeMapper and applies column-level brands
 * (Key, ClickHouseDefault, TTL, codec, …) and TSDoc comments.
 */
import ts from "../typescript.js";
import { isMooseSourceFile } from "../paths.js";
import type { ColumnSpec } from "../../manifest/types.js";
import { splitFieldType, type Brands } from "./brands.js";
import { orderedProperties } from "./properties.js";
import { MappingError, type FieldSite, type MappedType, type MappingContext, type Shape, type TypeMapper } from "./mapper.js";
import { arrayMapper, mapMapper, tupleMapper } from "./mappers/container.js";
import { enumMapper, literalUnionMapper } from "./mappers/enum.js";
import { objectMapper } from "./mappers/object.js";
import { booleanMapper, dateMapper, numberMapper, stringMapper } from "./mappers/scalar.js";
import { aggregateMapper, geometryMapper, jsonMapper } from "./mappers/special.js";
import { unsupportedMapper } from "./mappers/unsupported.js";

/** Order matters: refusals first, then brand-driven types, then by structure. */
const MAPPERS: readonly TypeMapper[] = [
  unsupportedMapper,
  aggregateMapper,
  jsonMapper,
  geometryMapper,
  enumMapper,
  booleanMapper,
  literalUnionMapper,
  stringMapper,
  numberMapper,
  dateMapper,
  arrayMapper,
  tupleMapper,
  mapMapper,
  objectMapper,
];


interface MappedField extends MappedType {
  nullable: boolean;
  brands: Brands;
}

export class ColumnMapper {
  /** Object types being expanded, to refuse recursive types instead of looping. */
  private readonly expanding: ts.Type[] = [];
  /** Where the `Date` fields met since the last `columnsOf` began sit in a record (see dateFields). */
  private datePaths: (readonly string[])[] = [];

  constructor(private readonly checker: ts.TypeChecker) {}

  /**
   * The columns of a row type. `site` names the type (path) and where to report problems. With
   * `extraFields` (a stream's or ingest API's message, as MooseStack allows), an index signature beside
   * the named fields is let through: they are the columns, and records may carry more.
   */
  columnsOf(rowType: ts.Type, site: FieldSite, { extraFields = false } = {}): ColumnSpec[] {
    if (!extraFields && this.checker.getIndexInfosOfType(rowType).length > 0) {
      throw new MappingError(
        `${site.path} has an index signature; a table needs a fixed set of columns`,
        { path: site.path, node: indexSignatureNode(rowType) ?? site.node },
        "list every field explicitly, or move the free-form part into a Record<string, …> field (a Map column)",
      );
    }
    if (!(rowType.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) || this.checker.isArrayType(rowType) || this.checker.isTupleType(rowType)) {
      throw new MappingError(`${site.path} must be an object type (an interface or type literal), not ${this.checker.typeToString(rowType)}`, site, "describe one row as an interface");
    }
    this.datePaths = [];
    return this.withExpansion(rowType, site, () =>
      orderedProperties(rowType, this.checker).map((property) => {
        const fieldSite = propertySite(property, site);
        const field = this.mapField(this.checker.getTypeOfSymbol(property), fieldSite, (property.flags & ts.SymbolFlags.Optional) !== 0);
        return this.column(property, field, fieldSite);
      }),
    );
  }

  /**
   * Where the row type the last `columnsOf` mapped has a JavaScript `Date`, as steps into a record
   * (`["at"]`, `["visits", "[]", "at"]`, `["pair", "1"]`): a `Date` travels as text in JSON, and a
   * stream's functions get it back as a Date there.
   */
  dateFields(): string[][] {
    return this.datePaths.map((steps) => [...steps]);
  }

  private column(property: ts.Symbol, field: MappedField, site: FieldSite): ColumnSpec {
    const { brands } = field;
    const computed = [brands.default, brands.materialized, brands.alias].filter((value) => value !== undefined);
    if (computed.length > 1) throw new MappingError(`${site.path} combines more than one of ClickHouseDefault, ClickHouseMaterialized and ClickHouseAlias`, site, "keep one of them", "CONFLICTING_ANNOTATIONS");
    const comment = ts.displayPartsToString(property.getDocumentationComment(this.checker)).trim();
    return {
      name: property.name,
      type: field.type,
      nullable: field.nullable,
      ...(brands.default !== undefined ? { default: brands.default } : {}),
      ...(brands.materialized !== undefined ? { materialized: brands.materialized } : {}),
      ...(brands.alias !== undefined ? { alias: brands.alias } : {}),
      ...(comment ? { comment } : {}),
      ...(brands.codec !== undefined ? { codec: brands.codec } : {}),
      ...(brands.ttl !== undefined ? { ttl: brands.ttl } : {}),
      ...(brands.key ? { primaryKey: true } : {}),
    };
  }

  /**
   * Maps one field type; `null`/`undefined`/optional make it nullable unless it is a container or
   * has a ClickHouseDefault (as MooseStack: the default stands in for a missing value).
   */
  private mapField(type: ts.Type, site: FieldSite, optional: boolean): MappedField {
    const { members, present, brands, bases } = splitFieldType(type, this.checker);
    if (present.length === 0) throw new MappingError(`${site.path} can only be null or undefined`, site, "give the field a value type");
    if (bases.length === 0) throw new MappingError(`${site.path} has only ClickHouse annotations and no value type`, site, "intersect the annotation with a type, e.g. string & LowCardinality");
    const shape: Shape = { members: bases, brands, original: type };
    const context = this.context(site);
    const mapper = MAPPERS.find((candidate) => candidate.matches(shape, context));
    if (!mapper) {
      const written = this.checker.typeToString(type);
      const hint = bases.length > 1 ? "a column holds one type: use one type, or a string-literal union, or a TS enum" : undefined;
      throw new MappingError(`${site.path} has type ${written}, which has no ClickHouse column type`, site, hint);
    }
    const mapped = mapper.map(shape, context);
    if (mapper === dateMapper && site.steps) this.datePaths.push(site.steps);
    const lowCardinality = brands.lowCardinality && !mapped.type.startsWith("LowCardinality(");
    return {
      type: lowCardinality ? `LowCardinality(${mapped.type})` : mapped.type,
      container: mapped.container,
      nullable: !mapped.container && brands.default === undefined && (optional || present.length < members.length),
      brands,
    };
  }

  private context(site: FieldSite): MappingContext {
    return {
      checker: this.checker,
      site,
      innerType: (inner, suffix) => this.innerType(inner, { path: `${site.path}${suffix}`, node: site.node, steps: innerSteps(site.steps, suffix) }),
      objectFields: (objectType) => this.objectFields(objectType, site),
      fail: (message, hint) => {
        throw new MappingError(`${site.path}: ${message}`, site, hint);
      },
    };
  }

  private innerType(type: ts.Type, site: FieldSite): string {
    const field = this.mapField(type, site, false);
    return field.nullable ? nullableType(field.type) : field.type;
  }

  private objectFields(objectType: ts.Type, site: FieldSite): Array<{ name: string; type: string }> {
    if (this.checker.getIndexInfosOfType(objectType).length > 0) {
      throw new MappingError(`${site.path} mixes named fields with an index signature`, site, "use either named fields (Nested) or Record<string, V> (Map)");
    }
    return this.withExpansion(objectType, site, () =>
      orderedProperties(objectType, this.checker).map((property) => {
        const fieldSite = propertySite(property, site);
        const field = this.mapField(this.checker.getTypeOfSymbol(property), fieldSite, (property.flags & ts.SymbolFlags.Optional) !== 0);
        return { name: identifier(property.name), type: field.nullable ? nullableType(field.type) : field.type };
      }),
    );
  }

  private withExpansion<R>(type: ts.Type, site: FieldSite, expand: () => R): R {
    if (this.expanding.includes(type)) {
      throw new MappingError(`${site.path} refers to itself (${this.checker.typeToString(type)}); recursive types have no column type`, site, "break the cycle, e.g. store the nested part as a JSON string");
    }
    this.expanding.push(type);
    try {
      return expand();
    } finally {
      this.expanding.pop();
    }
  }
}

/**
 * A property's site; properties declared in .d.ts files (lib, packages) or in moose-ts's own SDK
 * (DeadLetterModel, …) are reported at the user's field or type argument, never inside moose-ts.
 */
function propertySite(property: ts.Symbol, parent: FieldSite): FieldSite {
  const declaration = property.valueDeclaration ?? property.declarations?.[0];
  const file = declaration?.getSourceFile();
  const node = declaration && file && !file.isDeclarationFile && !isMooseSourceFile(file.fileName) ? declaration : parent.node;
  return { path: `${parent.path}.${property.name}`, node, steps: parent.steps === null ? null : [...(parent.steps ?? []), property.name] };
}

/** The steps of a container's inner value (innerType's suffixes: `[]`, `{}`, `[1]`, `<arg>`, `<arg0>`). */
function innerSteps(steps: FieldSite["steps"], suffix: string): FieldSite["steps"] {
  if (steps === null) return null;
  const index = /^\[(\d+)\]$/.exec(suffix)?.[1];
  if (suffix === "[]" || suffix === "{}" || index !== undefined) return [...(steps ?? []), index ?? suffix];
  // A SimpleAggregateFunction's value is its argument's; an AggregateFunction's is a state no record holds.
  return suffix === "<arg>" ? steps : null;
}

/** `Nullable(T)`, with LowCardinality kept outside as ClickHouse requires: `LowCardinality(Nullable(T))`. */
function nullableType(type: string): string {
  const lowCardinality = /^LowCardinality\((.*)\)$/.exec(type);
  return lowCardinality ? `LowCardinality(Nullable(${lowCardinality[1]}))` : `Nullable(${type})`;
}

function identifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, "\\`")}\``;
}

function indexSignatureNode(type: ts.Type): ts.Node | undefined {
  for (const declaration of type.getSymbol()?.getDeclarations() ?? []) {
    const members = ts.isInterfaceDeclaration(declaration) || ts.isTypeLiteralNode(declaration) ? declaration.members : undefined;
    const signature = members?.find(ts.isIndexSignatureDeclaration);
    if (signature) return signature;
  }
  return undefined;
}
