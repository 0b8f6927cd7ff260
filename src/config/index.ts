export { DEFAULT_CONFIG, type Config } from "./types.js";
export { CONFIG_FILE_NAME, loadConfig } from "./load.js";
export { CONFIG_SCHEMA, type FieldKind } from "./schema.js";
