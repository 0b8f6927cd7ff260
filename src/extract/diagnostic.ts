/** Problems found while extracting, each pinned to file:line:col and (for types) a field path. */
import ts from "./typescript.js";
import { MooseError, type SourceLocation } from "../errors.js";
import { relativePath } from "./paths.js";

export interface ExtractDiagnostic {
  code: string;
  message: string;
  location: SourceLocation;
  /** Dotted path of the offending field, e.g. `UserSchema.address.zip`. */
  path?: string;
  hint?: string;
}

export function locationOf(node: ts.Node, projectDir: string): SourceLocation {
  const sourceFile = node.getSourceFile();
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { file: relativePath(projectDir, sourceFile.fileName), line: line + 1, col: character + 1 };
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}${location.col ? `:${location.col}` : ""}`;
}

/** One MooseError for a list of diagnostics: the first gives the location, all are in the message. */
export function diagnosticsError(all: readonly ExtractDiagnostic[]): MooseError {
  // The same row type used by several constructors reports the same problem once.
  const seen = new Set<string>();
  const diagnostics = all.filter((diagnostic) => {
    const key = `${formatLocation(diagnostic.location)} ${diagnostic.message}`;
    return !seen.has(key) && (seen.add(key), true);
  });
  const [first] = diagnostics;
  const rest = diagnostics.slice(1).map((diagnostic) => `\n${formatLocation(diagnostic.location)} - error ${diagnostic.code}: ${diagnostic.message}${diagnostic.hint ? `\n  → ${diagnostic.hint}` : ""}`);
  return new MooseError(first.code, `${first.message}${rest.join("")}`, {
    location: first.location,
    hint: first.hint,
    details: { diagnostics: diagnostics.map((diagnostic) => ({ ...diagnostic })) },
  });
}

/** TypeScript's own errors, printed the way tsc prints them (`file(line,col): error TS…`). */
export function typeScriptError(diagnostics: readonly ts.Diagnostic[], projectDir: string): MooseError {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => projectDir,
    getNewLine: () => "\n",
  };
  const errors = diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  const first = errors[0];
  let location: SourceLocation | undefined;
  if (first?.file && first.start !== undefined) {
    const { line, character } = first.file.getLineAndCharacterOfPosition(first.start);
    location = { file: relativePath(projectDir, first.file.fileName), line: line + 1, col: character + 1 };
  }
  const text = ts.formatDiagnostics(errors, host).trimEnd();
  return new MooseError("TS_DIAGNOSTIC", `TypeScript found ${errors.length} error${errors.length === 1 ? "" : "s"} in the app:\n${text}`, {
    location,
    hint: "fix the TypeScript errors above (the same ones `tsc --noEmit` reports)",
    details: { count: errors.length },
  });
}
