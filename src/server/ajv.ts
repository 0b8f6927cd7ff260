/**
 * ajv for the servers' checks, loaded when the first schema is compiled. The modules that compile
 * (./ingest.ts, ./params.ts) are imported by every `moose dev` and `moose prod` start, by syncs
 * and by the SDK's runtime; an app without ingest or consumption APIs never compiles a schema, and
 * loading ajv with ajv-formats was ≈ 60–90 ms of each of those starts on the shared machine.
 */
import { createRequire } from "node:module";
import type AjvModule from "ajv";
import type { Options } from "ajv";
import type addFormatsModule from "ajv-formats";
import { AJV_FORMATS } from "../manifest/schema-formats.js";

const require = createRequire(import.meta.url);

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
type AjvClass = typeof AjvModule.default;
export type Ajv = InstanceType<AjvClass>;

/** An ajv made with `options`, the schema formats and what `configure` adds, on the first call; the same one after. */
export function lazyAjv(options: Options, configure: (ajv: Ajv) => void): () => Ajv {
  let instance: Ajv | undefined;
  return () => {
    if (!instance) {
      const Ajv = (require("ajv") as typeof AjvModule).default;
      // Own properties only: an optional field named like an Object.prototype member (`toString?`, `constructor?`) is absent when the record leaves it out.
      const made = addSchemaFormats(new Ajv({ ...options, ownProperties: true }));
      configure(made);
      instance = made;
    }
    return instance;
  };
}

/**
 * The formats a manifest may carry (src/manifest/schema-formats.ts): ajv-formats' for typia's
 * `tags.Format<"email">` and the like; date-times, dates and UUIDs by parsing, as the columns are
 * checked, rather than a full RFC 3339 grammar.
 */
function addSchemaFormats(instance: Ajv): Ajv {
  const addFormats = (require("ajv-formats") as typeof addFormatsModule).default;
  addFormats(instance, [...AJV_FORMATS]);
  instance.addFormat("date-time", (text: string) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !Number.isNaN(Date.parse(text)));
  instance.addFormat("date", (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text)));
  instance.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return instance;
}
