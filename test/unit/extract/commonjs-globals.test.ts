import { describe, expect, it } from "vitest";
import { commonJsGlobalsUsed, commonJsPreamble } from "../../../src/extract/transform/commonjs-globals.js";
import ts from "../../../src/extract/typescript.js";

const used = (text: string) => commonJsGlobalsUsed(ts.createSourceFile("/project/app/models/a.ts", text, ts.ScriptTarget.Latest));

describe("the CommonJS globals a file uses", () => {
  it("finds reads of require, __dirname and __filename, also through import = require()", () => {
    expect(used(`const os = require("os"); console.log(__dirname, { __filename });`)).toEqual(["require", "__dirname", "__filename"]);
    expect(used(`import path = require("path"); export const p = path.sep;`)).toEqual(["require"]);
  });

  it("ignores property names, comments, strings and type-only imports", () => {
    expect(used(`// __dirname\nconst text = "require __filename"; const o = { require: 1, __dirname: 2 }; o.__filename; const { require: r } = o;`)).toEqual([]);
    expect(used(`import type P = require("path"); let p: P.PlatformPath;`)).toEqual([]);
  });

  it("leaves a name the file declares at its top level (an ES module's own idiom), not one a nested scope shadows", () => {
    expect(used(`import { createRequire } from "node:module"; const require = createRequire(import.meta.url); require("os");`)).toEqual([]);
    expect(used(`import { dirname as __dirname } from "./paths.js"; console.log(__dirname);`)).toEqual([]);
    expect(used(`const [__filename] = ["x"]; function f(__dirname: string) { return __dirname; } console.log(__filename, f(__dirname));`)).toEqual(["__dirname"]);
  });

  it("declares them with the source file's values on one line", () => {
    const preamble = commonJsPreamble("/project/app/models/a.ts", ["require", "__dirname", "__filename"]);
    expect(preamble).not.toContain("\n");
    expect(preamble).toContain(`const __dirname = "/project/app/models";`);
    expect(preamble).toContain(`const __filename = "/project/app/models/a.ts";`);
    expect(preamble).toContain(`__mooseCreateRequire("file:///project/app/models/a.ts")`);
  });
});
