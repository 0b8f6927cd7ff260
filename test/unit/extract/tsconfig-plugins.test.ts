/**
 * The tsconfig's transformer plugins (what typia's `{ "transform": "typia/lib/transform" }` is) run
 * when moose-ts compiles the app, with moose-ts's own injection, in `moose build` (the bundle) and in
 * `moose dev` (the incremental loader). A stand-in plugin rewrites a string literal; the real typia
 * runs in test/e2e/moosestack-projects.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MooseError } from "../../../src/errors.js";
import { createIncrementalExtractor, extractManifest } from "../../../src/extract/index.js";

const root = mkdtempSync(path.join(tmpdir(), "moose-tsconfig-plugins-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** ts-patch "program" transformer (ts from its extras): every "hello" string literal becomes "HELLO" + config.suffix. */
const SHOUT_TRANSFORM = `module.exports = (program, config, { ts }) => (context) => (sourceFile) => {
  const visit = (node) => ts.isStringLiteral(node) && node.text === "hello"
    ? context.factory.createStringLiteral("HELLO" + config.suffix)
    : ts.visitEachChild(node, visit, context);
  return ts.visitNode(sourceFile, visit);
};
`;

function project(name: string, plugins: unknown[]): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, "app"), { recursive: true });
  writeFileSync(path.join(dir, "shout-transform.cjs"), SHOUT_TRANSFORM);
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "preserve", moduleResolution: "bundler", target: "ES2022", skipLibCheck: true, plugins }, include: ["app"] }),
  );
  writeFileSync(path.join(dir, "app", "models.ts"), `export interface Row {\n  id: string;\n  n: number;\n}\n`);
  writeFileSync(path.join(dir, "app", "index.ts"), `import { OlapTable } from "moose-ts";\nimport type { Row } from "./models";\n\nexport const table = new OlapTable<Row>("hello");\n`);
  return dir;
}

const PLUGINS = [{ transform: "./node_modules/moose-ts/dist/plugin/tsc.js" }, { transform: "./shout-transform.cjs", suffix: "!" }];

describe("tsconfig transformer plugins", () => {
  it("run in moose build with moose-ts's injection (moose's own plugin entry is skipped)", async () => {
    const manifest = await extractManifest({ projectDir: project("build", PLUGINS) });
    expect(Object.keys(manifest.tables)).toEqual(["HELLO!"]);
    expect(manifest.tables["HELLO!"]!.columns.map((column) => `${column.name} ${column.type}`)).toEqual(["id String", "n Float64"]);
  });

  it("run in moose dev's incremental loader too", async () => {
    const extractor = createIncrementalExtractor(project("dev", PLUGINS));
    try {
      const manifest = await extractor.extract();
      expect(Object.keys(manifest.tables)).toEqual(["HELLO!"]);
      expect(manifest.tables["HELLO!"]!.source?.file).toBe("app/index.ts");
    } finally {
      extractor.close();
    }
  });

  it("a plugin that cannot be loaded is an error at tsconfig.json saying what to do", async () => {
    const error = await extractManifest({ projectDir: project("missing", [{ transform: "not-installed-transformer/lib/transform" }]) }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(MooseError);
    expect((error as MooseError).code).toBe("TSCONFIG_PLUGIN_FAILED");
    expect((error as MooseError).location?.file).toBe("tsconfig.json");
    expect((error as MooseError).hint).toContain("npm install");
  });
});
