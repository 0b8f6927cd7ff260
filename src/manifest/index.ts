export * from "./types.js";
export {
  canonicalJson,
  canonicalManifestJson,
  EMPTY_MANIFEST_HASH,
  hashManifest,
  readManifest,
  SUPPORTED_MANIFEST_VERSIONS,
  withoutSources,
  writeManifest,
} from "./canonical.js";
export { checkManifest, displayPath, type ReadManifestOptions } from "./read.js";
export { MANIFEST_SCHEMA } from "./schema.js";
export { formatProblems, manifestProblems, type ManifestProblem } from "./validate.js";
