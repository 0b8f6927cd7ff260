/**
 * The two ways to run the transformer give the same manifest, and extraction is deterministic:
 * two builds of the same code are byte-identical.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { MANIFEST_EXPORT } from "../../../src/extract/bundle.js";
import { extractManifest } from "../../../src/extract/index.js";
import { SDK_ENTRY, SDK_PACKAGE } from "../../../src/extract/paths.js";
import { readCompilerOptions } from "../../../src/extract/program.js";
import { runInChildProcess } from "../../../src/extract/run.js";
import type { Manifest } from "../../../src/manifest/types.js";
import { canonicalJson } from "../../../src/manifest/canonical.js";
import { mooseEsbuildPlugin } from "../../../plugin/index.js";
import mooseTscTransformer from "../../../plugin/tsc.js";

const VALID = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden", "valid");
const scratch = mkdtempSync(path.join(tmpdir(), "moose-extract-parity-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function copyCase(name: string, suffix: string): string {
  const projectDir = path.join(scratch, `${name}-${suffix}`);
  cpSync(path.join(VALID, name, "app"), path.join(projectDir, "app"), { recursive: true });
  return projectDir;
}

/** tsc path: emit JavaScript with the tsc transformer, bundle it WITHOUT the esbuild plugin, run it. */
async function extractWithTsc(projectDir: string): Promise<Manifest> {
  const outDir = path.join(projectDir, ".tsc-out");
  const options: ts.CompilerOptions = {
    ...readCompilerOptions(projectDir).options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: false,
  };
  const host = ts.createCompilerHost(options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions) =>
    literals.map((literal) =>
      literal.text === SDK_PACKAGE
        ? { resolvedModule: { resolvedFileName: SDK_ENTRY, extension: ts.Extension.Ts, isExternalLibraryImport: false } }
        : ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, undefined, redirected),
    );
  const program = ts.createProgram([path.join(projectDir, "app", "index.ts")], options, host);
  const emitted = program.emit(
    undefined,
    (fileName, text) => {
      // Only the app's own files: the SDK is bundled from source below.
      const source = fileName.replace(/\.js$/, ".ts");
      if (!source.startsWith(projectDir + path.sep)) return;
      const target = path.join(outDir, path.relative(projectDir, fileName));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
    },
    undefined,
    false,
    { before: [mooseTscTransformer(program, { projectDir })] },
  );
  expect(emitted.emitSkipped).toBe(false);
  const bundleFile = path.join(projectDir, ".moose", "build", "tsc-app.mjs");
  await esbuild.build({
    stdin: {
      contents: `export * from "./app/index.js";\nexport { registryToManifest as ${MANIFEST_EXPORT} } from "${SDK_PACKAGE}";\n`,
      resolveDir: outDir,
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    packages: "external",
    outfile: bundleFile,
    logLevel: "silent",
    plugins: [{ name: "sdk", setup: (build) => build.onResolve({ filter: /^moose-ts$/ }, () => ({ path: SDK_ENTRY })) }],
  });
  return runInChildProcess(projectDir, bundleFile);
}

/** The public esbuild plugin on its own (it creates and updates its own program), as docs/build-plugins.md shows. */
async function extractWithPublicPlugin(projectDir: string): Promise<Manifest> {
  const bundleFile = path.join(projectDir, ".moose", "build", "plugin-app.mjs");
  await esbuild.build({
    stdin: {
      contents: `export * from "./app/index.ts";\nexport { registryToManifest as ${MANIFEST_EXPORT} } from "${SDK_PACKAGE}";\n`,
      resolveDir: projectDir,
      loader: "ts",
    },
    absWorkingDir: projectDir,
    bundle: true,
    format: "esm",
    platform: "node",
    packages: "external",
    outfile: bundleFile,
    logLevel: "silent",
    plugins: [mooseEsbuildPlugin({ projectDir, bundleSdk: true })],
  });
  return runInChildProcess(projectDir, bundleFile);
}

describe("esbuild plugin and tsc transformer", () => {
  it("the public esbuild plugin gives the same manifest as moose build", async () => {
    const viaBuild = canonicalJson(await extractManifest({ projectDir: copyCase("components", "build") }));
    const viaPlugin = canonicalJson(await extractWithPublicPlugin(copyCase("components", "plugin")));
    expect(viaPlugin).toBe(viaBuild);
  });

  for (const name of ["components", "composition", "annotations"]) {
    it(`give the same manifest (${name})`, async () => {
      const viaEsbuild = canonicalJson(await extractManifest({ projectDir: copyCase(name, "esbuild") }));
      const viaTsc = canonicalJson(await extractWithTsc(copyCase(name, "tsc")));
      expect(viaTsc).toBe(viaEsbuild);
    });
  }
});

describe("determinism", () => {
  it("two builds of the same code are byte-identical", async () => {
    const projectDir = copyCase("components", "twice");
    const first = canonicalJson(await extractManifest({ projectDir }));
    const second = canonicalJson(await extractManifest({ projectDir }));
    expect(second).toBe(first);
  });
});
