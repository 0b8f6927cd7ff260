/**
 * The JSON Schema `format`s a manifest may carry: what the extractors write (typia's
 * `tags.Format<…>`, UUID and date-time columns) and the server's validators check
 * (src/server/ajv.ts addSchemaFormats). A format outside this list is left out of the schema
 * rather than written unchecked.
 */
/** Checked by moose-ts's own parsers. */
const OWN_FORMATS = ["date-time", "date", "uuid"] as const;
/** Checked by ajv-formats. */
export const AJV_FORMATS = ["time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uri-template", "url", "byte", "regex", "json-pointer", "relative-json-pointer"] as const;
export const SCHEMA_FORMATS: ReadonlySet<string> = new Set([...OWN_FORMATS, ...AJV_FORMATS]);
