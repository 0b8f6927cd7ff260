/**
 * Which API a `/api/<path>` request names, as MooseStack's runner resolves it. An API answers at its
 * own path (`name`, `name/version`, or its `path` option), and also:
 * - a `path` option with a `version` it does not end in: at `path/version` too;
 * - `name/version` and `name?version=v`, whatever its path, when nothing answers at the path asked;
 * - a name with exactly one API, a versioned one, and nothing else at `name`: at `name` too.
 * Pure: the TypeScript and the Python servers both route with it.
 */

export interface ApiAddress {
  name: string;
  version?: string;
  /** Where the API answers (its manifest path): what the resolver returns. */
  path: string;
}

export type ApiResolver = (path: string, query: URLSearchParams) => string | undefined;

export function apiResolver(apis: readonly ApiAddress[]): ApiResolver {
  const own = new Set(apis.map((api) => api.path));
  const aliases = new Map<string, string>();
  const alias = (path: string, target: string) => {
    if (!own.has(path) && !aliases.has(path)) aliases.set(path, target);
  };
  const byVersion = new Map<string, string>();
  const namesake = new Map<string, number>();
  for (const api of apis) {
    namesake.set(api.name, (namesake.get(api.name) ?? 0) + 1);
    if (api.version === undefined) continue;
    byVersion.set(`${api.name}\0${api.version}`, api.path);
    const base = api.path.replace(/\/$/, "");
    if (base !== api.version && !base.endsWith(`/${api.version}`)) alias(`${base}/${api.version}`, api.path);
  }
  for (const api of apis) if (api.version !== undefined && namesake.get(api.name) === 1) alias(api.name, api.path);
  return (path, query) => {
    if (own.has(path)) return path;
    // A version asked for that the name does not have is no API (MooseStack serves the alias regardless).
    const asked = query.get("version");
    if (asked !== null) return byVersion.get(`${path}\0${asked}`);
    const aliased = aliases.get(path);
    if (aliased !== undefined) return aliased;
    const slash = path.indexOf("/");
    return slash > 0 ? byVersion.get(`${path.slice(0, slash)}\0${path.slice(slash + 1)}`) : undefined;
  };
}
