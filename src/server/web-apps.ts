/**
 * The app's WebApps (src/sdk/web-app.ts) as the server hands requests to them: the longest mount
 * path that is the request's path or a prefix of it at a `/` wins; the handler sees the path below
 * its mount (`/my-app/users?x=1` → `/users?x=1`, MooseStack's behaviour) and, unless the app opted
 * out with `injectMooseUtils: false`, `req.moose` set to `{ client, sql }` of this server, with `jwt`
 * when the request carried a valid JWT. As an Api handler, the handler runs in the request's scope:
 * `getMooseUtils()` in it returns the same utilities, and with row policies (./row-scope.ts) their
 * client reads only the rows the JWT's claims give (MooseStack's WebApps do the same). Who may call
 * a WebApp is decided before (./http.ts, ./api-auth.ts webAppAuth).
 *
 * Mount paths never reach the server's own routes (the SDK refuses those), so the order of the
 * checks in ./http.ts does not decide who answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MooseUtils } from "../sdk/api.js";
import type { ExpressRequestWithMoose, WebApp } from "../sdk/web-app.js";
import type { Caller } from "./api-auth.js";
import { inRequestScope, requestScope, type ScopedClients } from "./row-scope.js";

/** Hands the request to the WebApp mounted at its path; undefined when none is. */
export type WebAppRouter = (request: IncomingMessage, response: ServerResponse, url: URL) => ServedByWebApp | undefined;

export interface ServedByWebApp {
  webApp: string;
  /** Runs the handler for `caller`; settles when it returns (an Express app may still be answering), rejects with what it threw. */
  serve(caller: Caller): Promise<void>;
}

export function webAppRouter(webApps: Iterable<WebApp>, utils: MooseUtils, scoped?: ScopedClients): WebAppRouter {
  const byLongestMount = [...webApps].sort((a, b) => b.config.mountPath.length - a.config.mountPath.length);
  return (request, response, url) => {
    const { pathname } = url;
    const webApp = byLongestMount.find(({ config: { mountPath } }) => pathname === mountPath || pathname.startsWith(`${mountPath}/`));
    if (!webApp) return undefined;
    request.url = (pathname.slice(webApp.config.mountPath.length) || "/") + url.search;
    return {
      webApp: webApp.name,
      serve: async ({ jwt }) => {
        const scope = jwt ? requestScope(utils.client, jwt, scoped) : undefined;
        if (webApp.config.injectMooseUtils !== false) (request as IncomingMessage & ExpressRequestWithMoose).moose = scope ? { ...utils, ...scope } : utils;
        return scope ? inRequestScope(scope, () => webApp.handler(request, response)) : webApp.handler(request, response);
      },
    };
  };
}
