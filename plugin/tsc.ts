/**
 * moose-ts tsc transformer (ts-patch / ttypescript style). In tsconfig.json:
 *
 *   { "compilerOptions": { "plugins": [{ "transform": "moose-ts/plugin/tsc" }] } }
 *
 * then compile with `tspc` (ts-patch). Programmatic use:
 *
 *   program.emit(undefined, undefined, undefined, false, { before: [mooseTscTransformer(program)] });
 */
import type ts from "typescript";
import { createTscTransformer, type TscTransformerOptions } from "../src/extract/tsc-transformer.js";

/** ts-patch "program" transformer signature: (program, pluginConfig) → TransformerFactory. */
export default function mooseTscTransformer(program: ts.Program, config: TscTransformerOptions = {}): ts.TransformerFactory<ts.SourceFile> {
  return createTscTransformer(program, config);
}

export { mooseTscTransformer, createTscTransformer, type TscTransformerOptions };
