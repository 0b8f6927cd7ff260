/**
 * One TypeScript program for a build, shared by every file the bundler loads. `update()` makes the
 * next program from the previous one: unchanged files keep their parsed SourceFile, and a file's
 * type errors and analysis are reused when neither the file nor anything it imports changed. That
 * is what makes `moose dev` re-extraction fast.
 */
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import ts from "./typescript.js";
import { MooseError } from "../errors.js";
import { analyzeSourceFile, mayConstructSdkObjects, type FileAnalysis } from "./transform/analyze.js";
import { moduleSpecifiers } from "./transform/imports.js";
import { applyEdits, injectionEdits, injectionTransformer, type TextEdit } from "./transform/inject.js";
import { dependencyManifests, type BuildInput } from "./build-cache.js";
import type { ExtractDiagnostic } from "./diagnostic.js";
import { isMooseSourceFile, relativePath, SDK_PACKAGE, SDK_TYPES_ENTRY } from "./paths.js";

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
  /** The insertions that turn the file's original text into `code`. */
  edits: TextEdit[];
  diagnostics: ExtractDiagnostic[];
}

interface CachedFile {
  version: string;
  sourceFile: ts.SourceFile;
}

export interface ResolvedImport {
  specifier: ts.StringLiteralLike;
  /** The resolved file, when the specifier resolves. */
  target?: string;
}

export interface ProgramSessionOptions {
  /**
   * Keep state for repeated updates (`moose dev`): SourceFiles cached by file version, and each
   * file's type errors until a change affects it. A one-shot build skips that bookkeeping.
   */
  incremental?: boolean;
}

export class ProgramSession {
  readonly options: ts.CompilerOptions;
  private readonly configDiagnostics: readonly ts.Diagnostic[];
  private readonly incremental: boolean;
  /** A new one per update: TypeScript's incremental host remembers which files exist, and files come and go. */
  private host: ts.CompilerHost;
  /** Module resolutions and package.json facts, kept from one update to the next. */
  private readonly moduleCache: ts.ModuleResolutionCache;
  /** The project's package.json and installed packages as the caches last saw them. */
  private packagesVersion: string;
  /** tsconfig.json and the files it extends, and their versions when the options were read. */
  private readonly configFiles: string[];
  private readonly configVersion: string;
  private readonly sourceFiles = new Map<string, CachedFile>();
  private program: ts.Program | undefined;
  /**
   * Incremental sessions: each file's semantic diagnostics, from the program that last checked it,
   * until an update finds the file affected by a change. (TypeScript's builder program does the same
   * but also computes every file's references and the changed file's declaration output on each
   * update: ≈ 20 ms of a 200-model save that this import graph already knows the answer to.)
   */
  private readonly checkedFiles = new Map<string, { sourceFile: ts.SourceFile; diagnostics: readonly ts.Diagnostic[] }>();
  private analyses = new Map<string, { sourceFile: ts.SourceFile; result: TransformResult }>();
  /** Files whose analysis and type errors may be stale: changed, or importing a changed file; "all" after a change that reaches files not importing it. */
  private affected: Set<string> | "all" = "all";
  private readonly resolvedImports = new WeakMap<ts.SourceFile, ResolvedImport[]>();
  private pluginTransformers: PluginTransformer[] | undefined;

  constructor(
    readonly projectDir: string,
    private rootFiles: readonly string[],
    sessionOptions: ProgramSessionOptions = {},
  ) {
    const { options, diagnostics } = readCompilerOptions(projectDir);
    this.options = { ...options, noEmit: true };
    this.configDiagnostics = diagnostics;
    this.incremental = sessionOptions.incremental ?? false;
    this.moduleCache = ts.createModuleResolutionCache(projectDir, (fileName) => (ts.sys.useCaseSensitiveFileNames ? fileName : fileName.toLowerCase()), this.options);
    this.host = this.createHost();
    this.packagesVersion = packagesVersion(projectDir);
    this.configFiles = tsconfigFiles(projectDir);
    this.configVersion = filesVersion(this.configFiles);
  }

  /** Whether tsconfig.json (or a file it extends) changed since this session read it: its options hold for the session's life. */
  configChanged(): boolean {
    return filesVersion(this.configFiles) !== this.configVersion;
  }

  /** Builds the program for the files as they are on disk now, reusing whatever did not change. */
  update(): ts.Program {
    const previous = this.program;
    const packages = packagesVersion(this.projectDir);
    if (packages !== this.packagesVersion) {
      // package.json's `type` changes how every file is read, an install what imports resolve to: nothing cached holds.
      this.packagesVersion = packages;
      this.moduleCache.clear();
      this.sourceFiles.clear();
    }
    // Between dev's saves files come and go: their importers' imports are resolved again.
    const stale = previous && this.incremental ? this.filesWithStaleImports(previous) : [];
    if (stale.length > 0) this.moduleCache.clear();
    for (const sourceFile of stale) this.resolvedImports.delete(sourceFile);
    if (previous) this.host = this.createHost();
    // TypeScript asks by its canonical path (lower-cased where file names are case-insensitive).
    const invalidated = new Set(stale.map((sourceFile) => this.host.getCanonicalFileName(sourceFile.fileName)));
    this.host.hasInvalidatedResolutions = (filePath) => invalidated.has(filePath);
    this.program = ts.createProgram({
      rootNames: this.rootFiles,
      options: this.options,
      host: this.host,
      oldProgram: previous,
      configFileParsingDiagnostics: this.configDiagnostics,
    });
    const program = this.program;
    const changed = program.getSourceFiles().filter((sourceFile) => previous?.getSourceFile(sourceFile.fileName) !== sourceFile);
    const before = (sourceFile: ts.SourceFile) => previous?.getSourceFile(sourceFile.fileName);
    this.affected =
      !previous || changed.some((sourceFile) => reachesUnimportingFiles(sourceFile) || reachesUnimportingFiles(before(sourceFile)))
        ? "all"
        : this.withImporters([...changed, ...stale].map((sourceFile) => sourceFile.fileName));
    if (this.affected === "all") this.checkedFiles.clear();
    else for (const fileName of this.affected) this.checkedFiles.delete(fileName);
    return program;
  }

  /**
   * App files with an import that did not resolve (its file may have been created since, its
   * package installed) or resolved to a file that is gone (moved, renamed). An import TypeScript
   * finds without resolving a file — a Node builtin declared by @types/node, `declare module
   * "*.css"` — has a symbol, and is not stale.
   */
  private filesWithStaleImports(program: ts.Program): ts.SourceFile[] {
    const exists = new Map<string, boolean>();
    const isGone = (target: string) => !(exists.get(target) ?? exists.set(target, existsSync(target)).get(target)!);
    let checker: ts.TypeChecker | undefined;
    const unresolved = (specifier: ts.StringLiteralLike) => (checker ??= program.getTypeChecker()).getSymbolAtLocation(specifier) === undefined;
    return program
      .getSourceFiles()
      .filter(
        (sourceFile) =>
          isAppSourceFile(program, sourceFile) && this.imports(sourceFile).some(({ specifier, target }) => (target === undefined ? unresolved(specifier) : isGone(target))),
      );
  }

  /** Makes a file the bundler loads part of the program when no root reached it (esbuild `stdin` entries). */
  addRoot(fileName: string): void {
    if (this.current().getSourceFile(fileName) || this.rootFiles.includes(fileName)) return;
    // A new array: TypeScript compares root lists by identity before reusing the old program.
    this.rootFiles = [...this.rootFiles, fileName];
    this.update();
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
    return [...this.syntaxErrors(), ...appErrors([...program.getGlobalDiagnostics(), ...this.semanticDiagnostics()])];
  }

  /**
   * Semantic diagnostics of every file except moose-ts's own sources: their errors are never
   * reported, so their function bodies are not checked either (≈ 0.3 s of every cold build); the
   * app's files still see the SDK's declarations.
   */
  private semanticDiagnostics(): ts.Diagnostic[] {
    const program = this.current();
    const checked = program.getSourceFiles().filter((sourceFile) => !isMooseSourceFile(sourceFile.fileName));
    if (!this.incremental) return checked.flatMap((sourceFile) => program.getSemanticDiagnostics(sourceFile));
    return checked.flatMap((sourceFile) => {
      const cached = this.checkedFiles.get(sourceFile.fileName);
      if (cached?.sourceFile === sourceFile) return cached.diagnostics;
      const diagnostics = program.getSemanticDiagnostics(sourceFile);
      this.checkedFiles.set(sourceFile.fileName, { sourceFile, diagnostics });
      return diagnostics;
    });
  }

  /**
   * The app file as the bundler should compile it, with the tsconfig's own transformer plugins
   * (typia, …) applied as `tspc` would: the moose-ts injection and those transformers run over the
   * checked AST, printed back to TypeScript. Undefined when no configured transformer concerns the
   * file (then transformFile's text edits are all it needs).
   */
  transformWithPlugins(fileName: string): { code: string; diagnostics: ExtractDiagnostic[] } | undefined {
    const program = this.current();
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile || isMooseSourceFile(fileName)) return undefined;
    this.pluginTransformers ??= loadPluginTransformers(this.projectDir, this.options);
    const applicable = this.pluginTransformers.filter((plugin) => plugin.appliesTo(sourceFile.text));
    if (applicable.length === 0) return undefined;
    const diagnostics: ExtractDiagnostic[] = [];
    const analysis = analyzeSourceFile(sourceFile, program.getTypeChecker(), this.projectDir);
    diagnostics.push(...analysis.diagnostics);
    const pluginDiagnostics: ts.Diagnostic[] = [];
    // What ts-patch hands a "program" transformer as its third argument.
    const extras: PluginExtras = {
      ts,
      library: "typescript",
      addDiagnostic: (diagnostic) => pluginDiagnostics.push(diagnostic),
      removeDiagnostic: (index) => void pluginDiagnostics.splice(index, 1),
      diagnostics: pluginDiagnostics,
    };
    const factories = [injectionTransformer(() => analysis.injections), ...applicable.map((plugin) => plugin.create(program, extras))];
    const result = ts.transform(sourceFile, factories, this.options);
    try {
      const code = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed }).printFile(result.transformed[0] as ts.SourceFile);
      for (const diagnostic of pluginDiagnostics) diagnostics.push(pluginDiagnostic(diagnostic, this.projectDir, sourceFile));
      return { code, diagnostics };
    } finally {
      result.dispose();
    }
  }

  /** The analysed and spliced text of one app file (see transform/analyze.ts). */
  transformFile(fileName: string): TransformResult {
    const program = this.current();
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile || isMooseSourceFile(fileName) || !mayConstructSdkObjects(sourceFile.text)) return { edits: [], diagnostics: [] };
    const cached = this.analyses.get(fileName);
    if (cached && cached.sourceFile === sourceFile && !this.dependsOnChange(sourceFile)) return cached.result;
    const analysis: FileAnalysis = analyzeSourceFile(sourceFile, program.getTypeChecker(), this.projectDir);
    const edits = injectionEdits(analysis.injections);
    const result: TransformResult = {
      ...(edits.length > 0 ? { code: applyEdits(sourceFile.text, edits) } : {}),
      edits,
      diagnostics: analysis.diagnostics,
    };
    this.analyses.set(fileName, { sourceFile, result });
    return result;
  }

  /** The module specifiers of a file and the files they resolve to (cached per parsed file). */
  imports(sourceFile: ts.SourceFile): ResolvedImport[] {
    let resolved = this.resolvedImports.get(sourceFile);
    if (!resolved) {
      const specifiers = moduleSpecifiers(sourceFile);
      const resolve = this.host.resolveModuleNameLiterals as NonNullable<ts.CompilerHost["resolveModuleNameLiterals"]>;
      const results = specifiers.length ? resolve(specifiers, sourceFile.fileName, undefined, this.options, sourceFile, undefined) : [];
      resolved = specifiers.map((specifier, index) => ({ specifier, target: results[index]?.resolvedModule?.resolvedFileName }));
      this.resolvedImports.set(sourceFile, resolved);
    }
    return resolved;
  }

  /** The given files plus every app file that imports one of them, directly or not. */
  withImporters(files: Iterable<string>): Set<string> {
    const importers = new Map<string, string[]>();
    for (const sourceFile of this.appFiles()) {
      for (const { target } of this.imports(sourceFile)) if (target) importers.set(target, [...(importers.get(target) ?? []), sourceFile.fileName]);
    }
    const result = new Set(files);
    const queue = [...result];
    while (queue.length > 0) {
      for (const importer of importers.get(queue.pop() as string) ?? []) {
        if (!result.has(importer)) {
          result.add(importer);
          queue.push(importer);
        }
      }
    }
    return result;
  }

  /**
   * Every file this build read, for the build cache: the program's files (with the text compiled)
   * except the compiler's own lib files (its version is part of the cache key), and the tsconfig chain.
   */
  inputFiles(): BuildInput[] {
    const program = this.current();
    const files = program.getSourceFiles().filter((sourceFile) => !program.isSourceFileDefaultLibrary(sourceFile));
    // The chain of tsconfigs this session was made for (a changed one makes dev start a new session).
    const configs = this.configFiles.map((file) => ({ file, text: ts.sys.readFile(file) ?? null }));
    return [...files.map((sourceFile) => ({ file: path.resolve(sourceFile.fileName), text: sourceFile.text })), ...configs];
  }

  /** A file of the current program, parsed. */
  sourceFile(fileName: string): ts.SourceFile | undefined {
    return this.current().getSourceFile(fileName);
  }

  /** The app's own TypeScript files in the current program (no libraries, no moose-ts, no .d.ts). */
  appFiles(): ts.SourceFile[] {
    const program = this.current();
    return program.getSourceFiles().filter((sourceFile) => isAppSourceFile(program, sourceFile));
  }

  private dependsOnChange(sourceFile: ts.SourceFile): boolean {
    return this.affected === "all" || this.affected.has(sourceFile.fileName);
  }

  private createHost(): ts.CompilerHost {
    const host = ts.createCompilerHost(this.options);
    const parseSourceFile = host.getSourceFile.bind(host);
    // Declarations no model comes from (@types/node, TypeScript's lib files, moose-ts's own) are read
    // as tsc reads every file, without the JSDoc no type error depends on (≈ 8 % of a cold build).
    // Everything else keeps it: a field's doc comment becomes its column's comment, also for a model
    // a package declares.
    const readSourceFile: typeof host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
      parseSourceFile(fileName, isTypingsOnly(fileName) && typeof languageVersion === "object" ? { ...languageVersion, jsDocParsingMode: ts.JSDocParsingMode.ParseForTypeErrors } : languageVersion, onError, shouldCreate);
    host.getSourceFile = readSourceFile;
    if (this.incremental) {
      host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
        const version = fileVersion(fileName);
        const cached = this.sourceFiles.get(fileName);
        if (cached && cached.version === version && version !== "") return cached.sourceFile;
        const sourceFile = readSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (sourceFile) this.sourceFiles.set(fileName, { version, sourceFile });
        return sourceFile;
      };
    }
    const moduleCache = this.moduleCache;
    // Also what the program reads package.json scopes from (else every update reads them all again).
    host.getModuleResolutionCache = () => moduleCache;
    // `import … from "moose-ts"` always means this copy of moose-ts, whatever is installed in the app.
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, containingSourceFile) =>
      literals.map((literal) => {
        if (literal.text === SDK_PACKAGE || literal.text === `${SDK_PACKAGE}/browserCompatible`) {
          return { resolvedModule: { resolvedFileName: SDK_TYPES_ENTRY, extension: SDK_TYPES_ENTRY.endsWith(".d.ts") ? ts.Extension.Dts : ts.Extension.Ts, isExternalLibraryImport: false } };
        }
        const mode = ts.getModeForUsageLocation(containingSourceFile, literal, options);
        return ts.resolveModuleName(literal.text, containingFile, options, host, moduleCache, redirected, mode);
      });
    return host;
  }
}

const TYPINGS_ONLY = /[\\/]node_modules[\\/](@types|typescript[\\/]lib)[\\/]/;

function isTypingsOnly(fileName: string): boolean {
  return isMooseSourceFile(fileName) || TYPINGS_ONLY.test(fileName);
}

/**
 * A file whose change can reach files that do not import it: a script (its declarations are
 * global), or a module with `declare global { … }` or `declare module "x" { … }`.
 */
function reachesUnimportingFiles(sourceFile: ts.SourceFile | undefined): boolean {
  if (!sourceFile) return false;
  if (!ts.isExternalModule(sourceFile)) return true;
  return sourceFile.statements.some(
    (statement) => ts.isModuleDeclaration(statement) && (ts.isStringLiteral(statement.name) || (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0),
  );
}

function isAppSourceFile(program: ts.Program, sourceFile: ts.SourceFile): boolean {
  return !sourceFile.isDeclarationFile && !isMooseSourceFile(sourceFile.fileName) && !program.isSourceFileFromExternalLibrary(sourceFile);
}

function appErrors(diagnostics: readonly ts.Diagnostic[]): ts.Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error && !(diagnostic.file && isMooseSourceFile(diagnostic.file.fileName)));
}

/** The package manifests, lockfiles and install records from the project up (a workspace's root too), as they are now. */
function packagesVersion(projectDir: string): string {
  return filesVersion(dependencyManifests(projectDir));
}

function filesVersion(files: readonly string[]): string {
  return files.map((file) => `${file} ${fileVersion(file)}`).join("\n");
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

/** tsconfig.json (tracked when absent too: creating one changes the build) and the files it extends. */
function tsconfigFiles(projectDir: string): string[] {
  const configPath = path.join(projectDir, "tsconfig.json");
  if (!ts.sys.fileExists(configPath)) return [configPath];
  const sourceFile = ts.readJsonConfigFile(configPath, ts.sys.readFile);
  ts.parseJsonSourceFileConfigFileContent(sourceFile, ts.sys, projectDir, undefined, configPath);
  return [configPath, ...(sourceFile.extendedSourceFiles ?? []).map((file) => path.resolve(file))];
}

/** A transformer from the tsconfig's `plugins` (`{ "transform": "typia/lib/transform" }`), ts-patch's "program" kind. */
interface PluginTransformer {
  appliesTo(text: string): boolean;
  create(program: ts.Program, extras: PluginExtras): ts.TransformerFactory<ts.SourceFile>;
}

interface PluginExtras {
  ts: typeof ts;
  library: string;
  addDiagnostic(diagnostic: ts.Diagnostic): number;
  removeDiagnostic(index: number): void;
  diagnostics: readonly ts.Diagnostic[];
}

/** moose's own compiler plugins (moose-lib's, moose-ts's): the injection does their work already. */
const MOOSE_PLUGIN = /(^|[\\/])(@514labs[\\/]moose-lib|moose-ts)([\\/]|$)/;

/**
 * The tsconfig's transformer plugins other than moose's own, loaded from the project. A plugin
 * named by a package (typia) is applied to files that mention that package; one named by a path,
 * to every file.
 */
function loadPluginTransformers(projectDir: string, options: ts.CompilerOptions): PluginTransformer[] {
  const entries = ((options.plugins ?? []) as unknown as Array<Record<string, unknown>>).filter(
    (entry) => typeof entry.transform === "string" && !MOOSE_PLUGIN.test(entry.transform) && (entry.type === undefined || entry.type === "program"),
  );
  const requireFromProject = createRequire(path.join(projectDir, "tsconfig.json"));
  return entries.map((entry) => {
    const transform = entry.transform as string;
    let factory: (program: ts.Program, config: unknown, extras: unknown) => ts.TransformerFactory<ts.SourceFile>;
    try {
      const loaded = requireFromProject(transform.startsWith(".") ? path.resolve(projectDir, transform) : transform) as { default?: unknown };
      factory = (typeof loaded.default === "function" ? loaded.default : loaded) as typeof factory;
      if (typeof factory !== "function") throw new Error("it exports no transformer function");
    } catch (error) {
      throw new MooseError("TSCONFIG_PLUGIN_FAILED", `the tsconfig.json plugin "${transform}" could not be loaded: ${(error as Error).message}`, {
        location: { file: "tsconfig.json", line: 1 },
        hint: "install the package that provides it (npm install), or remove the entry from compilerOptions.plugins",
        cause: error,
      });
    }
    const { transform: _transform, ...config } = entry;
    const packageName = transform.startsWith(".") ? undefined : transform.startsWith("@") ? transform.split("/").slice(0, 2).join("/") : transform.split("/")[0];
    return {
      appliesTo: (text: string) => packageName === undefined || text.includes(`"${packageName}`) || text.includes(`'${packageName}`),
      create: (program, extras) => factory(program, config, extras),
    };
  });
}

function pluginDiagnostic(diagnostic: ts.Diagnostic, projectDir: string, fallback: ts.SourceFile): ExtractDiagnostic {
  const file = diagnostic.file ?? fallback;
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  return {
    code: "TSCONFIG_PLUGIN_ERROR",
    message: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"),
    location: { file: relativePath(projectDir, file.fileName), line: line + 1, col: character + 1 },
    hint: "the tsconfig.json transformer plugin (e.g. typia) rejected this code; fix it as `tspc` would ask",
  };
}
