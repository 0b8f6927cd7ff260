export * from "./types.js";
export {
  canonicalJson,
  EMPTY_MANIFEST_HASH,
  hashManifest,
  readManifest,
  SUPPORTED_MANIFEST_VERSIONS,
  withoutSources,
  writeManifest,
} from "./canonical.js";
