/**
 * An HTTP request's target as a URL. The origin form (`/path?query`, what clients send) is read as
 * a path: resolved against a base, `//x/admin` would make `x` a host and `/admin` the path, so a
 * proxy that guards by path prefix would pass what the server then routes to `/admin`. The absolute
 * form (`http://host/path`, which proxies may send) is read as it is. Throws when it is neither.
 */
export function requestTarget(target: string): URL {
  return new URL(target.startsWith("/") ? `http://localhost${target}` : target);
}
