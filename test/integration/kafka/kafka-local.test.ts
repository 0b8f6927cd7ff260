// scripts/kafka-local: start, start again, status, stop; and its refusals.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openKafkaAdmin } from "../../../src/infra/kafka/executor.js";
import { BROKER_START_TIMEOUT_MS, freePort, KAFKA_LOCAL, redpandaConfig } from "../../helpers/kafka.js";

const run = promisify(execFile);
const kafkaHome = process.env.MOOSE_KAFKA_HOME ?? join(homedir(), ".cache", "moose-ts", "kafka");

async function kafkaLocal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(KAFKA_LOCAL, args, { timeout: BROKER_START_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

describe("scripts/kafka-local", () => {
  let port: number | undefined;

  afterAll(async () => {
    if (port !== undefined) await kafkaLocal("stop", "--port", String(port));
  }, 60_000);

  it(
    "starts a broker kafkajs can use, reports the running one on a second start, and stop removes it",
    async () => {
      port = await freePort();
      const started = await kafkaLocal("start", "--port", String(port));
      expect(started).toMatchObject({ code: 0, stdout: `localhost:${port}\n` });

      const admin = openKafkaAdmin(redpandaConfig({ broker: started.stdout.trim(), namespace: "kafka_local_test_" }));
      try {
        await admin.execute({ createTopic: { topic: "probe", partitions: 2, config: {} } });
        expect(await admin.describeTopics()).toMatchObject([{ name: "probe", partitionCount: 2 }]);
      } finally {
        await admin.close();
      }

      expect(await kafkaLocal("start", "--port", String(port))).toMatchObject({ code: 0, stdout: `localhost:${port}\n` });
      expect((await kafkaLocal("status")).stdout).toContain(`localhost:${port} (pid `);

      expect((await kafkaLocal("stop", "--port", String(port))).code).toBe(0);
      expect(await accepts(port)).toBe(false);
      expect(existsSync(join(kafkaHome, String(port)))).toBe(false);
      port = undefined;
    },
    BROKER_START_TIMEOUT_MS,
  );

  it("refuses a port another program listens on", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const busy = (server.address() as { port: number }).port;
    try {
      const result = await kafkaLocal("start", "--port", String(busy));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${busy} is already in use by another program`);
    } finally {
      server.close();
    }
  });

  it("refuses a bad --port and an unknown command with usage", async () => {
    expect(await kafkaLocal("start", "--port", "http")).toMatchObject({ code: 1, stderr: expect.stringContaining("--port needs a port number") });
    expect(await kafkaLocal("restart")).toMatchObject({ code: 2, stderr: expect.stringContaining("kafka-local start [--port N]") });
  });
});
