/**
 * WebApp (MooseStack's): an HTTP handler or framework app (Express, Koa, Fastify, …) mounted at a
 * path. moose-ts registers it (getWebApp/getWebApps find it, and its handler is callable) but
 * `moose dev` / `moose prod` do not serve it yet: a build warning says so.
 */
import type http from "node:http";
import { MooseError, type SourceLocation } from "../errors.js";
import { sourceOf } from "./component.js";
import { findMetadata } from "./metadata.js";
import { getRegistry } from "./registry.js";

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
  injectMooseUtils?: boolean;
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
    if (!config || typeof config.mountPath !== "string" || !config.mountPath.startsWith("/")) {
      throw new MooseError("INVALID_WEB_APP", `WebApp "${name}" needs config.mountPath, a path starting with "/"`, { location: this.source, hint: 'e.g. { mountPath: "/my-app" }' });
    }
    if (typeof appOrHandler === "function" && !isFrameworkApp(appOrHandler)) this.handler = appOrHandler as WebAppHandler;
    else {
      this.rawApp = appOrHandler as FrameworkApp;
      this.handler = toHandler(this.rawApp, name, this.source);
    }
    getRegistry().registerOther("WebApp", name, this, this.source);
    getRegistry().notice(`WebApp "${name}" (${config.mountPath}) is registered but not served by moose-ts yet`, this.source);
  }

  getRawApp(): FrameworkApp | undefined {
    return this.rawApp;
  }
}

/** Express apps are functions that also have `handle`; Koa has `callback`, Fastify `routing`. */
function isFrameworkApp(value: unknown): boolean {
  const app = value as FrameworkApp;
  return typeof app.handle === "function" || typeof app.callback === "function" || typeof app.routing === "function";
}

function toHandler(app: FrameworkApp, name: string, source: SourceLocation): WebAppHandler {
  if (typeof app.callback === "function") return app.callback();
  if (typeof app.handle === "function") {
    const handle = app.handle.bind(app);
    return (req, res) => handle(req, res);
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
