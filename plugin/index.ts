/**
 * moose-ts esbuild plugin: for each `new OlapTable<T>(…)` (Stream, IngestPipeline, IngestApi, Api,
 * MaterializedView, Task, View, Workflow) it injects the columns / JSON Schemas of the type
 * arguments and the source location. One TypeScript program per build, shared by all files.
 *
 *   import { mooseEsbuildPlugin } from "moose-ts/plugin";
 *   await esbuild.build({ entryPoints: ["app/index.ts"], bundle: true, plugins: [mooseEsbuildPlugin()] });
 */
export { mooseEsbuildPlugin, type MoosePluginOptions } from "../src/extract/esbuild-plugin.js";
export { mooseEsbuildPlugin as default } from "../src/extract/esbuild-plugin.js";
