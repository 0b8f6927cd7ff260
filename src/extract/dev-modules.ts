/**
 * Fast re-runs for `moose dev`: instead of re-bundling the whole app after each save, every app
 * file is emitted as its own ES module under .moose/build/dev/, with the moose-ts metadata
 * injected and its relative imports pinned to a version (`./models.mjs?v=7`). After an edit only
 * the files whose output changed, and the files that (transitively) import them, get a new version;
 * Node re-evaluates exactly those and keeps every other module instance. Components registered by
 * re-evaluated files are forgotten first, so the registry ends up as after a fresh run. An unchanged
 * file that only re-exports (the usual app/index.ts of `export * from "./models/…"`) is not run
 * again when nothing else that runs again imports it: moose reads the registry, not its exports,
 * and a 200-line barrel costs Node a re-link of all its imports.
 *
 * Versions carry this loader's run id (`?v=<run>.7`): a restarted `moose dev` may first import the
 * modules the previous run emitted (the build cache's warm start, ./index.ts), and its own versions
 * must never name one of those already-loaded module instances.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import ts from "./typescript.js";
import type { Manifest } from "../manifest/types.js";
import { registryToManifest } from "../sdk/manifest.js";
import { EVALUATING_MODULE, getRegistry } from "../sdk/registry.js";
import { diagnosticsError, type ExtractDiagnostic } from "./diagnostic.js";
import { buildDir, devModuleFile, PACKAGE_ROOT, relativePath, SDK_ENTRY, SDK_PACKAGE } from "./paths.js";
import type { ProgramSession, ResolvedImport } from "./program.js";
import { evaluateInProcess } from "./run.js";
import { applyEdits, type TextEdit } from "./transform/inject.js";
import { moduleSpecifiers } from "./transform/imports.js";
import { commonJsGlobalsUsed, commonJsPreamble } from "./transform/commonjs-globals.js";

interface ModuleState {
  /** Transformed TypeScript (before import pinning): what decides whether the file changed. */
  source: string;
  /** App files this one imports. */
  imports: string[];
  version: number;
}

export class DevModuleLoader {
  private readonly outDir: string;
  private readonly modules = new Map<string, ModuleState>();
  private generation = 0;
  /** Modules the last failed run evaluated: Node keeps them as errors under their URLs, so they run again under new ones. */
  private failed = new Set<string>();
  private readonly run = `${process.pid}.${Date.now().toString(36)}`;
  private sdkUrl: string | undefined;
  /** Each file's planned import edits, by its resolved imports (the same array while neither the file nor its imports' resolution changed). */
  private readonly plannedImports = new WeakMap<readonly ResolvedImport[], { importEdits: TextEdit[]; imports: string[] }>();

  constructor(
    private readonly projectDir: string,
    private readonly mainFile: string,
    private readonly session: ProgramSession,
  ) {
    this.outDir = path.join(buildDir(projectDir), "dev");
  }

  /** Emits what changed since the last call, runs the app's changed part, returns the manifest. */
  async load(): Promise<Manifest> {
    const sdkUrl = (this.sdkUrl ??= await this.bundleSdk());
    const files = this.session.appFiles();
    const byName = new Map(files.map((sourceFile) => [sourceFile.fileName, sourceFile]));
    const diagnostics: ExtractDiagnostic[] = [];
    const edits = new Map<string, { text: string; edits: TextEdit[] }>();
    const changed = new Set<string>();
    const next = new Map<string, ModuleState>();
    for (const sourceFile of files) {
      const { importEdits, imports } = this.importEdits(sourceFile, byName, sdkUrl);
      const withPlugins = this.session.transformWithPlugins(sourceFile.fileName);
      let source: string;
      if (withPlugins) {
        // tsconfig transformer plugins (typia) rewrote the file: its imports are found again in the printed text.
        diagnostics.push(...withPlugins.diagnostics);
        source = withPlugins.code;
        edits.set(sourceFile.fileName, { text: source, edits: reapplyImportEdits(sourceFile, importEdits, source) });
      } else {
        const transformed = this.session.transformFile(sourceFile.fileName);
        diagnostics.push(...transformed.diagnostics);
        edits.set(sourceFile.fileName, { text: sourceFile.text, edits: [...transformed.edits, ...importEdits] });
        source = transformed.code ?? sourceFile.text;
      }
      const previous = this.modules.get(sourceFile.fileName);
      if (!previous || previous.source !== source || previous.imports.join("\n") !== imports.join("\n")) changed.add(sourceFile.fileName);
      next.set(sourceFile.fileName, { source, imports, version: previous?.version ?? 0 });
    }
    // Nothing is recorded until the files are known to be fine: a fix must still count as a change.
    if (diagnostics.length > 0) throw diagnosticsError(diagnostics);
    const removed = [...this.modules.keys()].filter((fileName) => !byName.has(fileName));
    this.modules.clear();
    for (const [fileName, state] of next) this.modules.set(fileName, state);

    const affected = this.session.withImporters([...changed, ...[...this.failed].filter((fileName) => byName.has(fileName))]);
    const rerun = this.withoutIdleBarrels(affected, changed, byName);
    this.generation++;
    for (const fileName of rerun) (this.modules.get(fileName) as ModuleState).version = this.generation;
    await Promise.all(
      [...rerun].map((fileName) => {
        const sourceFile = byName.get(fileName) as ts.SourceFile;
        const planned = edits.get(fileName) ?? { text: sourceFile.text, edits: [] };
        return this.emit(sourceFile, planned.text, planned.edits);
      }),
    );

    // The first run starts from an empty registry; later runs keep what unchanged modules registered.
    if (this.generation === 1) getRegistry().clear();
    // A run that fails puts the registry back as the last good one left it: `moose dev` keeps serving
    // that build, and its handlers' getWebApps()/getTable() still see it.
    const lastGood = getRegistry().snapshot();
    getRegistry().forgetSources(new Set([...rerun, ...removed].map((fileName) => relativePath(this.projectDir, fileName))));
    // What runs again, from the files nothing else that runs again imports (app/index.ts at the first
    // run), and the ones an idle barrel passes on (a barrel's every import is a runtime re-export).
    const idleBarrels = [...affected].filter((fileName) => !rerun.has(fileName));
    const importedBy = (fileName: string, importers: Iterable<string>) => [...importers].some((importer) => this.modules.get(importer)?.imports.includes(fileName));
    const roots = [...rerun].filter((fileName) => !importedBy(fileName, rerun) || importedBy(fileName, idleBarrels));
    // Files that import each other (api.ts importing app/index.ts, which re-exports it) leave a cycle
    // no file outside imports: the main file, else one file of it, starts each such cycle.
    const reached = new Set<string>();
    const reach = (fileName: string): void => {
      if (reached.has(fileName) || !rerun.has(fileName)) return;
      reached.add(fileName);
      for (const imported of this.modules.get(fileName)?.imports ?? []) reach(imported);
    };
    roots.forEach(reach);
    for (const fileName of [...rerun].sort((a, b) => Number(b === this.mainFile) - Number(a === this.mainFile))) {
      if (reached.has(fileName)) continue;
      roots.push(fileName);
      reach(fileName);
    }
    try {
      const urls = roots.map((fileName) => `${pathToFileURL(this.outputFile(fileName)).href}?v=${this.run}.${this.modules.get(fileName)!.version}`);
      const manifest = await evaluateInProcess(this.projectDir, urls, registryToManifest);
      this.failed.clear();
      return manifest;
    } catch (error) {
      this.failed = new Set([...this.failed, ...rerun]);
      getRegistry().restore(lastGood);
      throw error;
    } finally {
      // What the app registers later (from a handler) belongs to no module's top level.
      delete (globalThis as { [EVALUATING_MODULE]?: string })[EVALUATING_MODULE];
    }
  }

  /**
   * `affected` without the unchanged files that only re-export other modules and that no other file
   * running again imports (they would only pass the same modules on, to no one who reads them).
   */
  private withoutIdleBarrels(affected: Set<string>, changed: Set<string>, byName: Map<string, ts.SourceFile>): Set<string> {
    const idle = new Set([...affected].filter((fileName) => !changed.has(fileName) && !this.failed.has(fileName) && onlyReExports(byName.get(fileName)!)));
    for (let dropped = true; dropped; ) {
      dropped = false;
      for (const barrel of idle) {
        if ([...affected].some((importer) => !idle.has(importer) && this.modules.get(importer)?.imports.includes(barrel))) {
          idle.delete(barrel);
          dropped = true;
        }
      }
    }
    return new Set([...affected].filter((fileName) => !idle.has(fileName)));
  }

  /** Import specifiers rewritten to the emitted modules (pinned later), the SDK, or absolute URLs. */
  private importEdits(sourceFile: ts.SourceFile, appFiles: Map<string, ts.SourceFile>, sdkUrl: string): { importEdits: TextEdit[]; imports: string[] } {
    const resolved = this.session.imports(sourceFile);
    const planned = this.plannedImports.get(resolved);
    if (planned) return planned;
    const importEdits: TextEdit[] = [];
    const imports: string[] = [];
    for (const { specifier: literal, target } of resolved) {
      const edit = (text: string) => importEdits.push({ start: literal.getStart(sourceFile) + 1, end: literal.getEnd() - 1, text });
      if (literal.text === SDK_PACKAGE || literal.text === `${SDK_PACKAGE}/browserCompatible`) {
        edit(sdkUrl);
        continue;
      }
      // App files, however imported: relative, extensionless, or through tsconfig `paths` (`@lib/models`).
      if (target && appFiles.has(target)) {
        imports.push(target);
        edit(`${pathToFileURL(this.outputFile(target)).href}?v={{${target}}}`);
        // A JSON file is emitted as a module: `with { type: "json" }` would make Node refuse it.
        const attributes = target.endsWith(".json") && (ts.isImportDeclaration(literal.parent) || ts.isExportDeclaration(literal.parent)) ? literal.parent.attributes : undefined;
        if (attributes) importEdits.push({ start: literal.getEnd(), end: attributes.getEnd(), text: "" });
        continue;
      }
      if (!literal.text.startsWith(".")) continue; // packages resolve from the project's node_modules
      {
        edit(pathToFileURL(path.resolve(path.dirname(sourceFile.fileName), literal.text)).href);
      }
    }
    this.plannedImports.set(resolved, { importEdits, imports });
    return { importEdits, imports };
  }

  private async emit(sourceFile: ts.SourceFile, text: string, edits: TextEdit[]): Promise<void> {
    // First in the module's body (its imports have run by then), on the first line so the source map's lines stay.
    const owner = sourceFile.fileName.endsWith(".json")
      ? ""
      : `globalThis[Symbol.for(${JSON.stringify(EVALUATING_MODULE.description)})] = ${JSON.stringify(relativePath(this.projectDir, sourceFile.fileName))};` +
        commonJsPreamble(sourceFile.fileName, commonJsGlobalsUsed(sourceFile));
    const pinned = owner + applyEdits(text, edits).replace(/\?v=\{\{([^}]+)\}\}/g, (_, target: string) => `?v=${this.run}.${this.modules.get(target)?.version ?? 0}`);
    const { code } = await esbuild.transform(pinned, {
      loader: sourceFile.fileName.endsWith(".json") ? "json" : sourceFile.fileName.endsWith("x") ? "tsx" : "ts",
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      sourcefile: sourceFile.fileName,
    });
    const out = this.outputFile(sourceFile.fileName);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, code);
  }

  private outputFile(fileName: string): string {
    return devModuleFile(this.projectDir, fileName);
  }

  /** Every file under .moose/build/dev: what the build cache checks before a warm start imports them. */
  outputs(): string[] {
    const files: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(file);
        else files.push(file);
      }
    };
    walk(this.outDir);
    return files;
  }

  /** The SDK, bundled once per loader: every reload shares it (and the process-wide registry). */
  private async bundleSdk(): Promise<string> {
    const outfile = path.join(this.outDir, "moose-sdk.mjs");
    await esbuild.build({
      entryPoints: [SDK_ENTRY],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "inline",
      logLevel: "silent",
      define: { __MOOSE_TS_RUNTIME__: JSON.stringify(pathToFileURL(path.join(PACKAGE_ROOT, "dist", "sdk", "runtime.js")).href) },
    });
    return pathToFileURL(outfile).href;
  }
}

/** A file whose only code passes other modules' values on (`export * from "./x.js"`, `export { a } from …`), besides types. */
function onlyReExports(sourceFile: ts.SourceFile): boolean {
  return sourceFile.statements.every(
    (statement) =>
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      (ts.isExportDeclaration(statement) &&
        statement.moduleSpecifier !== undefined &&
        !statement.isTypeOnly &&
        (!statement.exportClause || ts.isNamespaceExport(statement.exportClause) || statement.exportClause.elements.some((element) => !element.isTypeOnly))),
  );
}

/** The import edits planned on the original text, placed on the same specifiers in `printed` (a plugin's output). */
function reapplyImportEdits(original: ts.SourceFile, importEdits: readonly TextEdit[], printed: string): TextEdit[] {
  const bySpecifier = new Map(importEdits.map((edit) => [original.text.slice(edit.start, edit.end), edit.text]));
  const parsed = ts.createSourceFile(original.fileName, printed, ts.ScriptTarget.Latest, true);
  const edits: TextEdit[] = [];
  for (const literal of moduleSpecifiers(parsed)) {
    const text = bySpecifier.get(literal.text);
    if (text !== undefined) edits.push({ start: literal.getStart(parsed) + 1, end: literal.getEnd() - 1, text });
  }
  return edits;
}
