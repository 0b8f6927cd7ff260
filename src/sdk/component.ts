/** Helpers shared by the SDK constructors. */
import { MooseError, type SourceLocation } from "../errors.js";
import type { ColumnSpec } from "../manifest/types.js";
import type { InjectedMetadata } from "./metadata.js";
import { callerLocation, formatSource } from "./source.js";

/** MooseStack's infrastructure name for a versioned object: `Users` + `1.0` → `Users_1_0`. */
export function versionedId(name: string, version?: string): string {
  return version ? `${name}_${version.replace(/\./g, "_")}` : name;
}

export function sourceOf(metadata: InjectedMetadata | undefined): SourceLocation {
  return metadata?.source ?? callerLocation();
}

/** The columns the plugin injected; a clear error when the app was not built with the plugin. */
export function requireColumns(
  metadata: InjectedMetadata | undefined,
  what: string,
  source: SourceLocation,
): ColumnSpec[] {
  if (!metadata?.columns) {
    throw new MooseError("MISSING_TYPE_METADATA", `${what} has no column information (created at ${formatSource(source)})`, {
      location: source,
      hint: "give it a type argument (new OlapTable<MyRow>(...)) and build with `moose build` or the moose-ts build plugin",
    });
  }
  return metadata.columns;
}
