import { afterEach, describe, expect, it } from "vitest";
import { getRegistry } from "../../../src/sdk/registry.js";
import { expressMiddleware, getMooseUtilsFromRequest, RESERVED_MOUNT_PATHS, WebApp, type WebAppHandler } from "../../../src/sdk/web-app.js";

const handler: WebAppHandler = (_req, res) => {
  res.end("ok");
};

afterEach(() => getRegistry().clear());

describe("WebApp mount paths", () => {
  it.each([
    [undefined, /config\.mountPath is required/],
    ["", /config\.mountPath is required/],
    ["app", /does not start with "\/"/],
    ["/", /cannot be "\/"/],
    ["/app/", /ends with "\/"/],
    ["/app?x=1", /holds a "\?"/],
    ["/my app", /white space/],
  ])("refuses %j", (mountPath, message) => {
    expect(() => new WebApp("bad", handler, { mountPath } as never)).toThrow(message);
    expect(getRegistry().listOther("WebApp").size).toBe(0);
  });

  it.each(RESERVED_MOUNT_PATHS.flatMap((route) => [route, `${route}/sub`]))("refuses the server's route %s", (mountPath) => {
    expect(() => new WebApp("bad", handler, { mountPath })).toThrow(/is on the server's own route/);
  });

  it("accepts paths that only begin with a reserved word", () => {
    for (const mountPath of ["/apis", "/healthz", "/admin-panel", "/api-docs"]) new WebApp(mountPath.slice(1), handler, { mountPath });
    expect([...getRegistry().listOther<WebApp>("WebApp").values()].map((app) => app.config.mountPath)).toEqual(["/apis", "/healthz", "/admin-panel", "/api-docs"]);
  });

  it("refuses a second app at the same mount path, naming the first", () => {
    new WebApp("first", handler, { mountPath: "/app" });
    expect(() => new WebApp("second", handler, { mountPath: "/app" })).toThrow('WebApp "second" and WebApp "first" are both mounted at /app');
  });
});

describe("MooseStack's request helpers", () => {
  it("getMooseUtilsFromRequest reads what the server injected", () => {
    const moose = { client: {}, sql: {} };
    expect(getMooseUtilsFromRequest({ moose } as never)).toBe(moose);
    expect(getMooseUtilsFromRequest({} as never)).toBeUndefined();
  });

  it("expressMiddleware carries req.raw.moose over and always calls next", () => {
    const moose = { client: {} };
    const wrapped: Record<string, unknown> = { raw: { moose } };
    let nexts = 0;
    expressMiddleware()(wrapped, {}, () => nexts++);
    expect(wrapped.moose).toBe(moose);
    const own = { moose: { own: true }, raw: { moose } };
    expressMiddleware()(own, {}, () => nexts++);
    expect(own.moose).toEqual({ own: true });
    expect(nexts).toBe(2);
  });
});
