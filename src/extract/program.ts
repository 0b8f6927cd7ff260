/**
 * One TypeScript program for a build, shared by every file the bundler loads. `update()` makes the
 * next program from the previous one: unchanged files keep their parsed SourceFile, the builder
 * re-checks only files affected by a change, and file analyses are reused when neither the file
 * nor anything it imports changed. That is what makes `moose dev` re-extraction fast.
 */
import { statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { MooseError } from "../errors.js";
import { analyzeSourceFile, mayConstructSdkObjects, type FileAnalysis } from "./transform/analyze.js";
import { spliceInjections } from "./transform/inject.js";
import type { ExtractDiagnostic } from "./diagnostic.js";
import { isMooseSourceFile, SDK_ENTRY, SDK_PACKAGE } from "./paths.js";

const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
};

export interface TransformResult {
  /** The transformed TypeScript text, or undefined when the file needs no change. */
  code?: string;
  diagnostics: ExtractDiagnostic[];
}

interface CachedFile {
  version: string;
  sourceFile: ts.SourceFile;
}

export interface ProgramSessionOptions {
  /**
   * Keep state for repeated updates (`moose dev`): a builder program that re-checks only affected
   * files, and SourceFiles cached by file version. A one-shot build skips that bookkeeping.
   */
  incremental?: boolean;
}

export class ProgramSession {
  readonly options: ts.CompilerOptions;
  private readonly configDiagnostics: readonly ts.Diagnostic[];
  private readonly incremental: boolean;
  private readonly host: ts.CompilerHost;
  private readonly sourceFiles = new Map<string, CachedFile>();
  private program: ts.Program | undefined;
  private builder: ts.SemanticDiagnosticsBuilderProgram | undefined;
  private analyses = new Map<string, { sourceFile: ts.SourceFile; result: TransformResult }>();
  private changedFiles = new Set<string>();

  constructor(
    readonly projectDir: string,
    readonly rootFiles: string[],
    sessionOptions: ProgramSessionOptions = {},
  ) {
    const { options, diagnostics } = readCompilerOptions(projectDir);
    this.options = { ...options, noEmit: true };
    this.configDiagnostics = diagnostics;
    this.incremental = sessionOptions.incremental ?? false;
    this.host = this.createHost();
  }

  /** Builds the program for the files as they are on disk now, reusing whatever did not change. */
  update(): ts.Program {
    const previous = this.program;
    if (this.incremental) {
      this.builder = ts.createSemanticDiagnosticsBuilderProgram(this.rootFiles, this.options, this.host, this.builder, this.configDiagnostics);
      this.program = this.builder.getProgram();
    } else {
      this.program = ts.createProgram({
        rootNames: this.rootFiles,
        options: this.options,
        host: this.host,
        oldProgram: previous,
        configFileParsingDiagnostics: this.configDiagnostics,
      });
    }
    const program = this.program;
    this.changedFiles = new Set(
      program
        .getSourceFiles()
        .filter((sourceFile) => previous?.getSourceFile(sourceFile.fileName) !== sourceFile)
        .map((sourceFile) => sourceFile.fileName),
    );
    return program;
  }

  private current(): ts.Program {
    return this.program ?? this.update();
  }

  /** Config and syntax errors: cheap, and worth knowing before anything is bundled. */
  syntaxErrors(): ts.Diagnostic[] {
    const program = this.current();
    return appErrors([...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics()]);
  }

  /** tsc's errors for the app (config, syntax, types), leaving out moose-ts's own files. */
  typeErrors(): ts.Diagnostic[] {
    const program = this.current();
    const semantic = this.builder ? this.builder.getSemanticDiagnostics() : program.getSemanticDiagnostics();
    return [...this.syntaxErrors(), ...appErrors([...program.getGlobalDiagnostics(), ...semantic])];
  }

  /** The analysed and spliced text of one app file (see transform/analyze.ts). */
  transformFile(fileName: string): TransformResult {
    const program = this.current();
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile || isMooseSourceFile(fileName) || !mayConstructSdkObjects(sourceFile.text)) return { diagnostics: [] };
    const cached = this.analyses.get(fileName);
    if (cached && cached.sourceFile === sourceFile && !this.dependsOnChange(sourceFile)) return cached.result;
    const analysis: FileAnalysis = analyzeSourceFile(sourceFile, program.getTypeChecker(), this.projectDir);
    const result: TransformResult = {
      ...(analysis.injections.length > 0 ? { code: spliceInjections(sourceFile.text, analysis.injections) } : {}),
      diagnostics: analysis.diagnostics,
    };
    this.analyses.set(fileName, { sourceFile, result });
    return result;
  }

  private dependsOnChange(sourceFile: ts.SourceFile): boolean {
    if (this.changedFiles.size === 0) return false;
    if (!this.builder) return true;
    return this.builder.getAllDependencies(sourceFile).some((dependency) => this.changedFiles.has(dependency));
  }

  private createHost(): ts.CompilerHost {
    const host = this.incremental ? ts.createIncrementalCompilerHost(this.options) : ts.createCompilerHost(this.options);
    if (this.incremental) {
      const readSourceFile = host.getSourceFile.bind(host);
      host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
        const version = fileVersion(fileName);
        const cached = this.sourceFiles.get(fileName);
        if (cached && cached.version === version && version !== "") return cached.sourceFile;
        const sourceFile = readSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (sourceFile) this.sourceFiles.set(fileName, { version, sourceFile });
        return sourceFile;
      };
    }
    const moduleCache = ts.createModuleResolutionCache(this.projectDir, (fileName) => fileName, this.options);
    // `import … from "moose-ts"` always means this copy of moose-ts, whatever is installed in the app.
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, containingSourceFile) =>
      literals.map((literal) => {
        if (literal.text === SDK_PACKAGE) {
          return { resolvedModule: { resolvedFileName: SDK_ENTRY, extension: ts.Extension.Ts, isExternalLibraryImport: false } };
        }
        const mode = ts.getModeForUsageLocation(containingSourceFile, literal, options);
        return ts.resolveModuleName(literal.text, containingFile, options, host, moduleCache, redirected, mode);
      });
    return host;
  }
}

function appErrors(diagnostics: readonly ts.Diagnostic[]): ts.Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error && !(diagnostic.file && isMooseSourceFile(diagnostic.file.fileName)));
}

function fileVersion(fileName: string): string {
  try {
    const stat = statSync(fileName);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return "";
  }
}

/** The app's tsconfig.json compiler options (or sensible defaults when there is none). */
export function readCompilerOptions(projectDir: string): { options: ts.CompilerOptions; diagnostics: ts.Diagnostic[] } {
  const configPath = path.join(projectDir, "tsconfig.json");
  if (!ts.sys.fileExists(configPath)) return { options: DEFAULT_OPTIONS, diagnostics: [] };
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    throw new MooseError("INVALID_TSCONFIG", ts.flattenDiagnosticMessageText(read.error.messageText, "\n"), {
      location: { file: "tsconfig.json", line: 1 },
      hint: "fix tsconfig.json so that tsc accepts it",
    });
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir, undefined, configPath);
  return { options: parsed.options, diagnostics: parsed.errors.filter((error) => error.code !== 18003) };
}
