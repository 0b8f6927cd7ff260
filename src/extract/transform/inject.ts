/**
 * Applying the analysis: as text insertions (esbuild path: keeps every other byte and line of the
 * file as written) or as a TypeScript AST transformer (tsc path). Both insert the same arguments.
 */
import ts from "typescript";
import type { Injection } from "./analyze.js";

interface Insertion {
  position: number;
  text: string;
}

/** The file text with the metadata arguments inserted. */
export function spliceInjections(text: string, injections: readonly Injection[]): string {
  const insertions: Insertion[] = injections.map(({ node, padding, metadata }) => {
    const args = node.arguments as ts.NodeArray<ts.Expression>;
    const added = [...Array.from({ length: padding }, () => "undefined"), JSON.stringify(metadata)].join(", ");
    return args.length === 0 ? { position: args.pos, text: added } : { position: args[args.length - 1].end, text: `, ${added}` };
  });
  insertions.sort((left, right) => right.position - left.position);
  let result = text;
  for (const insertion of insertions) result = result.slice(0, insertion.position) + insertion.text + result.slice(insertion.position);
  return result;
}

/** A `before` transformer adding the metadata arguments to the analysed `new` expressions. */
export function injectionTransformer(injectionsFor: (sourceFile: ts.SourceFile) => readonly Injection[]): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (sourceFile) => {
    const byNode = new Map(injectionsFor(sourceFile).map((injection) => [injection.node as ts.Node, injection]));
    if (byNode.size === 0) return sourceFile;
    const factory = context.factory;
    const visit = (node: ts.Node): ts.Node => {
      const visited = ts.visitEachChild(node, visit, context);
      const injection = byNode.get(node);
      if (!injection || !ts.isNewExpression(visited)) return visited;
      const added = [...Array.from({ length: injection.padding }, () => factory.createIdentifier("undefined")), jsonExpression(injection.metadata, factory)];
      return factory.updateNewExpression(visited, visited.expression, visited.typeArguments, [...(visited.arguments ?? []), ...added]);
    };
    return ts.visitNode(sourceFile, visit) as ts.SourceFile;
  };
}

function jsonExpression(value: unknown, factory: ts.NodeFactory): ts.Expression {
  if (value === null) return factory.createNull();
  if (typeof value === "string") return factory.createStringLiteral(value);
  if (typeof value === "number") {
    return value < 0 ? factory.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, factory.createNumericLiteral(-value)) : factory.createNumericLiteral(value);
  }
  if (typeof value === "boolean") return value ? factory.createTrue() : factory.createFalse();
  if (Array.isArray(value)) return factory.createArrayLiteralExpression(value.map((item) => jsonExpression(item, factory)));
  return factory.createObjectLiteralExpression(
    Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .map(([key, entry]) => factory.createPropertyAssignment(factory.createStringLiteral(key), jsonExpression(entry, factory))),
  );
}
