/**
 * WebApp (MooseStack's): an HTTP handler or framework app (Express, Koa, Fastify, …) mounted at a
 * path, which `moose dev` and `moose prod` serve beside /api (src/server/web-apps.ts). The mount
 * path is checked here, where the app is written, so a bad one is a build error at its line.
 */
import { STATUS_CODES } from "node:http";
import type http from "node:http";
import { MooseError, type SourceLocation } from "../errors.js";
import type { MooseUtils } from "./api.js";
import { sourceOf } from "./component.js";
import { findMetadata } from "./metadata.js";
import { getRegistry } from "./registry.js";

/** The server's own routes (and MooseStack's, some kept for later): no WebApp may be mounted on or under them. */
export const RESERVED_MOUNT_PATHS = ["/admin", "/api", "/consumption", "/health", "/ingest", "/liveness", "/moose", "/ready", "/workflows"] as const;

export type WebAppHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface FrameworkApp {
  handle?: (req: http.IncomingMessage, res: http.ServerResponse, next?: (err?: any) => void) => void;
  callback?: () => WebAppHandler;
  routing?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  ready?: () => PromiseLike<unknown>;
}

export interface WebAppConfig {
  mountPath: string;
  metadata?: { description?: string };
  /** Sets `req.moose` (MooseStack's MooseUtils: `{ client, sql }`) before each request; default true. */
  injectMooseUtils?: boolean;
}

/** A request as a WebApp handler receives it, with the utilities the server injected. */
export interface ExpressRequestWithMoose {
  moose?: MooseUtils;
}

export class WebApp {
  readonly kind = "WebApp" as const;
  name: string;
  handler: WebAppHandler;
  config: WebAppConfig;
  readonly source: SourceLocation;
  private readonly rawApp?: FrameworkApp;

  constructor(name: string, appOrHandler: FrameworkApp | WebAppHandler, config: WebAppConfig, ...injected: unknown[]) {
    this.source = sourceOf(findMetadata(injected));
    this.name = name;
    this.config = config;
    checkMountPath(name, config?.mountPath, this.source);
    for (const [otherName, other] of getRegistry().listOther<WebApp>("WebApp")) {
      if (other.config.mountPath === config.mountPath) {
        throw new MooseError("INVALID_WEB_APP", `WebApp "${name}" and WebApp "${otherName}" are both mounted at ${config.mountPath}`, {
          location: this.source,
          hint: "give each WebApp its own mountPath",
        });
      }
    }
    if (typeof appOrHandler === "function" && !isFrameworkApp(appOrHandler)) this.handler = appOrHandler as WebAppHandler;
    else {
      this.rawApp = appOrHandler as FrameworkApp;
      this.handler = toHandler(this.rawApp, name, this.source);
    }
    getRegistry().registerOther("WebApp", name, this, this.source);
  }

  getRawApp(): FrameworkApp | undefined {
    return this.rawApp;
  }
}

function checkMountPath(name: string, mountPath: unknown, location: SourceLocation): asserts mountPath is string {
  const refuse = (problem: string, hint: string): never => {
    throw new MooseError("INVALID_WEB_APP", `WebApp "${name}": ${problem}`, { location, hint });
  };
  if (typeof mountPath !== "string" || mountPath === "") refuse("config.mountPath is required", 'mount it at a path of its own, e.g. { mountPath: "/my-app" }');
  const path = mountPath as string;
  if (!path.startsWith("/")) refuse(`mountPath "${path}" does not start with "/"`, `write "/${path}"`);
  if (path === "/") refuse('mountPath cannot be "/": the app would take the paths of /api, /ingest, /admin and /health', 'mount it under a path of its own, e.g. "/my-app"');
  if (path.endsWith("/")) refuse(`mountPath "${path}" ends with "/"`, `write "${path.replace(/\/+$/, "")}"`);
  if (/[?#\s]/.test(path)) refuse(`mountPath "${path}" holds a "?", "#" or white space`, "a mount path is the path part of a URL only");
  const reserved = RESERVED_MOUNT_PATHS.find((route) => path === route || path.startsWith(`${route}/`));
  if (reserved) refuse(`mountPath "${path}" is on the server's own route ${reserved}`, `these are reserved: ${RESERVED_MOUNT_PATHS.join(", ")}`);
}

/**
 * MooseStack's deprecated middleware for Express WebApps: the server already sets `req.moose`, so
 * this only carries it over from the raw request when a framework wraps it as `req.raw`.
 */
export function expressMiddleware(): (req: any, res: any, next: (error?: unknown) => void) => void {
  return (req, _res, next) => {
    if (!req.moose && req.raw?.moose) req.moose = req.raw.moose;
    next();
  };
}

/** MooseStack's deprecated synchronous accessor: the utilities the server put on the request, if any. */
export function getMooseUtilsFromRequest(req: http.IncomingMessage | ExpressRequestWithMoose): MooseUtils | undefined {
  return (req as ExpressRequestWithMoose).moose;
}

/** @deprecated MooseStack's older name of getMooseUtilsFromRequest. */
export const getLegacyMooseUtils = getMooseUtilsFromRequest;

/** The 4xx status an error carries (http-errors' `status`/`statusCode`), if it is a client error. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

/** Express apps are functions that also have `handle`; Koa has `callback`, Fastify `routing`. */
function isFrameworkApp(value: unknown): boolean {
  const app = value as FrameworkApp;
  return typeof app.handle === "function" || typeof app.callback === "function" || typeof app.routing === "function";
}

function toHandler(app: FrameworkApp, name: string, source: SourceLocation): WebAppHandler {
  if (typeof app.callback === "function") return app.callback();
  if (typeof app.handle === "function") {
    // With a final callback of ours, an error the app does not answer itself comes back to the server
    // (a generic 500 with a request id, the error in the log) instead of Express's default page,
    // which shows the stack to the client. A client error (a 4xx `status`, such as express.json()'s
    // 400 for a malformed body) keeps its status; a path the app has no route for is a 404.
    const handle = app.handle.bind(app);
    return (req, res) =>
      new Promise<void>((resolve, reject) => {
        res.once("close", () => resolve());
        handle(req, res, (error?: unknown) => {
          const status = clientErrorStatus(error);
          if (error && status === undefined) return reject(error);
          if (!res.headersSent) {
            const message = error ? ((error as { expose?: boolean }).expose === false ? STATUS_CODES[status!] : (error as Error).message) : `WebApp "${name}" has no route for ${req.method} ${req.url?.slice(0, 200)}`;
            res.writeHead(status ?? 404, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: message }));
          }
          resolve();
        });
      });
  }
  if (typeof app.routing === "function") {
    const routing = app.routing.bind(app);
    return async (req, res) => {
      await app.ready?.();
      routing(req, res);
    };
  }
  throw new MooseError("INVALID_WEB_APP", `WebApp "${name}" was given neither a handler function nor an Express, Koa or Fastify app`, {
    location: source,
    hint: "pass (req, res) => { … } or a framework app",
  });
}
