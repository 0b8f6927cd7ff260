/** Helpers shared by the SDK constructors. */
import { isClusterName } from "../config/clusters.js";
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

/**
 * A component's `cluster` option: the name of a `[[clickhouse_config.clusters]]` entry, written bare
 * after ON CLUSTER, so it must be a plain name (whether the config lists it is checked with the config).
 */
export function clusterOption(cluster: unknown, what: string, source: SourceLocation): { cluster?: string } {
  if (cluster === undefined) return {};
  if (!isClusterName(cluster)) {
    throw new MooseError("INVALID_CLUSTER", `${what} has cluster ${JSON.stringify(cluster)}, which is not a cluster name`, {
      location: source,
      hint: "cluster names are letters, digits and underscores, as in the server's remote_servers and [[clickhouse_config.clusters]] name",
    });
  }
  return { cluster };
}
