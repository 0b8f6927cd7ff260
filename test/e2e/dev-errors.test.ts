/**
 * `moose dev` start-up failures: each stops with exit 1, a stable code naming the config key or the
 * holder, and leaves nothing running (the next start works).
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyQuickstart, DevProcess, devEnv, freePorts, DEV_TEST_TIMEOUT_MS, type DevPorts, type TestProject } from "./dev-process.js";

const STREAMING_OFF = { MOOSE_FEATURES__STREAMING_ENGINE: "false" };

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "localhost", resolve));
  return server;
}

describe("moose dev start-up errors", () => {
  let project: TestProject;
  let ports: DevPorts;

  beforeAll(async () => {
    project = copyQuickstart();
    ports = await freePorts();
  });
  afterAll(() => project?.remove());

  it("the API port is taken: an error naming http_server_config.port", async () => {
    const blocker = await occupy(ports.api);
    try {
      const dev = new DevProcess(project, devEnv(ports, STREAMING_OFF));
      expect(await dev.exited()).toBe(1);
      expect(dev.output).toContain(`[http_server_config.port] - error SERVER_PORT_IN_USE: cannot listen on localhost:${ports.api}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, DEV_TEST_TIMEOUT_MS);

  it("the ClickHouse port is taken: an error naming clickhouse_config.host_port", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.clickhouse, "127.0.0.1", resolve));
    try {
      const dev = new DevProcess(project, devEnv(ports, STREAMING_OFF));
      expect(await dev.exited()).toBe(1);
      expect(dev.output).toMatch(/\[clickhouse_config\.host_port\] - error CLICKHOUSE_HTTP_PORT_IN_USE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, DEV_TEST_TIMEOUT_MS);

  it("an app that does not build at start-up: dev still starts, shows the error, and applies once it is fixed", async () => {
    const broken = copyQuickstart();
    try {
      const good = await broken.read("app/index.ts");
      await broken.write("app/index.ts", good.replace("email: string;", "email: strng;"));
      const dev = new DevProcess(broken, devEnv(await freePorts(), STREAMING_OFF));
      try {
        const output = await dev.ready();
        expect(output).toMatch(/app\/index\.ts:\d+:\d+ - error TS_DIAGNOSTIC/);
        expect(output).toMatch(/✖ initial build failed after \d+ ms/);
        const mark = dev.mark();
        await broken.write("app/index.ts", good);
        expect(await dev.nextReload(mark)).toMatch(/✓ reload in \d+ ms: 1 change applied/);
      } finally {
        expect(await dev.stop()).toBe(0);
      }
    } finally {
      broken.remove();
    }
  }, DEV_TEST_TIMEOUT_MS);

  it("a second dev on the same project is refused while the first keeps running", async () => {
    const first = new DevProcess(project, devEnv(ports, STREAMING_OFF));
    try {
      await first.ready();
      const second = new DevProcess(project, devEnv(await freePorts(), STREAMING_OFF));
      expect(await second.exited()).toBe(1);
      expect(second.output).toContain("error CLICKHOUSE_DATA_DIR_LOCKED");
      expect(second.output).toContain(`pid ${first.child.pid}`);
      expect(first.child.exitCode).toBeNull();
    } finally {
      expect(await first.stop()).toBe(0);
    }
  }, DEV_TEST_TIMEOUT_MS);
});
