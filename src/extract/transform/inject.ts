/**
 * Applying the analysis: as text insertions (esbuild path: keeps every other byte and line of the
 * file as written) or as a TypeScript AST transformer (tsc path). Both insert the same arguments.
 */
import ts from "../typescript.js";
import type { InjectedMetadata } from "../../sdk/metadata.js";
import type { Injection } from "./analyze.js";

/** Replace text[start, end) with `text` (an insertion when start === end), in original coordinates. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The metadata arguments of the analysed `new` expressions, as insertions. */
export function injectionEdits(injections: readonly Injection[]): TextEdit[] {
  return injections.map(({ node, padding, metadata }) => {
    const args = node.arguments as ts.NodeArray<ts.Expression>;
    const added = [...Array.from({ length: padding }, () => "undefined"), JSON.stringify(metadataText(metadata))].join(", ");
    const position = args.length === 0 ? args.pos : args[args.length - 1].end;
    return { start: position, end: position, text: args.length === 0 ? added : `, ${added}` };
  });
}

/** Applies non-overlapping edits, last first so earlier positions stay valid. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let result = text;
  for (const edit of [...edits].sort((left, right) => right.start - left.start)) {
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  }
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
      const added = [...Array.from({ length: injection.padding }, () => factory.createIdentifier("undefined")), factory.createStringLiteral(metadataText(injection.metadata))];
      return factory.updateNewExpression(visited, visited.expression, visited.typeArguments, [...(visited.arguments ?? []), ...added]);
    };
    return ts.visitNode(sourceFile, visit) as ts.SourceFile;
  };
}

/**
 * The metadata travels as one JSON string literal: for the bundler and the JavaScript parser that
 * is much cheaper than the same data as an object literal (the SDK parses it once).
 */
function metadataText(metadata: InjectedMetadata): string {
  return JSON.stringify(metadata);
}
