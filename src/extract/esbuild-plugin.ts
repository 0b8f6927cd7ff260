/**
 * The esbuild side of the transformer: one ProgramSession (one ts.Program) per build, shared by
 * every file esbuild loads; files that construct SDK objects get the metadata arguments spliced in.
 */
import path from "node:path";
import type { OnLoadResult, PartialMessage, Plugin, PluginBuild } from "esbuild";
import type { ExtractDiagnostic } from "./diagnostic.js";
import { SDK_ENTRY, SDK_PACKAGE } from "./paths.js";
import { ProgramSession } from "./program.js";
import { commonJsGlobalsUsed, commonJsPreamble } from "./transform/commonjs-globals.js";

export interface MoosePluginOptions {
  /** Project root: source locations are relative to it. Default: esbuild's absWorkingDir or cwd. */
  projectDir?: string;
  /**
   * A session managed by the caller (moose-ts's own build: it checks types first and updates the
   * program itself). Without one, the plugin creates a session and updates it at every (re)build.
   */
  session?: ProgramSession;
  /** Bundle this copy of the SDK for `import … from "moose-ts"` (what `moose build` does). */
  bundleSdk?: boolean;
  /**
   * Give each app file the `__dirname` and `__filename` of its source, as CommonJS would (what
   * `moose build` does: its ES-module bundle runs on this machine, from the project's folder).
   */
  commonJsPaths?: boolean;
}

export function mooseEsbuildPlugin(options: MoosePluginOptions = {}): Plugin {
  return {
    name: "moose-ts",
    setup(build) {
      const projectDir = path.resolve(options.projectDir ?? build.initialOptions.absWorkingDir ?? process.cwd());
      let session = options.session;
      if (!options.session) {
        build.onStart(() => {
          session ??= new ProgramSession(projectDir, entryFiles(build, projectDir));
          session.update();
        });
      }
      if (options.bundleSdk) build.onResolve({ filter: new RegExp(`^${SDK_PACKAGE}(/browserCompatible)?$`) }, () => ({ path: SDK_ENTRY }));
      build.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
        if (!session || args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        if (!options.session) session.addRoot(args.path);
        const sourceFile = session.sourceFile(args.path);
        // `require` is not among them: bundle.ts's banner gives the bundle one, so esbuild still bundles an app file's `require("./x")`.
        const pathGlobals = options.commonJsPaths && sourceFile ? commonJsGlobalsUsed(sourceFile).filter((name) => name !== "require") : [];
        const preamble = pathGlobals.length > 0 ? commonJsPreamble(args.path, pathGlobals) : "";
        const loaded = (code: string): OnLoadResult => ({ contents: preamble + code, loader: args.path.endsWith("x") ? "tsx" : "ts", resolveDir: path.dirname(args.path) });
        // tsconfig transformer plugins (typia) first: their output already carries moose's injection.
        const withPlugins = session.transformWithPlugins(args.path);
        if (withPlugins) {
          if (withPlugins.diagnostics.length > 0) return { errors: withPlugins.diagnostics.map(toMessage) };
          return loaded(withPlugins.code);
        }
        const result = session.transformFile(args.path);
        if (result.diagnostics.length > 0) return { errors: result.diagnostics.map(toMessage) };
        if (result.code !== undefined) return loaded(result.code);
        return preamble && sourceFile ? loaded(sourceFile.text) : undefined;
      });
    },
  };
}

function entryFiles(build: PluginBuild, projectDir: string): string[] {
  const entries = build.initialOptions.entryPoints;
  const list = Array.isArray(entries)
    ? entries.map((entry) => (typeof entry === "string" ? entry : entry.in))
    : entries
      ? Object.values(entries)
      : [];
  return list.map((entry) => path.resolve(projectDir, entry));
}

/** esbuild message carrying the diagnostic in `detail`, so moose-ts can turn it back into a MooseError. */
function toMessage(diagnostic: ExtractDiagnostic): PartialMessage {
  return {
    text: `${diagnostic.code}: ${diagnostic.message}${diagnostic.hint ? ` (${diagnostic.hint})` : ""}`,
    location: { file: diagnostic.location.file, line: diagnostic.location.line, column: (diagnostic.location.col ?? 1) - 1 },
    detail: diagnostic,
  };
}
