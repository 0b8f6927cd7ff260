import { pathToFileURL } from "node:url";
import path from "node:path";
import ts from "../typescript.js";

/**
 * MooseStack runs a TypeScript app as CommonJS, so its files may use `require`, `__dirname` and
 * `__filename`; moose-ts loads them as ES modules, where none of the three exists. The names a file
 * uses without declaring them at its top level are given back to it, with the values CommonJS would
 * give the source file (not the emitted module under .moose/build).
 */
export type CommonJsGlobal = "require" | "__dirname" | "__filename";

const GLOBALS: readonly CommonJsGlobal[] = ["require", "__dirname", "__filename"];

/** The CommonJS globals `sourceFile` reads and does not declare itself (an ESM file's own `const __dirname = …` stays). */
export function commonJsGlobalsUsed(sourceFile: ts.SourceFile): CommonJsGlobal[] {
  const candidates = GLOBALS.filter((name) => sourceFile.text.includes(name));
  if (candidates.length === 0) return [];
  const declared = topLevelDeclarations(sourceFile);
  const used = new Set<CommonJsGlobal>();
  // Parents passed down: a file parsed but not yet bound has no `parent` links.
  const visit = (node: ts.Node, parent: ts.Node): void => {
    if (ts.isImportEqualsDeclaration(node) && !node.isTypeOnly && ts.isExternalModuleReference(node.moduleReference)) used.add("require");
    if (ts.isIdentifier(node) && (candidates as readonly string[]).includes(node.text) && isValueReference(node, parent)) used.add(node.text as CommonJsGlobal);
    ts.forEachChild(node, (child) => visit(child, node));
  };
  ts.forEachChild(sourceFile, (child) => visit(child, sourceFile));
  return GLOBALS.filter((name) => used.has(name) && !declared.has(name));
}

/**
 * One line of JavaScript declaring `names` for the file `fileName`: put before the file's first line
 * so its source map's lines stay. `require` resolves from the source file, as CommonJS's would.
 */
export function commonJsPreamble(fileName: string, names: readonly CommonJsGlobal[]): string {
  const declarations = names.map((name) => {
    if (name === "__filename") return `const __filename = ${JSON.stringify(fileName)};`;
    if (name === "__dirname") return `const __dirname = ${JSON.stringify(path.dirname(fileName))};`;
    return `import { createRequire as __mooseCreateRequire } from "node:module"; const require = __mooseCreateRequire(${JSON.stringify(pathToFileURL(fileName).href)});`;
  });
  return declarations.join(" ");
}

function topLevelDeclarations(sourceFile: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) for (const declaration of statement.declarationList.declarations) addBinding(declaration.name);
    else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name) names.add(statement.name.text);
    else if (ts.isImportEqualsDeclaration(statement)) names.add(statement.name.text);
    else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const { name, namedBindings } = statement.importClause;
      if (name) names.add(name.text);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) names.add(namedBindings.name.text);
      else if (namedBindings) for (const element of namedBindings.elements) names.add(element.name.text);
    }
  }
  return names;
}

/** An identifier read as a variable: not a property's or declaration's name. */
function isValueReference(node: ts.Identifier, parent: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) && parent.name === node) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent) || ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent)) && parent.name === node) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  return true;
}
