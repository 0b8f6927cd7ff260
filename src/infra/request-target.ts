/**
 * An HTTP request's target as a URL. The origin form (`/path?query`, what clients send) is read as
 * a path: resolved against a base, `//x/admin` would make `x` a host and `/admin` the path, so a
 * proxy that guards by path prefix would pass what the server then routes to `/admin`. The absolute
 * form (`http://host/path`, which proxies may send) is read as it is. Throws when it is neither, or
 * when its path has a backslash or a `.`/`..` segment (see below).
 */
export function requestTarget(target: string): URL {
  const url = new URL(target.startsWith("/") ? `http://localhost${target}` : target);
  // The URL parser reads `\` as `/` and resolves `..` (also `%2e%2e`); a proxy guarding by path prefix
  // may do neither, and pass `/api/x\..\..\admin` on to what this server would route to /admin.
  const rawPath = (target.startsWith("/") ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "")).split(/[?#]/, 1)[0]!;
  if (rawPath.includes("\\") || rawPath.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new TypeError(`the request target's path has a backslash or a dot segment: ${JSON.stringify(target.slice(0, 200))}`);
  }
  return url;
}
