/**
 * The tsc side of the transformer: a `before` TransformerFactory over the program tsc is
 * compiling, with the same analysis (and so the same injected arguments) as the esbuild plugin.
 */
import ts from "./typescript.js";
import { diagnosticsError, type ExtractDiagnostic } from "./diagnostic.js";
import { analyzeSourceFile, type Injection } from "./transform/analyze.js";
import { injectionTransformer } from "./transform/inject.js";

export interface TscTransformerOptions {
  /** Project root for source locations; default: the program's current directory. */
  projectDir?: string;
  /** Called with extraction problems; by default they are thrown as one MooseError (tsc stops). */
  onDiagnostics?: (diagnostics: ExtractDiagnostic[]) => void;
}

export function createTscTransformer(program: ts.Program, options: TscTransformerOptions = {}): ts.TransformerFactory<ts.SourceFile> {
  const projectDir = options.projectDir ?? program.getCurrentDirectory();
  const report =
    options.onDiagnostics ??
    ((diagnostics: ExtractDiagnostic[]) => {
      throw diagnosticsError(diagnostics);
    });
  return injectionTransformer((sourceFile: ts.SourceFile): readonly Injection[] => {
    // The transformer sees the original (checked) source file; analyse it with the program's checker.
    const original = program.getSourceFile(sourceFile.fileName) ?? sourceFile;
    const analysis = analyzeSourceFile(original, program.getTypeChecker(), projectDir);
    if (analysis.diagnostics.length > 0) report(analysis.diagnostics);
    return analysis.injections;
  });
}
