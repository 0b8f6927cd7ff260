/**
 * The app's WebApps (src/sdk/web-app.ts) as the server hands requests to them: the longest mount
 * path that is the request's path or a prefix of it at a `/` wins; the handler sees the path below
 * its mount (`/my-app/users?x=1` → `/users?x=1`, MooseStack's behaviour) and, unless the app opted
 * out with `injectMooseUtils: false`, `req.moose` set to `{ client, sql }` of this server.
 *
 * Mount paths never reach the server's own routes (the SDK refuses those), so the order of the
 * checks in ./http.ts does not decide who answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MooseUtils } from "../sdk/api.js";
import type { ExpressRequestWithMoose, WebApp } from "../sdk/web-app.js";

/** Hands the request to the WebApp mounted at its path; undefined when none is. */
export type WebAppRouter = (request: IncomingMessage, response: ServerResponse, url: URL) => ServedByWebApp | undefined;

export interface ServedByWebApp {
  webApp: string;
  /** Runs the handler; settles when it returns (an Express app may still be answering), rejects with what it threw. */
  serve(): Promise<void>;
}

export function webAppRouter(webApps: Iterable<WebApp>, utils: MooseUtils): WebAppRouter {
  const byLongestMount = [...webApps].sort((a, b) => b.config.mountPath.length - a.config.mountPath.length);
  return (request, response, url) => {
    const { pathname } = url;
    const webApp = byLongestMount.find(({ config: { mountPath } }) => pathname === mountPath || pathname.startsWith(`${mountPath}/`));
    if (!webApp) return undefined;
    request.url = (pathname.slice(webApp.config.mountPath.length) || "/") + url.search;
    if (webApp.config.injectMooseUtils !== false) (request as IncomingMessage & ExpressRequestWithMoose).moose = utils;
    return { webApp: webApp.name, serve: async () => webApp.handler(request, response) };
  };
}
