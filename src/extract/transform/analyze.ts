/**
 * The program-aware half of the transformer, shared by the esbuild and tsc plugins: finds every
 * `new OlapTable<T>(…)` (and the other SDK constructors) in a source file, resolves the type
 * arguments with the checker and computes the metadata to inject.
 */
import ts from "../typescript.js";
import type { JsonSchema } from "../../manifest/types.js";
import { METADATA_MARKER, type InjectedMetadata } from "../../sdk/metadata.js";
import { locationOf, type ExtractDiagnostic } from "../diagnostic.js";
import { ColumnMapper } from "../mapping/columns.js";
import { JsonSchemaMapper } from "../mapping/json-schema.js";
import { MappingError } from "../mapping/mapper.js";
import { isMooseSourceFile, isSdkFile } from "../paths.js";

/** What each SDK constructor gets: where the metadata argument goes and which type arguments matter. */
interface ConstructorRule {
  /** Index of the metadata argument (earlier missing arguments are filled with `undefined`), or "append". */
  position: number | "append";
  /** Type argument whose columns are injected. */
  columns?: number;
  /** Also inject the JSON Schema of the columns' type (payload validation: ingest APIs). */
  payloadSchema?: boolean;
  /** The row type may have an index signature: messages with fields beyond its columns (MooseStack's rule). */
  extraFields?: boolean;
  /** An explicit `any` row type is allowed: the object may take its columns elsewhere (a MaterializedView's targetTable). */
  anyRow?: boolean;
  /** Type argument described by JSON Schema only. */
  schema?: number;
  /** Type argument described as the result JSON Schema. */
  result?: number;
}

const RULES: Record<string, ConstructorRule> = {
  OlapTable: { position: 2, columns: 0 },
  Stream: { position: 2, columns: 0, extraFields: true },
  IngestApi: { position: 2, columns: 0, payloadSchema: true, extraFields: true },
  IngestPipeline: { position: 2, columns: 0, payloadSchema: true, extraFields: true },
  MaterializedView: { position: 1, columns: 0, anyRow: true },
  Api: { position: 3, schema: 0, result: 1 },
  // MooseStack's older name of Api: the same class (src/sdk/api.ts).
  ConsumptionApi: { position: 3, schema: 0, result: 1 },
  Task: { position: 2, schema: 0 },
  DeadLetterQueue: { position: 2 },
  View: { position: "append" },
  Workflow: { position: "append" },
  WebApp: { position: "append" },
  SqlResource: { position: 4 },
  OlapDictionary: { position: 2, columns: 0 },
  SelectRowPolicy: { position: 2 },
};

export interface Injection {
  node: ts.NewExpression;
  /** `undefined` arguments to add before the metadata so it lands at its index. */
  padding: number;
  metadata: InjectedMetadata;
}

export interface FileAnalysis {
  injections: Injection[];
  diagnostics: ExtractDiagnostic[];
}

const CLASS_NAMES = new RegExp(`\\bnew\\s+(?:[\\w$]+\\.)?(?:${Object.keys(RULES).join("|")})\\b`);

/** Cheap text test: files that construct no SDK object need no type work at all. */
export function mayConstructSdkObjects(text: string): boolean {
  return CLASS_NAMES.test(text);
}

export function analyzeSourceFile(sourceFile: ts.SourceFile, checker: ts.TypeChecker, projectDir: string): FileAnalysis {
  const analysis: FileAnalysis = { injections: [], diagnostics: [] };
  // The SDK constructs its own objects generically (IngestPipeline's table); only app code is analysed.
  if (sourceFile.isDeclarationFile || isMooseSourceFile(sourceFile.fileName) || !mayConstructSdkObjects(sourceFile.text)) return analysis;
  const columns = new ColumnMapper(checker);
  const schemas = new JsonSchemaMapper(checker);
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const className = sdkClassName(node, checker);
      if (className) {
        try {
          const injection = analyzeConstruction(node, className, checker, columns, schemas, projectDir);
          if (injection) analysis.injections.push(injection);
        } catch (error) {
          if (!(error instanceof MappingError)) throw error;
          analysis.diagnostics.push({
            code: error.code,
            message: error.message,
            location: locationOf(error.site.node, projectDir),
            ...(error.site.path ? { path: error.site.path } : {}),
            ...(error.hint ? { hint: error.hint } : {}),
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return analysis;
}

/** The SDK class a `new` expression constructs, or undefined for anything else. */
function sdkClassName(node: ts.NewExpression, checker: ts.TypeChecker): string | undefined {
  let symbol = checker.getSymbolAtLocation(node.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.valueDeclaration;
  if (!symbol || !declaration || !(symbol.getName() in RULES)) return undefined;
  return isSdkFile(declaration.getSourceFile().fileName) ? symbol.getName() : undefined;
}

function analyzeConstruction(
  node: ts.NewExpression,
  className: string,
  checker: ts.TypeChecker,
  columns: ColumnMapper,
  schemas: JsonSchemaMapper,
  projectDir: string,
): Injection | undefined {
  const args = node.arguments;
  if (!args || args.some(ts.isSpreadElement)) return undefined;
  const rule = RULES[className];
  const metadata: InjectedMetadata = { [METADATA_MARKER]: 1, source: locationOf(node, projectDir) };
  const typeArguments = resolveTypeArguments(node, checker);
  const typeArgument = (index: number): ts.Type => {
    const type = typeArguments[index];
    if (!type || (type.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any) && !node.typeArguments?.[index])) {
      throw new MappingError(
        `new ${className}(…) has no type argument to take its ${index === 0 ? "row" : "result"} type from`,
        { path: "", node },
        `write the type explicitly, e.g. new ${className}<MyRow>(…)`,
        "MISSING_TYPE_ARGUMENT",
      );
    }
    return type;
  };
  const anyRow = rule.anyRow === true && node.typeArguments?.[rule.columns ?? 0]?.kind === ts.SyntaxKind.AnyKeyword;
  if (rule.columns !== undefined && !anyRow) {
    const rowType = typeArgument(rule.columns);
    const site = { path: typeName(rowType, node.typeArguments?.[rule.columns], checker), node: node.typeArguments?.[rule.columns] ?? node };
    const extraFields = rule.extraFields === true && checker.getIndexInfosOfType(rowType).length > 0;
    metadata.columns = columns.columnsOf(rowType, site, { extraFields });
    const dateFields = columns.dateFields();
    if (dateFields.length > 0) metadata.dateFields = dateFields;
    if (extraFields) metadata.extraFields = true;
    if (rule.payloadSchema) metadata.schema = schemas.schemaOf(rowType);
  }
  if (rule.schema !== undefined) metadata.schema = schemaOrAnything(typeArguments[rule.schema], schemas);
  if (rule.result !== undefined) metadata.resultSchema = schemaOrAnything(typeArguments[rule.result], schemas);
  const padding = rule.position === "append" ? 0 : Math.max(0, rule.position - args.length);
  return { node, padding, metadata };
}

function schemaOrAnything(type: ts.Type | undefined, schemas: JsonSchemaMapper): JsonSchema {
  return type ? schemas.schemaOf(type) : {};
}

/** Explicit type arguments when written, otherwise the ones the checker inferred for the instance type. */
function resolveTypeArguments(node: ts.NewExpression, checker: ts.TypeChecker): ts.Type[] {
  const instance = checker.getTypeAtLocation(node);
  const inferred = instance.flags & ts.TypeFlags.Object ? checker.getTypeArguments(instance as ts.TypeReference) : [];
  return inferred.map((type, index) => (node.typeArguments?.[index] ? checker.getTypeFromTypeNode(node.typeArguments[index]) : type));
}

function typeName(type: ts.Type, written: ts.TypeNode | undefined, checker: ts.TypeChecker): string {
  if (written && ts.isTypeReferenceNode(written)) return written.typeName.getText();
  return type.aliasSymbol?.getName() ?? type.getSymbol()?.getName() ?? checker.typeToString(type);
}
