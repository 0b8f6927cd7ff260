/**
 * The TypeScript compiler API, loaded as CommonJS rather than with `import`: Node's ESM `import` of
 * typescript.js first scans its 9 MB for named exports, which costs more than loading it
 * (≈ 0.6 s against ≈ 0.2 s on the shared dev machine) and every `moose build` would pay it.
 *
 * Compiling typescript.js is then most of what is left (≈ 0.17 s on every `moose build` and
 * `moose dev`), so it is compiled with a V8 code cache kept in `node_modules/.cache/moose-ts/`
 * (Node 20 has no `module.enableCompileCache`): ≈ 0.07 s once the cache exists. The cache is
 * written when a process that had none exits, so it also holds the functions that process ran.
 * Any problem with it (unwritable directory, a cache V8 rejects) falls back to a plain `require`.
 * The namespace below re-exports the types this code uses, so `ts.Type` keeps working.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import path from "node:path";
import vm from "node:vm";
import type * as TypeScript from "typescript";
import { projectTypeScript } from "./typescript-project.js";

const require = createRequire(import.meta.url);

function loadTypeScript(): typeof TypeScript {
  const { file } = projectTypeScript();
  const loaded = require.cache[file];
  if (loaded) return loaded.exports as typeof TypeScript;
  try {
    return loadWithCodeCache(file);
  } catch {
    delete require.cache[file];
    return require(file) as typeof TypeScript;
  }
}

/** Runs typescript.js as `require` would, but compiled with (and producing) a V8 code cache. */
function loadWithCodeCache(file: string): typeof TypeScript {
  const nodeModules = path.resolve(file, "../../..");
  if (path.basename(nodeModules) !== "node_modules") throw new Error("typescript is not installed under node_modules");
  // V8 rejects a cache made by another version or with other flags, and checks the source only by
  // length: the name carries all of them, so processes started differently do not overwrite each other's.
  const { size, mtimeMs } = statSync(file);
  const flags = createHash("sha256").update(`${process.execArgv.join(" ")}\0${process.env.NODE_OPTIONS ?? ""}`).digest("hex").slice(0, 8);
  const key = `${size}-${Math.round(mtimeMs)}-${process.version}-${process.arch}-${flags}`;
  const cacheFile = path.join(nodeModules, ".cache", "moose-ts", `typescript-${key}.v8cache`);
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  require.cache[file] = module;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  if (!cachedData || script.cachedDataRejected) process.once("exit", () => writeCodeCache(cacheFile, script));
  return module.exports as typeof TypeScript;
}

function writeCodeCache(cacheFile: string, script: vm.Script): void {
  // Written aside, then renamed: another moose process may be reading or writing the same cache.
  const partial = `${cacheFile}.${process.pid}`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    removeAbandonedCaches(path.dirname(cacheFile));
    // Opened before the cache is made, so an unwritable directory costs nothing.
    const fd = openSync(partial, "w");
    try {
      writeFileSync(fd, script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(partial, cacheFile);
  } catch {
    // Only a speed-up: without the cache the next start compiles typescript.js again.
    rmSync(partial, { force: true });
  }
}

/** Caches a process was killed while writing (`<cache>.<pid>` whose process is gone): nothing else removes them. */
export function removeAbandonedCaches(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = /^typescript-.*\.v8cache\.(\d+)$/.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) rmSync(path.join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const ts: typeof TypeScript = loadTypeScript();

declare namespace ts {
  export type BindingName = TypeScript.BindingName;
  export type CompilerHost = TypeScript.CompilerHost;
  export type CompilerOptions = TypeScript.CompilerOptions;
  export type Diagnostic = TypeScript.Diagnostic;
  export type DiagnosticCategory = TypeScript.DiagnosticCategory;
  export type EnumDeclaration = TypeScript.EnumDeclaration;
  export type EnumMember = TypeScript.EnumMember;
  export type Expression = TypeScript.Expression;
  export type Extension = TypeScript.Extension;
  export type FormatDiagnosticsHost = TypeScript.FormatDiagnosticsHost;
  export type Identifier = TypeScript.Identifier;
  export type LiteralType = TypeScript.LiteralType;
  export type ModuleKind = TypeScript.ModuleKind;
  export type ModuleResolutionCache = TypeScript.ModuleResolutionCache;
  export type ModuleResolutionKind = TypeScript.ModuleResolutionKind;
  export type NewExpression = TypeScript.NewExpression;
  export type Node = TypeScript.Node;
  export type NodeArray<T extends TypeScript.Node> = TypeScript.NodeArray<T>;
  export type Program = TypeScript.Program;
  export type ScriptTarget = TypeScript.ScriptTarget;
  export type SemanticDiagnosticsBuilderProgram = TypeScript.SemanticDiagnosticsBuilderProgram;
  export type SignatureKind = TypeScript.SignatureKind;
  export type SourceFile = TypeScript.SourceFile;
  export type StringLiteralLike = TypeScript.StringLiteralLike;
  export type Symbol = TypeScript.Symbol;
  export type SymbolFlags = TypeScript.SymbolFlags;
  export type SyntaxKind = TypeScript.SyntaxKind;
  export type TransformerFactory<T extends TypeScript.Node> = TypeScript.TransformerFactory<T>;
  export type Type = TypeScript.Type;
  export type TypeChecker = TypeScript.TypeChecker;
  export type TypeFlags = TypeScript.TypeFlags;
  export type TypeNode = TypeScript.TypeNode;
  export type TypeReference = TypeScript.TypeReference;
}

export default ts;
